"""The Stripe webhook: signatures, storage once, each event's effect, and the demo pages."""

import io
import json
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cms.models import ProductPage
from orders import payments, stripe_demo, webhooks
from orders.models import Checkout, Invoice, Order, OrderEvent, OrderStatus, PaymentStatus, Refund, StripeEvent
from tests.factories import payments as payment_factories
from tests.factories.orders import active_agreement, make_product
from tests.factories.payments import make_checkout, make_invoice, make_refund, post_event

pytestmark = pytest.mark.django_db
stripe_fake = payment_factories.stripe_fake


@pytest.fixture
def checkout(stripe_fake, rice_manager, purchaser, company, rice, silk):
    """฿60 × 3 kg of rice and ฿3,500 × 2 m of silk: two orders, paid together."""
    return make_checkout([(rice, "3"), (silk, "2")], company=company, buyer=purchaser, with_session=True)


def stock_of(product):
    return ProductPage.objects.get(pk=product.pk).available_quantity


def statuses(checkout):
    checkout.refresh_from_db()
    orders = checkout.orders.order_by("pk")
    return checkout.status, [(order.status, order.payment_status) for order in orders]


# --- signatures -----------------------------------------------------------------------------


def test_valid_signature_is_stored_and_processed(client, checkout, stripe_fake):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    response = post_event(client, event)

    assert response.status_code == 200
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.type == "checkout.session.completed"
    assert row.object_id == checkout.stripe_session_id
    assert row.processed_at is not None and row.error == ""
    assert statuses(checkout)[0] == Checkout.Status.PAID


def test_forged_signature_is_400_and_stores_nothing(client, checkout, stripe_fake):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    response = post_event(client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert statuses(checkout)[0] == Checkout.Status.OPEN


def test_missing_signature_or_tampered_body_is_400(client, checkout, stripe_fake):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    assert post_event(client, event, signature="").status_code == 400
    genuine = webhooks.sign('{"other": "body"}')
    assert post_event(client, event, signature=genuine).status_code == 400
    assert not StripeEvent.objects.exists()


def test_stale_signature_is_400(client, checkout, stripe_fake):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    response = post_event(client, event, timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_get_is_not_allowed(client):
    assert client.get(reverse("payments:stripe_webhook")).status_code == 405


def test_replayed_event_is_not_processed_twice(client, checkout, stripe_fake, django_capture_on_commit_callbacks):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(client, event)
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        second = post_event(client, event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"already processed"
    assert StripeEvent.objects.count() == 1
    assert OrderEvent.objects.filter(field="payment_status", to_status=PaymentStatus.PAID).count() == 2  # two orders
    assert len(mail.outbox) == sent


def test_processing_failure_is_recorded_and_answered_500_then_retried(client, checkout, stripe_fake, monkeypatch):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(payments, "checkout_paid", broken)
    response = post_event(client, event)
    assert response.status_code == 500
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.processed_at is None and "database went away" in row.error
    assert statuses(checkout)[0] == Checkout.Status.OPEN

    monkeypatch.undo()
    assert post_event(client, event).status_code == 200
    row.refresh_from_db()
    assert row.processed_at is not None and row.error == ""
    assert statuses(checkout)[0] == Checkout.Status.PAID


def test_unknown_event_type_is_stored_and_ignored(client, stripe_fake):
    event = stripe_fake.event("customer.updated", {"id": "cus_123", "object": "customer"})

    response = post_event(client, event)

    assert response.status_code == 200
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.processed_at is not None
    assert row.error.startswith("ignored")


def test_session_of_someone_else_is_acknowledged_and_ignored(client, stripe_fake):
    event = stripe_fake.event(
        "checkout.session.completed", {"id": "cs_test_other", "object": "checkout.session", "payment_status": "paid"}
    )
    assert post_event(client, event).status_code == 200
    assert StripeEvent.objects.get().error.startswith("not ours")


def test_session_naming_a_checkout_we_do_not_have_yet_is_retried(client, stripe_fake):
    event = stripe_fake.event(
        "checkout.session.completed",
        {"id": "cs_test_x", "object": "checkout.session", "payment_status": "paid", "metadata": {"checkout": "CK-9"}},
    )
    assert post_event(client, event).status_code == 500
    assert StripeEvent.objects.get().processed_at is None


# --- checkout events ------------------------------------------------------------------------


def test_card_payment_pays_and_places_both_orders_and_mails(
    client, checkout, stripe_fake, django_capture_on_commit_callbacks, rice_manager, purchaser
):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event)

    status, orders = statuses(checkout)
    assert status == Checkout.Status.PAID
    assert orders == [(OrderStatus.PLACED, PaymentStatus.PAID)] * 2
    assert checkout.paid_at is not None
    assert checkout.payment_method == "card"
    assert checkout.stripe_payment_intent_id == stripe_fake.session(checkout.stripe_session_id)["payment_intent"]
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([rice_manager.email, "silk.manager@example.org", purchaser.email]) or (
        rice_manager.email in recipients and purchaser.email in recipients
    )
    receipt = next(message for message in mail.outbox if message.to == [purchaser.email])
    for order in checkout.orders.all():
        assert reverse("buyers:order_detail", args=[order.pk]) in receipt.body


def test_promptpay_completed_unpaid_is_processing_then_succeeds(client, checkout, stripe_fake):
    completed, succeeded = stripe_fake.complete_session(checkout.stripe_session_id, method="promptpay")

    post_event(client, completed)
    assert statuses(checkout) == (
        Checkout.Status.PROCESSING,
        [(OrderStatus.PENDING_PAYMENT, PaymentStatus.PENDING)] * 2,
    )

    post_event(client, succeeded)
    assert statuses(checkout) == (Checkout.Status.PAID, [(OrderStatus.PLACED, PaymentStatus.PAID)] * 2)
    assert checkout.payment_method == "promptpay"


def test_promptpay_failure_cancels_orders_releases_stock_and_tells_the_buyer(
    client, checkout, stripe_fake, rice, silk, purchaser, django_capture_on_commit_callbacks
):
    assert (stock_of(rice), stock_of(silk)) == (Decimal("497"), Decimal("498"))
    completed, failed = stripe_fake.complete_session(checkout.stripe_session_id, method="promptpay", outcome="failed")

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, completed)
        post_event(client, failed)

    assert statuses(checkout) == (Checkout.Status.FAILED, [(OrderStatus.CANCELLED, PaymentStatus.FAILED)] * 2)
    assert (stock_of(rice), stock_of(silk)) == (Decimal("500"), Decimal("500"))
    assert [message.to for message in mail.outbox] == [[purchaser.email]]


def test_expiry_cancels_orders_and_releases_the_reservation(client, checkout, stripe_fake, rice, silk):
    [expired] = stripe_fake.expire_session(checkout.stripe_session_id)

    post_event(client, expired)
    post_event(client, expired)  # a repeat changes nothing

    assert statuses(checkout) == (Checkout.Status.EXPIRED, [(OrderStatus.CANCELLED, PaymentStatus.UNPAID)] * 2)
    assert (stock_of(rice), stock_of(silk)) == (Decimal("500"), Decimal("500"))
    assert checkout.stock_released_at is not None


def test_completed_unpaid_arriving_after_async_success_does_not_undo_the_payment(client, checkout, stripe_fake):
    completed, succeeded = stripe_fake.complete_session(checkout.stripe_session_id, method="promptpay")

    post_event(client, succeeded)
    post_event(client, completed)

    assert statuses(checkout) == (Checkout.Status.PAID, [(OrderStatus.PLACED, PaymentStatus.PAID)] * 2)


def test_expired_after_paid_changes_nothing_and_keeps_stock_taken(client, checkout, stripe_fake, rice):
    [completed] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    post_event(client, completed)
    late = stripe_fake.event("checkout.session.expired", stripe_fake.session(checkout.stripe_session_id))

    post_event(client, late)

    assert statuses(checkout)[0] == Checkout.Status.PAID
    assert stock_of(rice) == Decimal("497")


# --- invoices -------------------------------------------------------------------------------


@pytest.fixture
def call_off(stripe_fake, purchaser, company):
    agreement = active_agreement(company=company)
    line = agreement.lines.get()
    return Order.objects.create(
        number="CO-TEST-000042",
        kind=Order.Kind.CONTRACT,
        company=company,
        group=line.product.get_parent().specific.group,
        agreement=agreement,
        placed_by=purchaser,
    )


def test_invoice_paid_marks_invoice_and_order_paid(client, call_off, stripe_fake):
    invoice = make_invoice(call_off, "1100.00")
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.INVOICED

    post_event(client, stripe_fake.pay_invoice(invoice.stripe_invoice_id)[0])

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at is not None
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.PAID


def test_order_stays_invoiced_while_another_invoice_is_open(client, call_off, stripe_fake):
    first = make_invoice(call_off, "500.00")
    second = make_invoice(call_off, "600.00")

    post_event(client, stripe_fake.pay_invoice(first.stripe_invoice_id)[0])
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.INVOICED

    post_event(client, stripe_fake.pay_invoice(second.stripe_invoice_id)[0])
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.PAID


def test_invoice_payment_failed_keeps_it_open_and_mails_billing_and_purchaser(
    client, call_off, stripe_fake, purchaser, django_capture_on_commit_callbacks
):
    invoice = make_invoice(call_off, "1100.00")

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, stripe_fake.fail_invoice_payment(invoice.stripe_invoice_id)[0])

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert "attempt 1 failed" in invoice.last_payment_error
    assert sorted(message.to[0] for message in mail.outbox) == sorted([purchaser.email, call_off.company.billing_email])
    assert all(invoice.hosted_invoice_url in message.body for message in mail.outbox)


def test_late_payment_failure_after_paid_changes_nothing(client, call_off, stripe_fake):
    invoice = make_invoice(call_off, "1100.00")
    [failed] = stripe_fake.fail_invoice_payment(invoice.stripe_invoice_id)
    [paid] = stripe_fake.pay_invoice(invoice.stripe_invoice_id)

    post_event(client, paid)
    post_event(client, failed)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.last_payment_error == ""


def test_invoice_voided_leaves_the_order_unpaid(client, call_off, stripe_fake):
    from orders import gateway

    invoice = make_invoice(call_off, "1100.00")
    gateway.get_gateway().void_invoice(invoice.stripe_invoice_id)
    voided = next(event for event in stripe_fake.take_outbox() if event["type"] == "invoice.voided")

    post_event(client, voided)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.UNPAID


def test_invoice_voided_with_another_paid_leaves_the_order_paid(client, call_off, stripe_fake):
    from orders import gateway

    paid = make_invoice(call_off, "500.00")
    post_event(client, stripe_fake.pay_invoice(paid.stripe_invoice_id)[0])
    other = make_invoice(call_off, "600.00")
    gateway.get_gateway().void_invoice(other.stripe_invoice_id)

    stripe_demo.deliver_outbox()

    assert Invoice.objects.get(pk=other.pk).status == Invoice.Status.VOID
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.PAID


# --- refunds --------------------------------------------------------------------------------


def test_charge_refunded_marks_refunds_and_a_full_refund_refunds_the_order(client, stripe_fake, purchaser):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "5")], buyer=purchaser, with_session=True)
    post_event(client, stripe_fake.complete_session(checkout.stripe_session_id, method="card")[0])
    order = checkout.orders.get()
    assert order.payment_status == PaymentStatus.PAID

    partial = make_refund(order, "100.00")
    [event] = stripe_fake.take_outbox()[-1:]
    post_event(client, event)
    assert Refund.objects.get(pk=partial.pk).status == Refund.Status.SUCCEEDED
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.PAID

    rest = make_refund(order, "200.00")
    stripe_demo.deliver_outbox()
    assert Refund.objects.get(pk=rest.pk).status == Refund.Status.SUCCEEDED
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.REFUNDED


def test_charge_refunded_before_our_refund_row_has_its_id_is_retried(client, stripe_fake, purchaser):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "5")], buyer=purchaser, with_session=True)
    post_event(client, stripe_fake.complete_session(checkout.stripe_session_id, method="card")[0])
    refund = make_refund(checkout.orders.get(), "100.00")
    Refund.objects.filter(pk=refund.pk).update(stripe_refund_id=None)  # as if not yet committed
    [event] = stripe_fake.take_outbox()[-1:]

    assert post_event(client, event).status_code == 500
    Refund.objects.filter(pk=refund.pk).update(stripe_refund_id=refund.stripe_refund_id)
    assert post_event(client, event).status_code == 200
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED


# --- demo pages -----------------------------------------------------------------------------


def test_demo_checkout_page_shows_amount_and_pays_by_card(client, checkout, stripe_fake):
    url = reverse("payments:demo_checkout", args=[checkout.stripe_session_id])
    assert checkout.stripe_session_url == url

    page = client.get(url)
    assert page.status_code == 200
    assert "฿7,180.00" in page.content.decode()

    response = client.post(url, {"action": "card"})

    assert response.status_code == 302 and response.url == "http://testserver/done/"
    assert statuses(checkout) == (Checkout.Status.PAID, [(OrderStatus.PLACED, PaymentStatus.PAID)] * 2)
    assert StripeEvent.objects.filter(type="checkout.session.completed", processed_at__isnull=False).exists()


def test_demo_promptpay_shows_a_qr_then_pays_asynchronously(client, checkout, stripe_fake):
    url = reverse("payments:demo_checkout", args=[checkout.stripe_session_id])
    page = client.get(url, {"method": "promptpay"})
    assert b"<svg" in page.content

    client.post(url, {"action": "promptpay"})

    assert statuses(checkout)[0] == Checkout.Status.PAID
    assert checkout.payment_method == "promptpay"
    assert list(StripeEvent.objects.order_by("pk").values_list("type", flat=True)) == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]


def test_demo_fail_button_fails_the_checkout(client, checkout, stripe_fake, rice):
    url = reverse("payments:demo_checkout", args=[checkout.stripe_session_id])
    response = client.post(url, {"action": "fail"})
    assert response.url == "http://testserver/cart/"
    assert statuses(checkout)[0] == Checkout.Status.FAILED
    assert stock_of(rice) == Decimal("500")


def test_demo_invoice_page_pays_the_invoice(client, call_off, stripe_fake):
    invoice = make_invoice(call_off, "1100.00")
    assert invoice.hosted_invoice_url == reverse("payments:demo_invoice", args=[invoice.stripe_invoice_id])

    client.post(invoice.hosted_invoice_url, {"action": "pay"})

    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    assert 'data-invoice-status="paid"' in client.get(invoice.hosted_invoice_url).content.decode()


def test_demo_pages_are_404_when_keys_are_set(client, checkout, call_off, stripe_fake, settings):
    invoice = make_invoice(call_off, "1100.00")
    settings.STRIPE_SECRET_KEY = "sk_live_example"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_live"

    assert client.get(reverse("payments:demo_checkout", args=[checkout.stripe_session_id])).status_code == 404
    assert client.post(checkout.stripe_session_url, {"action": "card"}).status_code == 404
    assert client.get(invoice.hosted_invoice_url).status_code == 404
    assert statuses(checkout)[0] == Checkout.Status.OPEN


def test_demo_page_of_unknown_session_is_404(client, stripe_fake):
    assert client.get(reverse("payments:demo_checkout", args=["cs_test_unknown"])).status_code == 404


def test_the_offline_secret_is_refused_when_live_keys_are_set(client, checkout, stripe_fake, settings):
    [event] = stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    signature = webhooks.sign(json.dumps(event))  # with the offline secret, before keys are set
    settings.STRIPE_SECRET_KEY = "sk_live_example"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_live"
    assert post_event(client, event, signature=signature).status_code == 400


# --- expire_checkouts -----------------------------------------------------------------------


def test_expire_checkouts_settles_lost_webhooks_from_stripe(stripe_fake, rice, silk):
    long_ago = timezone.now() - timezone.timedelta(hours=2)
    expired = make_checkout([(rice, "1")], with_session=True)
    stripe_fake.expire_session(expired.stripe_session_id)  # the webhook never arrived
    paid = make_checkout([(silk, "1")], with_session=True)
    stripe_fake.complete_session(paid.stripe_session_id, method="card")
    fresh = make_checkout([(rice, "2")], with_session=True)
    Checkout.objects.filter(pk__in=[expired.pk, paid.pk]).update(expires_at=long_ago)

    call_command("expire_checkouts", stdout=io.StringIO())

    assert Checkout.objects.get(pk=expired.pk).status == Checkout.Status.EXPIRED
    assert Checkout.objects.get(pk=paid.pk).status == Checkout.Status.PAID
    assert Checkout.objects.get(pk=fresh.pk).status == Checkout.Status.OPEN
    assert stock_of(rice) == Decimal("498")  # the expired 1 kg is back, the fresh 2 kg still held
