"""Breadcrumbs: what every page shows of its place in the tree. Needs only Wagtail's Page and the
page cache, so the page models (models.py) and the catalogue (catalogue.py) both use it."""

from __future__ import annotations

from django.utils.translation import get_language
from wagtail.models import Page

from . import cache


def breadcrumbs(page, request, *extra) -> list[tuple[str, str]]:
    """(title, url) of the page's ancestors below the tree root, then the page, then `extra`. The
    ancestors' part is kept under the page cache's generation (cms.cache.remember); the page's own
    is read from `page`, which may be a draft in preview."""

    def ancestors():
        pages = Page.objects.filter(path__in=_ancestor_paths(page.path)).filter(depth__gt=1).specific()
        return [(display_title(ancestor), ancestor.get_url(request)) for ancestor in pages]

    crumbs = list(remember_for_reader(request, f"ancestors:{page.path}", ancestors)) if page.path else []
    crumbs.append((display_title(page), page.get_url(request)))
    crumbs.extend(extra)
    return crumbs


def _ancestor_paths(path: str) -> list[str]:
    return [path[:end] for end in range(Page.steplen, len(path), Page.steplen)]


def remember_for_reader(request, key: str, compute):
    """cms.cache.remember, for data that holds titles and URLs: per language and host."""
    return cache.remember(f"{get_language()}:{request.get_host()}:{key}", compute)


def display_title(page) -> str:
    return getattr(page, "display_title", page.title)
