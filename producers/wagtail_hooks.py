from django.urls import include, path
from wagtail import hooks

from . import admin_urls
from .viewsets import ProducersViewSetGroup


@hooks.register("register_admin_viewset")
def register_producers_viewsets():
    return ProducersViewSetGroup()


@hooks.register("register_admin_urls")
def register_producers_admin_urls():
    return [path("producers/", include(admin_urls, namespace="producers_admin"))]
