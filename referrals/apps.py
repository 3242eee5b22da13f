from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Verification and referrals")

    def ready(self):
        from marketplace import access

        from . import receivers  # noqa: F401 - consent withdrawals close agencies' access
        from .models import AgencyMembership
        from .selectors import works_with_household_data

        access.register_membership_source(
            access.MembershipSource(kind="agency", model=AgencyMembership, organisation_field="agency")
        )
        access.register_mfa_rule(works_with_household_data)
