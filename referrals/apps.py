from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Verification and referrals")

    def ready(self):
        from wagtail.permissions import register_permission_policy

        from marketplace import access, audit

        from . import receivers  # noqa: F401 - consent withdrawals close agencies' access
        from .models import AgencyMembership, Referral
        from .selectors import referrals_for_field_user, works_with_household_data
        from .viewsets import POLICIES

        access.register_membership_source(
            access.MembershipSource(kind="agency", model=AgencyMembership, organisation_field="agency")
        )
        access.register_mfa_rule(works_with_household_data)
        from producers.importing import extensions

        from .importing import EXTENSION

        extensions.register(EXTENSION)
        for policy in POLICIES:
            register_permission_policy(policy.model, policy)
        # A referral is about one household: its events in the audit trail are shown only to
        # those who do field work for that household.
        audit.register_personal_kind(
            audit.PersonalKind(object_type=Referral._meta.label_lower, visible=referrals_for_field_user)
        )
