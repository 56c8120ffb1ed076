"""ASGI entry point for servers (``granian --interface asgi market.asgi:app``)."""

from market.app import create_app

app = create_app()
