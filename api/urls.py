"""/api/v1/: the buyer API. Every router module is imported and added here."""

import importlib

from django.urls import path

from .base import api

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


_add_routers()

urlpatterns = [path("", api.urls)]
