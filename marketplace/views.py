import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import set_language as django_set_language

from .storage import check_storage

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


CHECKS = {"database": _check_database, "cache": _check_cache, "storage": check_storage}


def _report() -> dict[str, str]:
    report = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            logger.warning("Health check: %s unavailable: %s: %s", name, type(error).__name__, error)
            report[name] = f"error: {type(error).__name__}"
        else:
            report[name] = "ok"
    return report


@never_cache
@require_GET
def healthz(request):
    """Liveness, and what the app can reach: 200 while the database answers (the site can serve,
    uncached if need be), 503 when it does not. Cache and storage are reported, not required."""
    report = _report()
    healthy = report["database"] == "ok"
    status = "ok" if all(value == "ok" for value in report.values()) else ("degraded" if healthy else "error")
    return JsonResponse({"status": status, **report}, status=200 if healthy else 503)


@never_cache
@require_GET
def readyz(request):
    """Readiness, for the load balancer: 200 only when database, cache and object storage all
    answer; 503 otherwise, so the proxy sends traffic to an app server that can do everything."""
    report = _report()
    ready = all(value == "ok" for value in report.values())
    return JsonResponse({"status": "ok" if ready else "error", **report}, status=200 if ready else 503)


@never_cache
@require_http_methods(["GET", "POST"])
def set_language(request):
    """The language switch. A POST (CSRF-checked: the switcher of signed-in users) is Django's own
    view, which sets the language cookie; for a signed-in user it also saves their preference, so
    emails and their next session use it too. A GET (the switcher of anonymous visitors, whose
    pages carry no CSRF token so that they can be cached whole) only sets the cookie: a link
    someone else planted can at most change the language a page is shown in."""
    if request.method == "GET":
        return _set_language_cookie(request)
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if language in dict(settings.LANGUAGES) and user.is_authenticated and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response


def _set_language_cookie(request):
    """Back to `next` (only on this site, as Django's view checks) with the language cookie set."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    language = request.GET.get("language")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
