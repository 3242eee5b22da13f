from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Catalogue and content")

    def ready(self):
        from . import cache

        cache.connect_signals()
