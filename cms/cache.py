"""A cache of whole public pages for anonymous visitors: the catalogue, product pages and search.

An entry is keyed by scheme, host and full path (query string included), the active language and
a *generation* number kept in the same cache. Any change that could alter a public page (a page
published, unpublished, moved, deleted or saved live; a view restriction, category,
certification, producer group or site changed) bumps the generation, so every entry made before it
is never read again and ages out. Publishing therefore shows at once, and nothing has to know which
pages a change touches.

Only responses that a view marked with `cacheable()` are stored, only for GET requests that carry
neither a session nor a messages cookie from a visitor who is not signed in, and only if they are
200 and set no cookie of their own. The CSRF token in a stored page (the language switcher is a
POST form) is swapped for a placeholder and filled in with the reader's own token on every hit.

The cache is Django's default one: local memory in development, Redis when REDIS_URL is set.
With several app server processes it must be shared (Redis), or a process would keep serving its
own copies until they expire (CMS_PAGE_CACHE_SECONDS, 10 minutes by default).

`anonymous_page_cache` wraps Wagtail's serve view (marketplace/urls.py) and the search view, so a
hit answers before Wagtail routes the request: no database query at all.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from wagtail.models import Page

GENERATION_KEY = "cms:page-cache:generation"
DEFAULT_TIMEOUT = 600
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_PLACEHOLDER = b"__cms_page_cache_csrf_token__"
MARK = "_cms_page_cache"


def cacheable(response):
    """Mark a response as the same for every anonymous reader of its URL (in one language)."""
    setattr(response, MARK, True)
    return response


def timeout() -> int:
    return getattr(settings, "CMS_PAGE_CACHE_SECONDS", DEFAULT_TIMEOUT)


# --- Generation -----------------------------------------------------------------------------


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # A fresh start (first use, or the key was evicted) must not meet entries left from an
        # earlier run of the same numbers: start from the clock.
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        value = cache.get(GENERATION_KEY)
    return value


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (yet, or any more)
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def invalidate(**_signal_kwargs) -> None:
    """Make every cached page stale. Bumps now, and again when the current transaction commits:
    a request that read the generation between the first bump and the commit could otherwise
    store the old content under the new number."""
    _bump()
    transaction.on_commit(_bump)


def _invalidate_for_page(sender, instance, **kwargs) -> None:
    if not isinstance(instance, Page):
        return
    # Revisions save the page with update_fields (draft title, latest revision, ...): the live
    # content is unchanged. A full save of a live page (publishing, or code that edits a page in
    # place) may change what visitors see.
    if kwargs.get("signal") is post_save and (kwargs.get("update_fields") is not None or not instance.live):
        return
    invalidate()


def connect_signals() -> None:
    """Called from CmsConfig.ready()."""
    from wagtail.models import PageViewRestriction, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from producers.models import ProducerGroup

    from .models import Category, Certification

    page_published.connect(invalidate, dispatch_uid="cms_page_cache_published")
    page_unpublished.connect(invalidate, dispatch_uid="cms_page_cache_unpublished")
    post_page_move.connect(invalidate, dispatch_uid="cms_page_cache_moved")
    post_save.connect(_invalidate_for_page, dispatch_uid="cms_page_cache_page_saved")
    post_delete.connect(_invalidate_for_page, dispatch_uid="cms_page_cache_page_deleted")
    # Shown on cached pages, or deciding who may see them, without being pages themselves.
    for model in (PageViewRestriction, Site, Category, Certification, ProducerGroup):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"cms_page_cache_{model.__name__}_saved")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"cms_page_cache_{model.__name__}_deleted")


# --- Requests and responses -----------------------------------------------------------------


def request_is_cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    # A session can hold anything a page shows to its owner (messages, a passed page password,
    # later a cart); so can the messages cookie.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return not request.user.is_authenticated


def cache_key(request) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"cms:page:{generation()}:{translation.get_language()}:{digest}"


def _store(key: str, response) -> None:
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or "private" in response.get("Cache-Control", "")
        or "no-store" in response.get("Cache-Control", "")
    ):
        return
    content = CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content)
    cache.set(key, {"content": content, "content_type": response["Content-Type"]}, timeout())


def _from_cache(request, entry: dict) -> HttpResponse:
    content = entry["content"]
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    return HttpResponse(content, content_type=entry["content_type"])


def anonymous_page_cache(view):
    """Serve a stored copy to anonymous visitors when there is one; store what the view marked
    `cacheable()`."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request_is_cacheable(request):
            return view(request, *args, **kwargs)
        key = cache_key(request)
        entry = cache.get(key)
        if entry is not None:
            response = _from_cache(request, entry)
        else:
            response = view(request, *args, **kwargs)
            if request.method == "GET" and getattr(response, MARK, False):
                if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                    response.add_post_render_callback(functools.partial(_store, key))
                else:
                    _store(key, response)
        # The same URL reads differently with a session, a language cookie or a sign-in.
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
