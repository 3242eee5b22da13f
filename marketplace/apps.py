from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from wagtail.users import apps as wagtail_users_apps


class MarketplaceConfig(AppConfig):
    default = True
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers the checks, connects the audit receivers)


class UsersAppConfig(wagtail_users_apps.WagtailUsersAppConfig):
    """Wagtail's user admin, with our email + full-name user instead of first/last name."""

    default = False
    user_viewset = "marketplace.wagtail_users.UserViewSet"


class SuperuserAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "marketplace.admin_site.SuperuserAdminSite"
