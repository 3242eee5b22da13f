from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Agreements and orders")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from wagtail.permissions import register_permission_policy

        from . import checks  # noqa: F401  (registers the Stripe keys check)
        from .permissions import POLICIES
        from .receivers import merge_cart_at_sign_in

        for policy in POLICIES:
            register_permission_policy(policy.model, policy)
        user_logged_in.connect(merge_cart_at_sign_in, dispatch_uid="orders_merge_cart_at_sign_in")
