import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from buyers.models import CompanyMembership
from orders.models import Order
from orders.stripe_fake import FAKE


@pytest.fixture(autouse=True)
def fake_stripe():
    """The fake Stripe lives as long as the process: each test starts with an empty account."""
    FAKE.reset()
    yield FAKE
    FAKE.reset()


def test_the_demo_carries_the_money_to_the_households_and_some_cross_the_line(db):
    import datetime

    from django.db.models import Sum

    from income.ledger import services as ledger
    from income.models import Contribution, HouseholdIncomeEntry, Payout
    from income.status import with_current_status
    from orders.models import Checkout, DeliveryLine
    from producers.models import Household, IncomeSurvey, PovertyStatus

    call_command("seed_demo", force=True)
    counts = [
        model.objects.count() for model in (Order, Contribution, HouseholdIncomeEntry, Payout, IncomeSurvey, Checkout)
    ]
    call_command("seed_demo", force=True)

    # running again changes nothing
    assert [
        model.objects.count() for model in (Order, Contribution, HouseholdIncomeEntry, Payout, IncomeSurvey, Checkout)
    ] == counts
    # every settled line's entries sum exactly to its value less the group's retention
    settled = (
        DeliveryLine.objects.filter(income_entries__isnull=False).distinct().select_related("order_line__order__group")
    )
    assert settled.count() >= 15
    for line in settled:
        value = line.accepted_value
        retention = ledger.retention_of(value, line.order_line.order.group.retention_rate)
        total = line.income_entries.aggregate(total=Sum("amount"))["total"]
        assert total == value - retention, line
        assert line.contributions.aggregate(total=Sum("quantity"))["total"] == line.quantity
    # a marketplace checkout was paid through the fake and its goods settled too
    paid = Checkout.objects.get(status=Checkout.Status.PAID)
    assert HouseholdIncomeEntry.objects.filter(order__checkout=paid).exists()
    # payouts never exceed what each household earned in the group
    earned = {
        (row["household"], row["group"]): row["total"]
        for row in HouseholdIncomeEntry.objects.values("household", "group").annotate(total=Sum("amount"))
    }
    payouts = Payout.objects.values("household", "group").annotate(total=Sum("amount"))
    assert payouts
    for row in payouts:
        assert row["total"] <= earned[(row["household"], row["group"])]
    assert any(row["total"] < earned[(row["household"], row["group"])] for row in payouts)  # some not paid in full
    # entries are spread over the last months, on the days the goods were paid for
    days = set(HouseholdIncomeEntry.objects.values_list("earned_on", flat=True))
    assert len(days) >= 5 and min(days) < timezone.localdate() - datetime.timedelta(days=60)
    # a believable programme: some households crossed the line, some did not, some are still very poor
    reached = with_current_status(Household.objects.all()).filter(income_entries__isnull=False).distinct()
    statuses = list(reached.values_list("baseline_status", "current_status", "crossed_line"))
    crossed = [row for row in statuses if row[2]]
    still_poor = [row for row in statuses if row[0] != PovertyStatus.ABOVE and not row[2]]
    very_poor = [row for row in statuses if row[1] == PovertyStatus.VERY_POOR]
    assert crossed and still_poor and very_poor
    assert len(crossed) < len(statuses) / 2
    assert IncomeSurvey.objects.count() >= 100


def test_the_demo_companys_statement_shows_figures(db):
    from income.company_impact import statement as impact

    call_command("seed_demo", force=True)
    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    company = CompanyMembership.objects.get(user=purchaser).company

    statement = impact.statement(company, impact.StatementFilters())

    assert statement.households_reached.value >= 5
    assert statement.paid_to_households.value > 0 and statement.purchase_value > statement.paid_to_households.value
