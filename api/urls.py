"""/api/v1/: the buyer API. Every router module is imported and added here."""

import functools

from django.urls import include, path, re_path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import agreements, calloffs, impact, orders, products
from .base import PROBLEM_CONTENT_TYPE, Problem, api, api_language, not_found, problem_response


def _in_the_clients_language(view):
    """Every view under /api/v1/ answers in the language of the request's Accept-Language (Thai
    by default), whatever the web's LanguageMiddleware chose from a cookie or a saved preference,
    and says which in Content-Language."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        language = api_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language",))
        return response

    return wrapper


def _problem_for_405(view):
    """Ninja answers a method a path does not have with a plain-text 405: make it a problem."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            problem = Problem(
                405,
                "method-not-allowed",
                _("Method not allowed"),
                _("Allowed: %(methods)s.") % {"methods": response.get("Allow", "")},
                headers={"Allow": response.get("Allow", "")},
            )
            return problem_response(request, problem)
        return response

    return wrapper


def unknown_path(request, *args, **kwargs):
    """Anything else under /api/v1/ is a not-found problem (not an HTML page, not a slash redirect)."""
    return problem_response(request, not_found(_("No such API endpoint.")))


for module in (products, agreements, calloffs, orders, impact):
    api.add_router("", module.router)
_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = csrf_exempt(_in_the_clients_language(_problem_for_405(_pattern.callback)))

urlpatterns = [
    path(
        "",
        include(
            (
                [*_patterns, re_path(r"", csrf_exempt(_in_the_clients_language(unknown_path)), name="unknown")],
                _app_name,
            ),
            namespace=_namespace,
        ),
    )
]
