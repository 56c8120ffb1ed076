"""Trading tests run the app without its background job (``tender_poll_seconds=0``) so that
nothing closes a tender behind a test's back; the tests of the job itself turn it on."""

from __future__ import annotations

import pytest
from litestar import Litestar

from market.app import create_app
from market.core.settings import Settings


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings.model_copy(update={"tender_poll_seconds": 0}))
