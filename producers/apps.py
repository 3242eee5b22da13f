from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = _("Producer groups")

    def ready(self) -> None:
        from marketplace import access

        from .models import GroupMembership

        access.register_membership_source(
            access.MembershipSource(kind="producer_group", model=GroupMembership, organisation_field="group")
        )
