"""Deliveries, acceptance, refunds for rejected paid goods, auto-acceptance, cancellation rules,
completion and the emails of each step (orders.fulfilment)."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image

from marketplace.models import AuditEvent
from orders import fulfilment, services
from orders.fulfilment import LineDecision
from orders.models import (
    Delivery,
    DeliveryLine,
    FulfilmentStatus,
    Invoice,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    Refund,
)
from orders.services import TransitionError
from orders.stripe_fake import FAKE
from tests.factories.orders import active_agreement, confirmed_call_off, paid_marketplace_order

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def active(agreement):
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def rice_line(active):
    return active.lines.order_by("pk").first()


@pytest.fixture
def call_off(active, rice_line, purchaser, rice_manager):
    """50 kg of rice at ฿55, confirmed by the rice group."""
    return confirmed_call_off(active, {rice_line: "50"}, placed_by=purchaser, manager=rice_manager)


@pytest.fixture
def market_order(company, purchaser, rice, rice_manager):
    """10 kg of rice at ฿60 bought on the marketplace, paid, confirmed by the group."""
    order = paid_marketplace_order(company=company, lines=[(rice, "10")], placed_by=purchaser)
    return services.order_confirm(order=order, actor=rice_manager)


def deliver(order, quantity, actor, **fields):
    line = order.lines.get()
    return fulfilment.delivery_record(
        order=order, quantities={line.pk: Decimal(quantity)}, delivered_on=TODAY(), actor=actor, **fields
    )


def accept_all(delivery, actor):
    decisions = {line.pk: LineDecision(accepted=line.quantity) for line in delivery.lines.all()}
    return fulfilment.delivery_accept(delivery=delivery, decisions=decisions, actor=actor)


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- Deliveries -----------------------------------------------------------------------------


def test_a_partial_delivery_then_the_rest(call_off, rice_manager):
    first = deliver(call_off, "20", rice_manager, note_number="DN-001", note="รถกระบะของกลุ่ม")

    call_off.refresh_from_db()
    assert first.number.startswith("DL-") and first.status == Delivery.Status.AWAITING
    assert call_off.fulfilment_status == FulfilmentStatus.PARTIAL
    assert OrderEvent.objects.filter(order=call_off, field="delivery", to_status=first.number).exists()
    assert AuditEvent.objects.filter(action="delivery.recorded", object_id=str(first.pk)).exists()

    deliver(call_off, "30", rice_manager)

    call_off.refresh_from_db()
    assert call_off.fulfilment_status == FulfilmentStatus.DELIVERED
    assert sum(DeliveryLine.objects.filter(order_line__order=call_off).values_list("quantity", flat=True)) == 50


def test_never_more_than_ordered_minus_delivered(call_off, rice_manager):
    deliver(call_off, "45", rice_manager)

    with pytest.raises(ValidationError) as error:
        deliver(call_off, "6", rice_manager)

    assert "only 5 kilogram remain to be delivered" in error.value.messages[0]
    assert Delivery.objects.filter(order=call_off).count() == 1


def test_only_confirmed_orders_are_delivered(active, rice_line, purchaser, rice_manager):
    [placed] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("20")}, placed_by=purchaser)

    with pytest.raises(TransitionError):
        deliver(placed, "20", rice_manager)


def test_a_delivery_date_in_the_future_is_refused(call_off, rice_manager):
    line = call_off.lines.get()
    with pytest.raises(ValidationError):
        fulfilment.delivery_record(
            order=call_off,
            quantities={line.pk: Decimal("5")},
            delivered_on=TODAY() + datetime.timedelta(days=1),
            actor=rice_manager,
        )


def test_a_photo_is_stored_privately_and_a_non_image_refused(call_off, rice_manager):
    photo = SimpleUploadedFile("truck.png", png_bytes(), content_type="image/png")
    delivery = deliver(call_off, "10", rice_manager, photo=photo)
    assert delivery.photo.name.startswith(f"deliveries/{call_off.pk}/")
    with pytest.raises(ValueError):
        delivery.photo.url

    fake = SimpleUploadedFile("truck.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError):
        deliver(call_off, "10", rice_manager, photo=fake)


def test_the_purchaser_is_emailed_after_the_delivery_commits(
    call_off, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = deliver(call_off, "20", rice_manager)

    assert [message.to for message in mail.outbox] == [[purchaser.email]]
    assert delivery.number in mail.outbox[0].subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_deliveries_never_exceed_the_ordered_quantity(purchaser, company):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections recording deliveries at once")
    agreement = active_agreement(company=company, committed="100")
    line = agreement.lines.get()
    order = confirmed_call_off(agreement, {line: "30"}, placed_by=purchaser)
    order_line = order.lines.get()
    contenders = 8  # each delivers 10 of 30: exactly 3 succeed
    start = threading.Barrier(contenders)
    won, lost, crashed = [], [], []

    def record():
        try:
            translation.activate("en")
            start.wait()
            try:
                won.append(
                    fulfilment.delivery_record(
                        order=order, quantities={order_line.pk: Decimal("10")}, delivered_on=TODAY(), actor=None
                    )
                )
            except ValidationError as error:
                lost.append(error.messages)
        except Exception as error:
            crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashed == []
    assert len(won) == 3 and len(lost) == contenders - 3
    assert sum(DeliveryLine.objects.filter(order_line=order_line).values_list("quantity", flat=True)) == Decimal("30")
    order.refresh_from_db()
    assert order.fulfilment_status == FulfilmentStatus.DELIVERED


# --- Acceptance -----------------------------------------------------------------------------


def test_acceptance_with_a_rejection_needs_a_reason(call_off, rice_manager, purchaser):
    delivery = deliver(call_off, "20", rice_manager)
    line = delivery.lines.get()

    with pytest.raises(ValidationError) as error:
        fulfilment.delivery_accept(
            delivery=delivery, decisions={line.pk: LineDecision(Decimal("18"), Decimal("2"), "")}, actor=purchaser
        )
    assert "say why" in error.value.messages[0]

    with pytest.raises(ValidationError) as error:
        fulfilment.delivery_accept(
            delivery=delivery, decisions={line.pk: LineDecision(Decimal("18"), Decimal("1"), "wet")}, actor=purchaser
        )
    assert "add up to the 20 kilogram delivered" in error.value.messages[0]

    fulfilment.delivery_accept(
        delivery=delivery,
        decisions={line.pk: LineDecision(Decimal("18"), Decimal("2"), "กระสอบเปียกน้ำ")},
        actor=purchaser,
    )

    delivery.refresh_from_db()
    line.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED and delivery.accepted_by == purchaser
    assert (line.accepted_quantity, line.rejected_quantity, line.rejection_reason) == (18, 2, "กระสอบเปียกน้ำ")
    event = OrderEvent.objects.get(order=call_off, field="acceptance")
    assert "กระสอบเปียกน้ำ" in event.note
    # a contract order: the accepted value is invoiced, nothing refunded
    invoice = Invoice.objects.get(delivery=delivery)
    assert invoice.amount == Decimal("990.00")  # 18 × ฿55
    assert not Refund.objects.exists()


def test_a_delivery_is_answered_once(call_off, rice_manager, purchaser):
    delivery = deliver(call_off, "20", rice_manager)
    accept_all(delivery, purchaser)

    with pytest.raises(ValidationError):
        accept_all(delivery, purchaser)


def test_rejected_paid_goods_are_refunded_through_stripe(
    market_order, rice_manager, purchaser, fake_stripe, django_capture_on_commit_callbacks
):
    delivery = deliver(market_order, "10", rice_manager)
    line = delivery.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.delivery_accept(
            delivery=delivery,
            decisions={line.pk: LineDecision(Decimal("7.5"), Decimal("2.5"), "ข้าวมีมอด")},
            actor=purchaser,
        )

    refund = Refund.objects.get(order=market_order)
    assert refund.amount == Decimal("150.00")  # 2.5 kg × ฿60
    assert refund.delivery == delivery and refund.status == Refund.Status.PENDING  # until charge.refunded
    [request] = [r for r in fake_stripe.requests if r.path == "/v1/refunds"]
    assert request.params["amount"] == "15000"
    assert request.params["payment_intent"] == market_order.checkout.stripe_payment_intent_id
    assert request.idempotency_key == f"refund-{refund.pk}"
    assert refund.stripe_refund_id.startswith("re_")
    assert OrderEvent.objects.filter(order=market_order, field="refund").exists()
    assert not Invoice.objects.exists()  # marketplace orders are paid at checkout


def test_a_marketplace_order_completes_when_delivered_and_accepted(
    market_order, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    deliver(market_order, "4", rice_manager)
    delivery = deliver(market_order, "6", rice_manager)
    accept_all(market_order.deliveries.first(), purchaser)
    market_order.refresh_from_db()
    assert market_order.status == OrderStatus.CONFIRMED  # one delivery still awaits an answer

    for person in (purchaser, rice_manager):  # emails go out in each recipient's language
        person.preferred_language = "en"
        person.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accept_all(delivery, purchaser)

    market_order.refresh_from_db()
    assert market_order.status == OrderStatus.COMPLETED
    completed = [
        message for message in mail.outbox if market_order.number in message.subject and "completed" in message.subject
    ]
    assert sorted(message.to[0] for message in completed) == [purchaser.email, rice_manager.email]


def test_the_group_managers_are_told_what_was_accepted(
    call_off, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    delivery = deliver(call_off, "20", rice_manager)
    line = delivery.lines.get()
    rice_manager.preferred_language = "en"  # emails go out in the recipient's language
    rice_manager.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.delivery_accept(
            delivery=delivery,
            decisions={line.pk: LineDecision(Decimal("19"), Decimal("1"), "torn sack")},
            actor=purchaser,
        )

    to_managers = [message for message in mail.outbox if message.to == [rice_manager.email]]
    assert len(to_managers) == 1
    assert "accepted in part" in to_managers[0].subject
    assert "torn sack" in to_managers[0].body


# --- Auto-acceptance ------------------------------------------------------------------------


@override_settings(ORDERS_AUTO_ACCEPT_DAYS=7)
def test_deliveries_left_unanswered_are_accepted_after_n_days(
    call_off, rice_manager, django_capture_on_commit_callbacks
):
    old = deliver(call_off, "20", rice_manager)
    recent = deliver(call_off, "10", rice_manager)
    Delivery.objects.filter(pk=old.pk).update(recorded_at=timezone.now() - datetime.timedelta(days=8))
    Delivery.objects.filter(pk=recent.pk).update(recorded_at=timezone.now() - datetime.timedelta(days=6))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("auto_accept_deliveries", stdout=io.StringIO())

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Delivery.Status.ACCEPTED and old.auto_accepted and old.accepted_by is None
    assert old.lines.get().accepted_quantity == Decimal("20")
    assert recent.status == Delivery.Status.AWAITING
    assert AuditEvent.objects.filter(action="delivery.accepted", object_id=str(old.pk), actor=None).exists()
    assert Invoice.objects.filter(delivery=old, status=Invoice.Status.OPEN).exists()


# --- Cancellation rules ---------------------------------------------------------------------


def test_the_buyer_cancels_a_placed_paid_order_and_is_refunded_in_full(
    company, purchaser, rice, rice_manager, fake_stripe, django_capture_on_commit_callbacks
):
    order = paid_marketplace_order(company=company, lines=[(rice, "10")], placed_by=purchaser)
    stock_before = type(rice).objects.get(pk=rice.pk).available_quantity
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.order_cancel_by_buyer(order=order, actor=purchaser, note="สั่งผิด")

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    refund = Refund.objects.get(order=order)
    assert refund.amount == Decimal("600.00")
    assert [r.params["amount"] for r in fake_stripe.requests if r.path == "/v1/refunds"] == ["60000"]
    assert type(rice).objects.get(pk=rice.pk).available_quantity == stock_before + 10
    assert [message.to for message in mail.outbox] == [[rice_manager.email]]  # the other party


def test_the_buyer_cannot_cancel_a_confirmed_order(call_off, purchaser):
    with pytest.raises(TransitionError):
        fulfilment.order_cancel_by_buyer(order=call_off, actor=purchaser)


def test_the_group_cancels_a_confirmed_order_with_a_reason_before_delivery(
    market_order, rice_manager, purchaser, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        fulfilment.order_cancel_by_group(order=market_order, actor=rice_manager, reason=" ")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.order_cancel_by_group(order=market_order, actor=rice_manager, reason="น้ำท่วมโรงสี")

    market_order.refresh_from_db()
    assert market_order.status == OrderStatus.CANCELLED
    assert Refund.objects.get(order=market_order).amount == Decimal("600.00")
    assert [message.to for message in mail.outbox] == [[purchaser.email]]
    assert "น้ำท่วมโรงสี" in mail.outbox[0].body


def test_nothing_is_cancelled_after_a_delivery(call_off, rice_manager, purchaser):
    deliver(call_off, "5", rice_manager)

    assert not fulfilment.can_group_cancel(call_off)
    with pytest.raises(TransitionError):
        fulfilment.order_cancel_by_group(order=call_off, actor=rice_manager, reason="late")
    with pytest.raises(TransitionError):
        fulfilment.order_cancel_by_buyer(order=call_off, actor=purchaser)
    assert Order.objects.get(pk=call_off.pk).status == OrderStatus.CONFIRMED


def test_a_cancelled_call_off_is_not_refunded_and_its_quantity_returns(call_off, rice_manager, rice_line):
    fulfilment.order_cancel_by_group(order=call_off, actor=rice_manager, reason="ผลผลิตเสียหาย")

    assert not Refund.objects.exists()
    line = type(rice_line).objects.with_quantities().get(pk=rice_line.pk)
    assert line.ordered_quantity == 0
    assert Order.objects.get(pk=call_off.pk).payment_status == PaymentStatus.UNPAID


# --- Agreement performance ------------------------------------------------------------------


def test_agreement_performance_sums_deliveries_acceptance_and_invoices(
    active, rice_line, purchaser, rice_manager, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from orders import payments, selectors

    first = confirmed_call_off(active, {rice_line: "30"}, placed_by=purchaser, manager=rice_manager)
    second = confirmed_call_off(active, {rice_line: "20"}, placed_by=purchaser, manager=rice_manager)
    paid_delivery = deliver(first, "30", rice_manager)
    open_delivery = deliver(second, "15", rice_manager)
    deliver(second, "5", rice_manager)  # awaiting acceptance
    with django_capture_on_commit_callbacks(execute=True):
        line = paid_delivery.lines.get()
        fulfilment.delivery_accept(
            delivery=paid_delivery,
            decisions={line.pk: LineDecision(Decimal("28"), Decimal("2"), "mouldy")},
            actor=purchaser,
        )
        accept_all(open_delivery, purchaser)
    payments.invoice_paid(invoice=Invoice.objects.get(delivery=paid_delivery))

    with django_assert_max_num_queries(2):
        rice, silk = selectors.agreement_performance(active)

    assert (rice.committed, rice.ordered) == (100, 50)
    assert (rice.delivered, rice.accepted, rice.invoiced, rice.paid) == (50, 43, 43, 28)
    assert rice.percent_fulfilled == Decimal("50.0")
    assert (silk.delivered, silk.accepted, silk.invoiced, silk.paid) == (0, 0, 0, 0)
