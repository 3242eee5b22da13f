from allauth.mfa.utils import is_mfa_enabled
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from . import access, audit


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


class AdminMFAMiddleware:
    """Staff, superusers and coordinators reach no admin page until they have set up an
    authenticator app (TOTP). Once they have, allauth asks for the code at every sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            is_admin_path(request.path_info)
            and user.is_authenticated
            and access.requires_mfa(user)
            and not is_mfa_enabled(user, types=["totp"])
        ):
            messages.warning(
                request,
                _("Set up two-factor authentication with an authenticator app before using the admin."),
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
