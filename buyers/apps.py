from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuyersConfig(AppConfig):
    name = "buyers"
    verbose_name = _("Partner companies")

    def ready(self) -> None:
        from marketplace import access

        from .models import CompanyMembership

        # Company people work on the public site and the buyer portal, never in the Wagtail admin.
        access.register_membership_source(
            access.MembershipSource(
                kind="company", model=CompanyMembership, organisation_field="company", grants_admin_access=False
            )
        )
