from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Catalogue and content")

    def ready(self):
        from marketplace import access

        from . import cache, services

        cache.connect_signals()
        # Publishing rights on group pages follow the coordinator role as well as assignments.
        access.on_coordinator_role_change(services.sync_coordinator_access)
