from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from marketplace import access

from .impact import urls as impact_urls
from .ledger import urls as ledger_urls
from .status import poverty_panel


@hooks.register("register_admin_urls")
def register_income_admin_urls():
    return [
        # Under /admin/producers/, where the ledger pages were before the income app.
        path("producers/", include(ledger_urls, namespace="ledger")),
        path("impact/", include(impact_urls, namespace="impact")),
    ]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def impact_dashboard_menu_item():
    """Coordinators' impact dashboard (income.impact.views); group managers get none."""
    return CoordinatorMenuItem(_("Impact"), reverse("impact:dashboard"), icon_name="doc-full", order=265)


@hooks.register("producers_household_panels")
def household_poverty_panel(request, household):
    """The household page's poverty status: now, its history and marketplace income by year."""
    return "income/status/poverty_panel.html", poverty_panel(household)
