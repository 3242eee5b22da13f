import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from buyers.models import Company, CompanyMembership
from orders.models import AgreementState, Order, PurchaseAgreement
from orders.stripe_fake import FAKE


@pytest.fixture(autouse=True)
def fake_stripe():
    """The fake Stripe lives as long as the process: each test starts with an empty account."""
    FAKE.reset()
    yield FAKE
    FAKE.reset()


def test_the_demo_has_companies_active_agreements_and_call_offs_and_is_idempotent(db):
    call_command("seed_demo", force=True)
    orders = Order.objects.count()
    call_command("seed_demo", force=True)

    assert Company.objects.count() == 13
    agreements = list(PurchaseAgreement.objects.select_related("institution"))
    assert len(agreements) == 3
    assert {agreement.institution.code for agreement in agreements} == {"KSU"}
    assert len({agreement.company_id for agreement in agreements}) == 3
    assert all(agreement.state() == AgreementState.ACTIVE for agreement in agreements)
    # 4 call-offs per agreement in different states, 5 earlier ones carried to payment, and one
    # marketplace checkout split over two groups
    assert Order.objects.count() == orders == 3 * (4 + 5) + 2
    assert set(Order.objects.values_list("status", flat=True)) >= {"placed", "confirmed", "declined", "cancelled"}

    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    membership = CompanyMembership.objects.get(user=purchaser)
    assert membership.role == "purchaser"
    assert PurchaseAgreement.objects.filter(company=membership.company, code="KSU-MOU-2569-001").exists()
    # the demo manager's group supplies the purchaser's agreement: a call-off can be played end to end
    manager = get_user_model().objects.get(email="manager@demo.example")
    silk = PurchaseAgreement.objects.get(code="KSU-MOU-2569-001").groups.filter(memberships__user=manager)
    assert silk.exists()


def test_the_demo_carries_call_offs_through_delivery_acceptance_and_invoices(db):
    from orders.models import Delivery, DeliveryLine, FulfilmentStatus, Invoice

    call_command("seed_demo", force=True)
    deliveries = Delivery.objects.count()
    invoices = set(Invoice.objects.values_list("number", flat=True))
    call_command("seed_demo", force=True)

    # one per agreement's confirmed call-off, five earlier call-offs each, two marketplace orders
    assert Delivery.objects.count() == deliveries == 3 + 3 * 5 + 2
    assert set(Invoice.objects.values_list("number", flat=True)) == invoices
    assert Order.objects.filter(fulfilment_status=FulfilmentStatus.PARTIAL).count() == 1
    assert DeliveryLine.objects.filter(rejected_quantity__gt=0).exclude(rejection_reason="").count() == 1
    assert all(delivery.status == Delivery.Status.ACCEPTED for delivery in Delivery.objects.all())
    statuses = sorted(Invoice.objects.values_list("status", flat=True))
    assert statuses == ["open", "open"] + ["paid"] * (1 + 3 * 5)
    assert all(invoice.stripe_invoice_id and invoice.hosted_invoice_url for invoice in Invoice.objects.all())
    overdue = [invoice for invoice in Invoice.objects.all() if invoice.is_overdue(timezone.localdate())]
    assert len(overdue) == 1
    partial = Order.objects.get(fulfilment_status=FulfilmentStatus.PARTIAL)
    assert partial.payment_status == "paid" and partial.status == "confirmed"  # partly delivered: not complete yet
    # the earlier call-offs were delivered in full and paid: complete
    assert Order.objects.filter(kind="contract", status="completed").count() == 3 * 5


def test_the_demo_carries_the_money_to_the_households_and_some_cross_the_line(db):
    import datetime

    from django.db.models import Sum

    from orders.models import Checkout, DeliveryLine
    from producers import ledger
    from producers.models import Contribution, Household, HouseholdIncomeEntry, IncomeSurvey, Payout, PovertyStatus

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
    reached = Household.objects.with_current_status().filter(income_entries__isnull=False).distinct()
    statuses = list(reached.values_list("baseline_status", "current_status", "crossed_line"))
    crossed = [row for row in statuses if row[2]]
    still_poor = [row for row in statuses if row[0] != PovertyStatus.ABOVE and not row[2]]
    very_poor = [row for row in statuses if row[1] == PovertyStatus.VERY_POOR]
    assert crossed and still_poor and very_poor
    assert len(crossed) < len(statuses) / 2
    assert IncomeSurvey.objects.count() >= 100


def test_the_demo_companys_statement_shows_figures(db):
    from buyers import impact

    call_command("seed_demo", force=True)
    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    company = CompanyMembership.objects.get(user=purchaser).company

    statement = impact.statement(company, impact.StatementFilters())

    assert statement.households_reached.value >= 5
    assert statement.paid_to_households.value > 0 and statement.purchase_value > statement.paid_to_households.value
