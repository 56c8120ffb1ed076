"""Page plumbing for the server-rendered pages: templates, rendering, formats, forms, charts.

Plain HTML from Jinja templates, one stylesheet and SVG maps and charts drawn on the server:
the city intranet reaches no CDN, so nothing is loaded from outside the app. The pages
themselves live in their domains (``market.offers.web_listings`` …) and call the same
services as the JSON API, never bypassing their checks.
"""
