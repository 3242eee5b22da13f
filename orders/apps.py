from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Agreements and orders")

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from .permissions import POLICIES

        for policy in POLICIES:
            register_permission_policy(policy.model, policy)
