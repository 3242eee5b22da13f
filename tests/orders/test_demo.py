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

    # one per agreement's confirmed call-off, five earlier call-offs each, two marketplace orders,
    # and half of the demo manager's order to deliver (awaiting acceptance and its households)
    assert Delivery.objects.count() == deliveries == 3 + 3 * 5 + 2 + 1
    assert set(Invoice.objects.values_list("number", flat=True)) == invoices
    assert Order.objects.filter(fulfilment_status=FulfilmentStatus.PARTIAL).count() == 1
    assert DeliveryLine.objects.filter(rejected_quantity__gt=0).exclude(rejection_reason="").count() == 1
    # every delivery accepted but the demo manager's latest, which waits for the buyer
    [awaiting] = Delivery.objects.exclude(status=Delivery.Status.ACCEPTED)
    assert awaiting.status == Delivery.Status.AWAITING and awaiting.order.group.memberships.filter(
        user__email="manager@demo.example"
    )
    statuses = sorted(Invoice.objects.values_list("status", flat=True))
    assert statuses == ["open", "open"] + ["paid"] * (1 + 3 * 5)
    assert all(invoice.stripe_invoice_id and invoice.hosted_invoice_url for invoice in Invoice.objects.all())
    overdue = [invoice for invoice in Invoice.objects.all() if invoice.is_overdue(timezone.localdate())]
    assert len(overdue) == 1
    partial = Order.objects.get(fulfilment_status=FulfilmentStatus.PARTIAL)
    assert partial.payment_status == "paid" and partial.status == "confirmed"  # partly delivered: not complete yet
    # the earlier call-offs were delivered in full and paid: complete
    assert Order.objects.filter(kind="contract", status="completed").count() == 3 * 5
