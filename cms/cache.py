"""Caches for the public pages, all kept under one *generation* number (below):

- a cache of whole public pages for anonymous visitors (AnonymousPageCacheMiddleware);
- data every page request would otherwise ask the database for: the Site (find_site), routes
  with the routed page (cached_route), view restrictions (restricted_paths), and `remember()`
  for what pages share (cards, filter choices, result counts, breadcrumbs);
- fragments of pages that every reader of a URL shares (fragment()), like Django's {% cache %}:
  the catalogue's listing, a product page less its buy box, search results. The page around a
  fragment (the visitor's header, messages, CSRF tokens) is rendered on every request.

The whole-page cache:

An entry is keyed by scheme, host and full path (query string included), the active language and
a *generation* number kept in the same cache. Any change that could alter a public page (a page
published, unpublished, moved, deleted or saved live; a view restriction, category,
certification, producer group or site changed) bumps the generation, so every entry made before it
is never read again and ages out. Publishing therefore shows at once, and nothing has to know which
pages a change touches.

Only responses that a view marked with `cacheable()` are stored, only for GET requests that carry
neither a session nor a messages cookie nor an Authorization header, from a visitor who is not
signed in, and only if they are 200, set no cookie of their own and hold no CSRF token. Public pages
need none: an anonymous visitor's language switcher is a GET form (marketplace.views.set_language),
and the forms that do need a token are shown to signed-in users only. A stored entry keeps the
response's headers (Content-Language, Vary, the Content-Security-Policy, X-Frame-Options ...) as
well as its body.

The cache is Django's default one: local memory in development, Redis when REDIS_URL is set.
With several app server processes it must be shared (Redis), or a process would keep serving its
own copies until they expire (CMS_PAGE_CACHE_SECONDS, 10 minutes by default).

`AnonymousPageCacheMiddleware` sits right after SecurityMiddleware and WhiteNoise (MIDDLEWARE in
config/settings/base.py), so a hit answers before sessions, authentication, CSRF, messages,
the Content-Security-Policy middleware or URL routing run: no database query and little Python.
A pure function of the request decides the key: scheme, host, full path, the language cookie (an
anonymous visitor's language comes from nothing else, marketplace.middleware.requested_language)
and the generation.

The contract for a view that marks its response `cacheable()`: what it renders for an anonymous
visitor depends only on the URL, the language and the published content (whatever bumps the
generation), never on another cookie or header.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from wagtail.models import Page

from marketplace.middleware import requested_language

GENERATION_KEY = "cms:page-cache:generation"
DEFAULT_TIMEOUT = 600
CSRF_INPUT = b'name="csrfmiddlewaretoken"'
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


def invalidate_for_page(sender, instance, **kwargs) -> None:
    if not isinstance(instance, Page):
        return
    # Revisions save the page with update_fields (draft title, latest revision, ...): the live
    # content is unchanged. A full save of a live page (publishing, or code that edits a page in
    # place) may change what visitors see.
    if kwargs.get("signal") is post_save and (kwargs.get("update_fields") is not None or not instance.live):
        return
    invalidate()


# --- Data kept under the generation ---------------------------------------------------------


def remember(key: str, compute):
    """`compute()`, kept in the cache under the current generation (so any publish forgets it).
    For data many pages share, or that every uncached request would compute again."""
    key = f"cms:data:{generation()}:{key}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout())
    return value


def cached_route(root, request, path_components: list[str], route):
    """Wagtail's Page.route for `root` (the site's root page), remembering the page a path led to.

    Wagtail walks the tree one path segment at a time, two queries a segment (the child, then its
    specific page): six for a product page. The page a path leads to, and everything it holds,
    changes only when a page is published, unpublished, moved, deleted or saved live, or its
    stock moves (orders.stock), and each of those starts a new generation. So the page found is
    kept, as loaded fresh from the database, under the generation, and a remembered route lets
    that copy route itself (which checks it is live). Each request reads its own copy out of the
    cache: nothing one request sets on the page reaches another. Only routes that the tree alone
    decided are remembered: a page that routes the rest of the path itself (a RoutablePage) is
    routed afresh every time."""
    if not path_components:
        return route(request, path_components)
    path = "/".join(path_components)
    key = f"cms:route:{generation()}:{root.pk}:{hashlib.sha256(path.encode()).hexdigest()}"
    page = cache.get(key)
    if page is not None:
        return page.route(request, [])
    result = route(request, path_components)
    page = result[0]
    if page.url_path == f"{root.url_path}{path}/":
        cache.set(key, type(page).objects.get(pk=page.pk), timeout())
    return result


# --- What every page request would otherwise ask the database ------------------------------


def find_site(request):
    """Wagtail's Site.find_for_request, remembered per host and port under the generation (saving
    or deleting a Site starts a new one), with the specific root page already loaded: Wagtail asks
    for the site and then for the specific root page on every page request."""
    from wagtail.models import Site

    if not hasattr(request, "_wagtail_site"):
        hostname = split_domain_port(request._get_raw_host())[0]
        key = f"cms:site:{generation()}:{hostname}:{request.get_port()}"
        found = cache.get(key)
        if found is None:
            site = Site._find_for_request(request)
            if site is not None:
                # Filled in the way Page.specific (a cached_property) fills itself. The root
                # page stays a plain Page: our pages' `localized(name)` hides Wagtail's
                # `localized` property, which Wagtail reads on the root before `.specific`.
                site.root_page.specific = site.root_page.specific
            found = (site,)
            cache.set(key, found, timeout())
        request._wagtail_site = found[0]
    return request._wagtail_site


def restricted_paths() -> tuple[str, ...]:
    """The tree paths of the pages that carry a view restriction (password, groups, sign-in);
    their descendants are restricted too. Saving or deleting a restriction starts a new
    generation. Wagtail reads every restriction for `.public()` and the page's ancestors'
    restrictions before serving it: with this, neither asks the database while there are none
    on the way."""
    from wagtail.models import PageViewRestriction

    return remember(
        "restricted-paths",
        lambda: tuple(PageViewRestriction.objects.order_by().values_list("page__path", flat=True).distinct()),
    )


def is_restricted(path: str) -> bool:
    return any(path.startswith(restricted) for restricted in restricted_paths())


def public_only(pages):
    """`pages.public()` without reading the restrictions from the database each time."""
    paths = restricted_paths()
    if not paths:
        return pages
    return pages.exclude(functools.reduce(operator.or_, (Q(path__startswith=path) for path in paths)))


# --- Fragments of pages ---------------------------------------------------------------------


def fragment(request, name: str, render):
    """The part of a page that is the same for every reader of its URL in one language, whoever
    they are: `render()` (a string of HTML, or a dict of them), kept under the generation like
    Django's {% cache %} fragments. Keyed by scheme, host, full path (query string included) and
    language: what such a part shows may depend on nothing else (not the user, not a cookie, not
    the session). The page around it (the header with the visitor's account and cart, messages,
    the language switcher, a form that POSTs with the visitor's CSRF token) is rendered on every
    request. A preview renders afresh: it shows a draft."""
    if getattr(request, "is_preview", False):
        value = render()
    else:
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        digest = hashlib.sha256(address.encode()).hexdigest()
        value = remember(f"fragment:{get_language()}:{name}:{digest}", render)
    if isinstance(value, dict):
        return {part: mark_safe(html) for part, html in value.items()}  # noqa: S308 - our templates
    return mark_safe(value)  # noqa: S308 - rendered by our templates


def render_fragment(template_name: str, context: dict) -> str:
    """A fragment's template rendered from `context` alone, without the context processors: the
    user, their permissions, messages and CSRF token are not there, so they cannot leak into a
    fragment that every reader shares."""
    return str(get_template(template_name).render(context))


# --- Requests and responses -----------------------------------------------------------------


def request_is_cacheable(request) -> bool:
    """Whether the request may be answered from, or stored in, the cache. Runs before sessions and
    authentication: a visitor is anonymous here when they carry no session cookie and no
    Authorization header (those are the only ways to sign in)."""
    if request.method not in ("GET", "HEAD"):
        return False
    # A session can hold anything a page shows to its owner (messages, a passed page password,
    # later a cart); so can the messages cookie.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def cache_key(request) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"cms:page:{generation()}:{requested_language(request)}:{digest}"


def storable(request, response, language: str) -> bool:
    """Whether a response the view marked `cacheable()` may be served to every anonymous reader."""
    if not getattr(response, MARK, False) or request.method != "GET":
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cache_control = response.get("Cache-Control", "")
    return not (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or "private" in cache_control
        or "no-store" in cache_control
        # Rendered in another language than the key says (a view that activated its own).
        or response.get("Content-Language", language) != language
        # Per-request secrets: a CSRF token (its cookie would be set too), a CSP nonce.
        or CSRF_INPUT in response.content
        or "nonce-" in response.get("Content-Security-Policy", "")
    )


def _store(key: str, response) -> None:
    entry = {"content": response.content, "headers": list(response.items())}
    cache.set(key, entry, timeout())


def _from_cache(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for header, value in entry["headers"]:
        response.headers[header] = value
    return response


class AnonymousPageCacheMiddleware:
    """Serve a stored copy to anonymous visitors when there is one; store what the view marked
    `cacheable()`. Place it right after SecurityMiddleware and WhiteNoise: everything below it is
    skipped on a hit, and it sees the response with every header the inner middleware added."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request_is_cacheable(request):
            return self.get_response(request)
        key = cache_key(request)
        entry = cache.get(key)
        if entry is not None:
            return _from_cache(entry)
        response = self.get_response(request)
        if storable(request, response, requested_language(request)):
            _store(key, response)
        return response
