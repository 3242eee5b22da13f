"""What the page models (models.py) need from the catalogue (catalogue.py) to serve themselves.

The catalogue queries the page models, so the page models cannot import it. Instead each page
asks for its renderer here by name, and CmsConfig.ready() (cms/apps.py) provides the catalogue's
functions, once, before any request is served. A page served before that (there is none in a
running site or a test) raises KeyError rather than rendering without the catalogue.

The renderers, with the arguments a page calls them with:

- SERVE_CATALOGUE (page, request) -> response: CatalogueIndexPage.serve, the product listing.
- GROUP_CARDS (group_pages) -> list: ProducersIndexPage's cards, one per group page.
- GROUP_PAGE_CONTEXT (group_page, request) -> dict: ProducerGroupPage's products and breadcrumbs.
- PRODUCT_PAGE_PARTS (page, request) -> dict[str, str]: a product page's shared fragments.
"""

from __future__ import annotations

from collections.abc import Callable

SERVE_CATALOGUE = "serve_catalogue"
GROUP_CARDS = "group_cards"
GROUP_PAGE_CONTEXT = "group_page_context"
PRODUCT_PAGE_PARTS = "product_page_parts"

NAMES = (SERVE_CATALOGUE, GROUP_CARDS, GROUP_PAGE_CONTEXT, PRODUCT_PAGE_PARTS)

_renderers: dict[str, Callable] = {}


def provide(name: str, renderer: Callable) -> None:
    if name not in NAMES:
        raise ValueError(f"cms pages have no renderer {name!r}")
    _renderers[name] = renderer


def render(name: str, *args):
    return _renderers[name](*args)
