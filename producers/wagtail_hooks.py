from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from marketplace import access

from . import admin_urls
from .importing import urls as import_urls
from .viewsets import ProducersViewSetGroup


@hooks.register("register_admin_viewset")
def register_producers_viewsets():
    return ProducersViewSetGroup()


@hooks.register("register_admin_urls")
def register_producers_admin_urls():
    return [
        path("producers/", include(admin_urls, namespace="producers_admin")),
        *import_urls.get_urls(),
    ]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def household_import_menu_item():
    return CoordinatorMenuItem(
        _("Import households"), reverse("household_import:upload"), icon_name="upload", order=260
    )
