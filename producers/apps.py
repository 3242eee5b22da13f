from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = _("Producer groups")

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from marketplace import access, audit

        from . import log_labels, selectors
        from .models import GroupMembership, Household
        from .permissions import POLICIES

        access.register_membership_source(
            access.MembershipSource(
                kind="producer_group", model=GroupMembership, organisation_field="group", grants_admin_access=True
            )
        )
        log_labels.connect()
        for policy in POLICIES:
            register_permission_policy(policy.model, policy)
        # Households are personal data: the audit trail names them by id and shows their events
        # only to those who may see them (records about one household register in their apps).
        audit.register_personal_kind(
            audit.PersonalKind(
                object_type=Household._meta.label_lower,
                visible=selectors.households_visible_to,
                identifying_keys=frozenset({"code", "name"}),
                reference_key="household",
            )
        )
