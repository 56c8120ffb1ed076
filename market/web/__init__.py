"""Server-rendered web pages for enterprise clerks, buyers and city officials.

Plain HTML from Jinja templates, one stylesheet and SVG maps and charts drawn on the server:
the city intranet reaches no CDN, so nothing is loaded from outside the app. The pages call
the same services as the JSON API (``market.services``) and never bypass their checks.
"""

from market.web.config import page_router, static_router, template_config

__all__ = ["page_router", "static_router", "template_config"]
