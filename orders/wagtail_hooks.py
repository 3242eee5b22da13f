from django.urls import include, path
from wagtail import hooks

from . import admin_urls
from .viewsets import OrdersViewSetGroup


@hooks.register("register_admin_viewset")
def register_orders_viewsets():
    return OrdersViewSetGroup()


@hooks.register("register_admin_urls")
def register_orders_admin_urls():
    return [path("offtake/", include(admin_urls, namespace="orders_admin"))]
