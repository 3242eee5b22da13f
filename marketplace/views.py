import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import set_language as django_set_language

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """For load balancers: 200 when the app can reach its database, 503 when it cannot."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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
