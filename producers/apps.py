from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = _("Producer groups")

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from marketplace import access

        from .models import GroupMembership
        from .permissions import POLICIES

        access.register_membership_source(
            access.MembershipSource(
                kind="producer_group", model=GroupMembership, organisation_field="group", grants_admin_access=True
            )
        )
        for policy in POLICIES:
            register_permission_policy(policy.model, policy)
