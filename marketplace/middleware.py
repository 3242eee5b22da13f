import logging
import time

from allauth.mfa.utils import is_mfa_enabled
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from . import access, audit

logger = logging.getLogger(__name__)

# Seconds since the epoch of the last request of a staff session (StaffIdleTimeoutMiddleware).
LAST_ACTIVITY_SESSION_KEY = "marketplace_last_activity"
# Writing the session on every request would cost a database write each time; the idle time is
# measured to the minute.
LAST_ACTIVITY_RESOLUTION_SECONDS = 60


def _supported(code: str | None) -> str | None:
    return code if code in dict(settings.LANGUAGES) else None


def requested_language(request) -> str:
    """The language an anonymous visitor reads in: their cookie's, else Thai. (cms.cache keys
    anonymous pages by it before authentication has run; LanguageMiddleware agrees with it for
    every visitor who is not signed in.)"""
    return _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Thai first: the language is the visitor's explicit choice (the language cookie set by the
    switcher), else the signed-in user's preferred language, else Thai. The browser's
    Accept-Language is deliberately not consulted: most producers' phones say English while
    they read Thai."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        if language is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                language = _supported(user.preferred_language)
        language = language or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        translation.deactivate()
        return response


class AuditContextMiddleware:
    """Lets `audit.record()` know who is acting and from where, for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_context(actor=request.user, ip_address=audit.client_ip(request))
        try:
            return self.get_response(request)
        finally:
            audit.reset_context(token)


def is_admin_path(path: str) -> bool:
    return path.startswith(settings.ADMIN_PATH_PREFIXES)


class StaffIdleTimeoutMiddleware:
    """Staff, superusers and coordinators are signed out after STAFF_SESSION_IDLE_SECONDS without
    a request: their sessions reach personal data of households, and are left open on shared
    office computers. The next request goes to the sign-in page, which says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and access.requires_mfa(user):
            now = time.time()
            last_activity = request.session.get(LAST_ACTIVITY_SESSION_KEY)
            idle_limit = settings.STAFF_SESSION_IDLE_SECONDS
            if last_activity is not None and now - last_activity > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Please sign in again.")
                    % {"minutes": idle_limit // 60},
                )
                return redirect_to_login(request.get_full_path(), reverse("account_login"))
            if last_activity is None or now - last_activity >= LAST_ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_SESSION_KEY] = now
        return self.get_response(request)


class AdminMFAMiddleware:
    """Staff, superusers and coordinators reach no admin page until they have set up an
    authenticator app (TOTP). Once they have, allauth asks for the code at every sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            request.path_info.startswith(settings.MFA_PATH_PREFIXES)
            and user.is_authenticated
            and access.requires_mfa(user)
            and not is_mfa_enabled(user, types=["totp"])
        ):
            messages.warning(
                request,
                _(
                    "Set up two-factor authentication with an authenticator app before using the admin. "
                    "It shows households' personal data, which the law (PDPA) obliges us to protect: "
                    "with a code from your phone, a stolen password alone cannot open it."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """Our own pages run no inline script. The Wagtail and Django admins still ship inline
    scripts and styles, so on those paths only, the policy allows them."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and is_admin_path(request.path_info):
            parts.update = {
                **(parts.update or {}),
                "script-src": ["'unsafe-inline'", "'unsafe-eval'"],
                "style-src": ["'unsafe-inline'"],
            }
            # The page editor's live preview is an iframe of our own origin.
            parts.replace = {**(parts.replace or {}), "frame-src": ["'self'"], "frame-ancestors": ["'self'"]}
        return parts


class StorageUnavailableMiddleware:
    """An upload that meets an unreachable object store (S3 down, timing out, refusing) answers a
    clear 503 page instead of a server error. Nothing is half-written: a FileField stores its file
    before its row is inserted, and services that write several rows do it in one transaction,
    which the exception rolls back before it reaches here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.template.response import TemplateResponse

        from .storage import STORAGE_ERRORS

        if not isinstance(exception, STORAGE_ERRORS):
            return None
        logger.warning("Object storage unavailable during %s %s: %r", request.method, request.path, exception)
        response = TemplateResponse(request, "503_storage.html", status=503)
        response["Retry-After"] = "120"
        return response.render()
