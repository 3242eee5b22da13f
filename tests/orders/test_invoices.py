"""Invoices for accepted call-off deliveries: created after the acceptance commits, sent to Stripe
with the agreement's payment terms, retried when Stripe fails, paid through the payments handler,
and the order then completes. Coordinators see overdue invoices of their area only."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
import stripe
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders import fulfilment, selectors, services
from orders.fulfilment import LineDecision
from orders.models import Invoice, OrderEvent, OrderStatus, PaymentStatus
from orders.stripe_fake import FAKE
from producers.models import Institution
from tests.factories.accounts import UserFactory
from tests.factories.households import assign
from tests.factories.orders import confirmed_call_off
from tests.helpers import give_totp


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def active(agreement):
    agreement.payment_terms_days = 45
    agreement.save(update_fields=["payment_terms_days"])
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def call_off(active, purchaser, rice_manager):
    rice_line = active.lines.order_by("pk").first()
    return confirmed_call_off(active, {rice_line: "40"}, placed_by=purchaser, manager=rice_manager)


def deliver_and_accept(order, quantity, manager, purchaser, capture, rejected="0"):
    line = order.lines.get()
    delivery = fulfilment.delivery_record(
        order=order, quantities={line.pk: Decimal(quantity)}, delivered_on=timezone.localdate(), actor=manager
    )
    delivery_line = delivery.lines.get()
    accepted = Decimal(quantity) - Decimal(rejected)
    with capture(execute=True):
        fulfilment.delivery_accept(
            delivery=delivery,
            decisions={
                delivery_line.pk: LineDecision(accepted, Decimal(rejected), "broken" if rejected != "0" else "")
            },
            actor=purchaser,
        )
    return Invoice.objects.get(delivery=delivery)


def test_the_invoice_lifecycle_to_a_completed_order(
    call_off, rice_manager, purchaser, company, fake_stripe, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    invoice = deliver_and_accept(call_off, "40", rice_manager, purchaser, django_capture_on_commit_callbacks, "4")

    # accepted 36 kg × ฿55, sent as a send_invoice invoice with the agreement's payment terms
    assert invoice.number.startswith("INV-") and invoice.amount == Decimal("1980.00")
    assert invoice.status == Invoice.Status.OPEN and invoice.stripe_invoice_id.startswith("in_")
    assert invoice.hosted_invoice_url
    assert invoice.due_date == timezone.localdate() + datetime.timedelta(days=45)
    [create] = [r for r in fake_stripe.requests if r.path == "/v1/invoices"]
    assert create.params["collection_method"] == "send_invoice"
    assert create.params["days_until_due"] == "45"
    assert create.idempotency_key == f"invoice-{invoice.number}"
    [item] = [r for r in fake_stripe.requests if r.path == "/v1/invoiceitems"]
    assert item.params["amount"] == "198000"
    call_off.refresh_from_db()
    assert call_off.payment_status == PaymentStatus.INVOICED
    assert OrderEvent.objects.filter(order=call_off, field="invoice", to_status=invoice.number).exists()
    # the company's billing mailbox gets it
    assert [m.to for m in mail.outbox if invoice.number in m.subject] == [[company.billing_email]]

    # invoice.paid, through the payments app's handler, completes the order
    from orders import payments

    with django_capture_on_commit_callbacks(execute=True):
        payments.invoice_paid(invoice=invoice)

    call_off.refresh_from_db()
    assert call_off.status == OrderStatus.COMPLETED
    assert call_off.payment_status == PaymentStatus.PAID
    assert fulfilment.order_complete_if_settled(call_off) is False  # safe to call again


def test_a_partly_delivered_order_does_not_complete_when_its_first_invoice_is_paid(
    call_off, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    invoice = deliver_and_accept(call_off, "10", rice_manager, purchaser, django_capture_on_commit_callbacks)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)

    assert fulfilment.order_complete_if_settled(call_off) is False
    assert call_off.__class__.objects.get(pk=call_off.pk).status == OrderStatus.CONFIRMED


def test_a_failed_stripe_call_leaves_a_draft_that_is_retried(
    call_off, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    with mock.patch(
        "orders.gateway.StripeGateway.create_invoice", side_effect=stripe.APIConnectionError("network down")
    ):
        invoice = deliver_and_accept(call_off, "40", rice_manager, purchaser, django_capture_on_commit_callbacks)

    assert invoice.status == Invoice.Status.DRAFT and invoice.stripe_invoice_id is None
    call_off.refresh_from_db()
    assert call_off.payment_status == PaymentStatus.UNPAID

    with django_capture_on_commit_callbacks(execute=True):
        assert fulfilment.retry_stripe_calls() == (1, 0)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.stripe_invoice_id
    assert fulfilment.retry_stripe_calls() == (0, 0)


def test_a_coordinator_retries_a_draft_invoice_from_the_admin(
    client, call_off, rice_manager, purchaser, coordinator_user, django_capture_on_commit_callbacks
):
    with mock.patch("orders.gateway.StripeGateway.create_invoice", side_effect=stripe.APIConnectionError("down")):
        invoice = deliver_and_accept(call_off, "40", rice_manager, purchaser, django_capture_on_commit_callbacks)
    client.force_login(rice_manager)
    client.post(reverse("orders_admin:invoice_retry", args=[invoice.pk]))  # refused: Wagtail redirects home
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT

    client.force_login(coordinator_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders_admin:invoice_retry", args=[invoice.pk]))

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


# --- Overdue invoices -----------------------------------------------------------------------


@pytest.fixture
def overdue(call_off, rice_manager, purchaser, django_capture_on_commit_callbacks):
    invoice = deliver_and_accept(call_off, "40", rice_manager, purchaser, django_capture_on_commit_callbacks)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=12))
    return invoice


@pytest.fixture
def far_coordinator(db):
    institution = Institution.objects.create(code="UBU", name_th="มหาวิทยาลัยอุบลราชธานี", province_code="34")
    user = UserFactory(email="ubu.coordinator@example.org")
    assign(user, province_code="34", institution=institution)
    give_totp(user)
    return user


def test_overdue_invoices_are_listed_for_the_coordinator_of_the_area_only(
    client, overdue, coordinator_user, far_coordinator, rice_manager
):
    assert list(selectors.overdue_invoices_for_coordinator(coordinator_user)) == [overdue]
    assert list(selectors.overdue_invoices_for_coordinator(far_coordinator)) == []

    client.force_login(coordinator_user)
    page = client.get(reverse("orders_admin:overdue_invoices")).content.decode()
    assert overdue.number in page and "data-days-overdue>12<" in page

    client.force_login(far_coordinator)
    assert overdue.number not in client.get(reverse("orders_admin:overdue_invoices")).content.decode()

    client.force_login(rice_manager)
    response = client.get(reverse("orders_admin:overdue_invoices"))
    assert response.status_code == 302 and overdue.number not in response.content.decode()


def test_paid_and_not_yet_due_invoices_are_not_overdue(overdue, coordinator_user):
    Invoice.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate())
    assert not selectors.overdue_invoices_for_coordinator(coordinator_user).exists()
    Invoice.objects.filter(pk=overdue.pk).update(
        status=Invoice.Status.PAID, due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    assert not selectors.overdue_invoices_for_coordinator(coordinator_user).exists()
