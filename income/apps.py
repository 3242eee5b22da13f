from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncomeConfig(AppConfig):
    """Household income: the ledger (who supplied what, what each household earned, payouts),
    poverty status over time, the impact dashboard and the company impact statement. Sits above
    orders: it acts on orders' moments (orders.hooks) and shows its pages through the admin's and
    producers' hooks, so no lower app imports it."""

    name = "income"
    verbose_name = _("Household income")

    def ready(self) -> None:
        from marketplace import audit
        from producers import log_labels, selectors

        from .ledger import subscribers
        from .ledger.models import Contribution, HouseholdIncomeEntry, Payout

        subscribers.subscribe()
        # Ledger records name a household in their str(): Wagtail's history labels them by id.
        for model in (Contribution, HouseholdIncomeEntry, Payout):
            log_labels.register_personal_model(model)
        # A payout is about one household: its audit events are shown only to those who may see it.
        audit.register_personal_kind(
            audit.PersonalKind(
                object_type=Payout._meta.label_lower,
                visible=lambda user: Payout.objects.filter(household__in=selectors.households_visible_to(user)),
            )
        )
