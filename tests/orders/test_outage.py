"""Production behaviour when the mail server or Stripe is down: the write commits and the user or
API client gets its 2xx; the mail waits in the outbox and Stripe calls wait as DRAFT/PENDING rows;
both go out exactly once when the service comes back (#15).

These tests commit for real (transaction=True): the outbox hands messages to the task backend only
after a commit, which is the path production takes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from marketplace import outbox
from marketplace.models import OutboxMessage
from orders import cart as carts
from orders import fulfilment, services
from orders.models import Cart, Checkout, Invoice, Order, OrderStatus, Refund
from orders.stripe_fake import FAKE
from tests.api.conftest import ApiClient, make_key
from tests.factories.orders import AgreementFactory, add_line
from tests.factories.payments import make_checkout, post_event
from tests.smtp import SMTPServer, free_port

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def smtp_down(settings):
    """Production mail settings pointing at a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    return settings


@pytest.fixture(autouse=True)
def _stripe_up():
    FAKE.reset()
    yield
    FAKE.reset()


@pytest.fixture
def agreement(company, rice, silk):
    agreement = AgreementFactory(company=company, code="KSU-MOU-2569-077")
    add_line(agreement, rice, committed="100", price="55.00")
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def api(company, purchaser):
    client = ApiClient(make_key(company, ("read", "order"), created_by=purchaser)[1])
    client.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def bring_smtp_up_and_send(settings, server: SMTPServer) -> None:
    settings.EMAIL_PORT = server.port
    # The retries are due, and run_outbox's grace is over: what the clock would do, without waiting.
    OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).update(
        next_attempt_at=timezone.now() - outbox.GRACE
    )
    call_command("run_outbox")


def test_smtp_down_call_off_201_cancel_200_then_every_mail_delivered_once(
    smtp_down, api, agreement, rice_manager, purchaser
):
    line = agreement.lines.get()

    placed = api.post(
        f"agreements/{agreement.code}/calloffs",
        {"lines": [{"line_id": line.pk, "quantity": "20"}]},
        headers={"Idempotency-Key": "po-outage-1"},
    )
    assert placed.status_code == 201, placed.content
    number = placed.json()["orders"][0]["number"]
    cancelled = api.post(f"orders/{number}/cancel", {"note": "Wrong PO"})
    assert cancelled.status_code == 200, cancelled.content

    order = Order.objects.get(number=number)
    assert order.status == OrderStatus.CANCELLED
    queued = OutboxMessage.objects.order_by("pk")
    assert [(m.kind, m.to) for m in queued] == [
        ("call_off_placed", "rice.manager@example.org"),
        ("order_cancelled", "rice.manager@example.org"),
    ]
    assert all(m.status == OutboxMessage.Status.QUEUED and m.attempts == 1 for m in queued)
    assert all("refused" in m.last_error.lower() or "connect" in m.last_error.lower() for m in queued)
    assert all(m.next_attempt_at > timezone.now() for m in queued)

    with SMTPServer() as server:
        bring_smtp_up_and_send(smtp_down, server)
        assert sorted(m["To"] for m in server.messages) == ["rice.manager@example.org"] * 2
        assert {m["Message-ID"] for m in server.messages} == {outbox.message_id_header(m) for m in queued}
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
        call_command("run_outbox")  # nothing is due any more: nothing is sent twice
        assert len(server.messages) == 2


def test_smtp_down_checkout_and_webhook_answer_normally(smtp_down, client, company, purchaser, rice, rice_manager):
    cart, _ = Cart.objects.get_or_create(user=purchaser)
    carts.cart_add(cart=cart, product=rice, quantity=Decimal("3"))
    client.force_login(purchaser)

    response = client.post(reverse("cart:checkout"))

    checkout = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"] == checkout.stripe_session_url
    [event] = FAKE.complete_session(checkout.stripe_session_id, method="card")
    assert post_event(client, event).status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == Checkout.Status.PAID
    kinds = sorted(OutboxMessage.objects.values_list("kind", flat=True))
    assert kinds == ["payment_order_paid", "payment_receipt"]
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).exists()

    with SMTPServer() as server:
        bring_smtp_up_and_send(smtp_down, server)
        assert sorted(m["To"] for m in server.messages) == sorted([purchaser.email, rice_manager.email])
        # The same webhook again (Stripe retries): no second order, no second mail.
        assert post_event(client, event).status_code == 200
        call_command("run_outbox")
        assert len(server.messages) == 2


def test_a_message_left_sending_by_a_dead_worker_is_sent_again_exactly_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    message = OutboxMessage.objects.create(
        key="test:dead-worker", to="someone@example.org", subject="s", body="b", kind="test"
    )
    # The worker claimed it (attempt 1) and died before it could record anything.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - outbox.STALE_AFTER - datetime.timedelta(seconds=1),
    )
    with SMTPServer() as server:
        settings.EMAIL_PORT = server.port
        call_command("run_outbox")
        call_command("run_outbox")
        assert len(server.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)


def test_a_message_another_worker_is_sending_now_is_left_alone(settings):
    message = OutboxMessage.objects.create(key="test:busy", to="a@example.org", subject="s", body="b", kind="test")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING, attempts=1, claimed_at=timezone.now()
    )
    assert outbox.deliver(message.pk) == "skipped"
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


def accepted_with_stripe_down(api, agreement, purchaser, rice_manager) -> Invoice:
    line = agreement.lines.get()
    [order] = services.call_off_place(agreement=agreement, quantities={line.pk: Decimal("20")}, placed_by=purchaser)
    services.order_confirm(order=order, actor=rice_manager)
    delivery = fulfilment.delivery_record(
        order=order,
        quantities={order.lines.get().pk: Decimal("20")},
        delivered_on=timezone.localdate(),
        actor=rice_manager,
    )
    FAKE.outage = 500
    response = api.post(
        f"deliveries/{delivery.pk}/acceptance",
        {"lines": [{"delivery_line_id": delivery.lines.get().pk, "accepted": "20", "rejected": "0"}]},
    )
    assert response.status_code == 200, response.content
    return Invoice.objects.get(order=order)


def stripe_objects(kind: str) -> list[dict]:
    return [o for o in FAKE.objects.values() if o.get("object") == kind]


def test_stripe_down_acceptance_answers_200_and_the_invoice_follows_once(api, agreement, purchaser, rice_manager):
    invoice = accepted_with_stripe_down(api, agreement, purchaser, rice_manager)
    assert (invoice.status, invoice.stripe_invoice_id) == (Invoice.Status.DRAFT, None)

    FAKE.outage = "timeout"
    call_command("retry_stripe_calls")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.DRAFT

    FAKE.outage = None
    call_command("retry_stripe_calls")
    call_command("retry_stripe_calls")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.stripe_invoice_id
    assert [o["id"] for o in stripe_objects("invoice")] == [invoice.stripe_invoice_id]


def test_an_invoice_job_rerun_after_a_lost_answer_makes_one_stripe_invoice(api, agreement, purchaser, rice_manager):
    """The worker died after Stripe created the invoice but before we stored its id: the rerun
    sends the same idempotency keys and Stripe answers with the first invoice."""
    from orders.gateway import get_gateway

    invoice = accepted_with_stripe_down(api, agreement, purchaser, rice_manager)
    FAKE.outage = None
    get_gateway().create_invoice(invoice=invoice, lines=fulfilment.invoice_lines(invoice), days_until_due=30)

    fulfilment.issue_invoice.call(invoice.pk)
    fulfilment.issue_invoice.call(invoice.pk)

    invoice.refresh_from_db()
    assert [o["id"] for o in stripe_objects("invoice")] == [invoice.stripe_invoice_id]
    assert invoice.status == Invoice.Status.OPEN


@pytest.mark.parametrize("outage", [500, "timeout"])
def test_stripe_down_at_checkout_keeps_the_cart_and_releases_the_stock(client, company, purchaser, rice, outage):
    cart, _ = Cart.objects.get_or_create(user=purchaser)
    carts.cart_add(cart=cart, product=rice, quantity=Decimal("10"))
    client.force_login(purchaser)
    FAKE.outage = outage

    response = client.post(reverse("cart:checkout"), follow=True)

    assert response.status_code == 200
    assert "The payment page could not be opened" in response.content.decode()
    assert Checkout.objects.get().status == Checkout.Status.FAILED
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Cart.objects.get(user=purchaser).items.count() == 1


def test_stripe_down_a_cancelled_paid_orders_refund_is_sent_once_it_is_back(client, company, purchaser, rice):
    checkout = make_checkout([(rice, "3")], company=company, buyer=purchaser, with_session=True)
    [event] = FAKE.complete_session(checkout.stripe_session_id, method="card")
    assert post_event(client, event).status_code == 200
    order = checkout.orders.get()
    FAKE.outage = 500

    fulfilment.order_cancel_by_buyer(order=order, actor=purchaser, note="Ordered twice")

    refund = Refund.objects.get(order=order)
    assert (refund.status, refund.stripe_refund_id) == (Refund.Status.PENDING, None)
    FAKE.outage = None
    call_command("retry_stripe_calls")
    call_command("retry_stripe_calls")
    refund.refresh_from_db()
    assert [o["id"] for o in stripe_objects("refund")] == [refund.stripe_refund_id]


def test_run_outbox_leaves_a_fresh_message_to_its_job(settings):
    message = OutboxMessage.objects.create(
        key="test:fresh", to="a@example.org", subject="s", body="b", kind="test", next_attempt_at=timezone.now()
    )
    assert not outbox.due().filter(pk=message.pk).exists()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - outbox.GRACE)
    assert outbox.due().filter(pk=message.pk).exists()
