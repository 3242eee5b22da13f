"""/api/v1/: the buyer API. Every router module is imported and added here."""

import functools
import importlib

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from .base import PROBLEM_CONTENT_TYPE, Problem, api, not_found, problem_response

ROUTER_MODULES = ("api.products", "api.agreements", "api.calloffs", "api.orders", "api.impact")


def _add_routers() -> None:
    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # a missing import inside the module is a real error
                raise
            continue  # not written yet
        api.add_router("", module.router)


def _problem_for_405(view):
    """Ninja answers a method a path does not have with a plain-text 405: make it a problem."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            problem = Problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                f"Allowed: {response.get('Allow', '')}.",
                headers={"Allow": response.get("Allow", "")},
            )
            return problem_response(request, problem)
        return response

    return csrf_exempt(wrapper)


@csrf_exempt
def unknown_path(request, *args, **kwargs):
    """Anything else under /api/v1/ is a not-found problem (not an HTML page, not a slash redirect)."""
    return problem_response(request, not_found("No such API endpoint."))


_add_routers()
_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _problem_for_405(_pattern.callback)

urlpatterns = [
    path("", include(([*_patterns, re_path(r"", unknown_path, name="unknown")], _app_name), namespace=_namespace))
]
