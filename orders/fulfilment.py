"""After an order is confirmed: deliveries, the buyer's acceptance, invoices for accepted contract
goods, refunds for rejected or cancelled paid goods, cancellation rules, and completion.

Locking: every write that depends on what was already delivered or accepted first locks the order
row (`select_for_update`), so two delivery submissions for the same order queue behind each other
and the second sees the first's lines; on SQLite the IMMEDIATE transaction mode serialises writers.

Stripe calls never run inside these transactions, nor in the request: a slow or failing Stripe must
neither hold row locks, nor roll back the acceptance the buyer just made, nor change its answer.
After the commit they are handed to the task backend (`issue_invoice`, `send_refund` below;
`db_worker` in production), and a failed call is retried later:

* an invoice whose Stripe call failed stays DRAFT with no Stripe id; a refund stays PENDING with no
  Stripe id. `retry_stripe_calls()` sends them again; `manage.py retry_stripe_calls` runs it every
  ten minutes (deploy/), and a coordinator can retry an invoice from the order's admin page.
* the gateway's idempotency keys ("invoice-<number>", "refund-<pk>") make a retry of a call that
  did reach Stripe return the same object instead of creating a second one.
"""

from __future__ import annotations

import datetime
import io
import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from marketplace import audit
from marketplace.money import format_baht

from . import emails, hooks, stock
from .models import (
    ZERO,
    Delivery,
    DeliveryLine,
    FulfilmentStatus,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Refund,
)
from .services import TransitionError, order_transition, quantity_text, unit_label

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


class LineDecision(NamedTuple):
    """The buyer's answer for one delivered line: accepted + rejected = delivered."""

    accepted: Decimal
    rejected: Decimal = ZERO
    reason: str = ""


# --- Deliveries -----------------------------------------------------------------------------


def validate_delivery_photo(file) -> None:
    """A photo of the delivery: an image Pillow can read (checked by its content, not its name),
    JPEG, PNG or WebP, at most 10 MB."""
    from PIL import Image

    if file.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."), code="too_large")
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        data = file.read()
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds for broken or hostile files
        raise ValidationError(_("The photo is not an image we can read."), code="not_image") from None
    finally:
        file.seek(position)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(_("The photo must be a JPEG, PNG or WebP image."), code="bad_format")


def delivered_quantities(order_id: int) -> dict[int, Decimal]:
    """{order line id: quantity delivered so far}. Call while holding the order's row lock when the
    answer decides a write."""
    rows = (
        DeliveryLine.objects.filter(order_line__order_id=order_id)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["order_line_id"]: row["total"] for row in rows}


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=order.pk)


def _temporary_number() -> str:
    return f"tmp-{uuid.uuid4().hex[:24]}"  # replaced by the real number once the row has its id


def delivery_record(
    *,
    order: Order,
    quantities: Mapping[int, Decimal],
    delivered_on: datetime.date,
    actor,
    note_number: str = "",
    note: str = "",
    photo=None,
) -> Delivery:
    """The group hands over goods for a confirmed order: {order line id: quantity} (0 or missing:
    not in this delivery). Never more than ordered − already delivered on any line.

    The caller checks that `actor` manages the order's group."""
    wanted = {int(pk): Decimal(q) for pk, q in quantities.items() if q is not None and Decimal(q) != 0}
    if not wanted:
        raise ValidationError(_("Enter a delivered quantity for at least one line."))
    if delivered_on > timezone.localdate():
        raise ValidationError(_("The delivery date cannot be in the future."))
    if photo:
        validate_delivery_photo(photo)
    with transaction.atomic():
        order = _lock_order(order)
        if order.status != OrderStatus.CONFIRMED:
            raise TransitionError(
                _("Order %(number)s is %(status)s: deliveries are recorded only for confirmed orders.")
                % {"number": order.number, "status": OrderStatus(order.status).label},
                code="not_confirmed",
            )
        lines = {line.pk: line for line in order.lines.all()}
        if not set(wanted) <= set(lines):
            raise ValidationError(_("A line of this delivery is not part of the order."))
        delivered = delivered_quantities(order.pk)
        problems = []
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            open_quantity = line.quantity - delivered.get(line_id, ZERO)
            if quantity < 0:
                problems.append(_("“%(product)s”: enter a quantity above 0.") % {"product": line.product_name})
            elif quantity > open_quantity:
                problems.append(
                    _("“%(product)s”: only %(open)s %(unit)s remain to be delivered.")
                    % {
                        "product": line.product_name,
                        "open": quantity_text(max(open_quantity, ZERO)),
                        "unit": unit_label(line.unit),
                    }
                )
        if problems:
            raise ValidationError(problems, code="too_much")

        now = timezone.now()
        delivery = Delivery(
            order=order,
            number=_temporary_number(),
            delivered_on=delivered_on,
            note_number=note_number.strip(),
            note=note.strip(),
            recorded_by=actor,
            recorded_at=now,
        )
        delivery.save()
        delivery.number = f"DL-{now:%y%m}-{delivery.pk:06d}"
        if photo:
            # Saved with the row: if anything below fails, the transaction rolls the row back and
            # the orphaned file is only a file.
            delivery.photo.save(photo.name, photo, save=False)
        delivery.save(update_fields=["number", "photo"])
        DeliveryLine.objects.bulk_create(
            [DeliveryLine(delivery=delivery, order_line_id=line_id, quantity=q) for line_id, q in wanted.items()]
        )
        OrderEvent.objects.create(
            order=order, field="delivery", to_status=delivery.number, actor=actor, created_at=now, note=delivery.note
        )
        audit.record(
            "delivery.recorded",
            delivery,
            actor=actor,
            details={
                "order": order.number,
                "delivered_on": delivered_on.isoformat(),
                "lines": {str(pk): str(q) for pk, q in wanted.items()},
            },
        )
        for line_id, quantity in wanted.items():
            delivered[line_id] = delivered.get(line_id, ZERO) + quantity
        complete = all(delivered.get(pk, ZERO) >= line.quantity for pk, line in lines.items())
        target = FulfilmentStatus.DELIVERED if complete else FulfilmentStatus.PARTIAL
        if order.fulfilment_status != target:
            order_transition(order=order, to=target, field="fulfilment_status", actor=actor, note=delivery.number)
        emails.delivery_recorded(delivery)
    return delivery


# --- Acceptance -----------------------------------------------------------------------------


def delivery_accept(
    *, delivery: Delivery, decisions: Mapping[int, LineDecision], actor, auto: bool = False
) -> Delivery:
    """The company accepts a delivery: per delivery line id, accepted and rejected quantities
    summing to what was delivered, with a reason for any rejection. Then:

    * a contract order gets an Invoice for the accepted value (sent to Stripe after the commit);
    * a paid marketplace order gets a Refund of the rejected value (sent after the commit);
    * the order completes if that settles it.

    The caller checks that `actor` may order for the company (None for automatic acceptance)."""
    with transaction.atomic():
        order = _lock_order(delivery.order)
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != Delivery.Status.AWAITING:
            raise ValidationError(
                _("Delivery %(number)s was already accepted.") % {"number": delivery.number}, code="already_accepted"
            )
        lines = list(delivery.lines.select_related("order_line").order_by("pk"))
        if set(decisions) != {line.pk for line in lines}:
            raise ValidationError(_("Answer every line of the delivery."))
        problems = []
        for line in lines:
            decision = decisions[line.pk]
            accepted, rejected = Decimal(decision.accepted), Decimal(decision.rejected)
            name = line.order_line.product_name
            if accepted < 0 or rejected < 0:
                problems.append(_("“%(product)s”: quantities cannot be negative.") % {"product": name})
            elif accepted + rejected != line.quantity:
                problems.append(
                    _("“%(product)s”: accepted and rejected must add up to the %(delivered)s %(unit)s delivered.")
                    % {
                        "product": name,
                        "delivered": quantity_text(line.quantity),
                        "unit": unit_label(line.order_line.unit),
                    }
                )
            elif rejected > 0 and not decision.reason.strip():
                problems.append(_("“%(product)s”: say why goods are rejected.") % {"product": name})
        if problems:
            raise ValidationError(problems, code="bad_acceptance")

        now = timezone.now()
        for line in lines:
            decision = decisions[line.pk]
            line.accepted_quantity = Decimal(decision.accepted)
            line.rejected_quantity = Decimal(decision.rejected)
            line.rejection_reason = decision.reason.strip() if line.rejected_quantity else ""
        DeliveryLine.objects.bulk_update(lines, ["accepted_quantity", "rejected_quantity", "rejection_reason"])
        delivery.status = Delivery.Status.ACCEPTED
        delivery.accepted_by = actor
        delivery.accepted_at = now
        delivery.auto_accepted = auto
        delivery.save(update_fields=["status", "accepted_by", "accepted_at", "auto_accepted"])

        rejected_lines = [line for line in lines if line.rejected_quantity]
        summary = "; ".join(
            f"{line.order_line.product_name}: −{quantity_text(line.rejected_quantity)} ({line.rejection_reason})"
            for line in rejected_lines
        )
        if auto:
            summary = _("Accepted automatically after %(days)s days.") % {"days": settings.ORDERS_AUTO_ACCEPT_DAYS}
        OrderEvent.objects.create(
            order=order, field="acceptance", to_status=delivery.number, actor=actor, created_at=now, note=summary
        )
        audit.record(
            "delivery.accepted",
            delivery,
            actor=actor,
            details={
                "order": order.number,
                "auto": auto,
                "lines": {
                    str(line.pk): {"accepted": str(line.accepted_quantity), "rejected": str(line.rejected_quantity)}
                    for line in lines
                },
            },
        )

        accepted_value = sum((line.accepted_value for line in lines), ZERO)
        rejected_value = sum(
            (
                (line.rejected_quantity * line.order_line.unit_price).quantize(Decimal("0.01"))
                for line in rejected_lines
            ),
            ZERO,
        )
        if order.kind == Order.Kind.CONTRACT and accepted_value > 0:
            invoice = _invoice_create(order=order, delivery=delivery, amount=accepted_value)
            transaction.on_commit(lambda: _enqueue(issue_invoice, invoice.pk))
        if order.is_marketplace and rejected_value > 0 and order.payment_status == PaymentStatus.PAID:
            _refund_create(
                order=order,
                amount=rejected_value,
                reason=_("Rejected goods of delivery %(number)s: %(lines)s")
                % {"number": delivery.number, "lines": summary},
                delivery=delivery,
                actor=actor,
            )
        emails.delivery_accepted(delivery)
        hooks.fire(hooks.DELIVERY_ACCEPTED, delivery=delivery)  # a paid marketplace order is settled now
        order_complete_if_settled(order)
    return delivery


def deliveries_due_for_auto_acceptance(now: datetime.datetime | None = None):
    """Deliveries awaiting acceptance for more than settings.ORDERS_AUTO_ACCEPT_DAYS days."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.ORDERS_AUTO_ACCEPT_DAYS)
    return Delivery.objects.filter(status=Delivery.Status.AWAITING, recorded_at__lt=cutoff).order_by("pk")


def deliveries_auto_accept(now: datetime.datetime | None = None) -> list[Delivery]:
    """Accept in full every delivery the company left unanswered too long (the contract's silence
    counts as acceptance). Each delivery is its own transaction: one failure does not block the
    rest."""
    accepted = []
    for delivery in deliveries_due_for_auto_acceptance(now):
        decisions = {line.pk: LineDecision(accepted=line.quantity) for line in delivery.lines.all()}
        try:
            accepted.append(delivery_accept(delivery=delivery, decisions=decisions, actor=None, auto=True))
        except ValidationError:
            continue  # accepted by the buyer in the meantime
    return accepted


# --- Invoices -------------------------------------------------------------------------------


def _invoice_create(*, order: Order, delivery: Delivery, amount: Decimal) -> Invoice:
    now = timezone.now()
    invoice = Invoice.objects.create(
        order=order, delivery=delivery, number=_temporary_number(), amount=amount, issued_at=now
    )
    invoice.number = f"INV-{now:%y%m}-{invoice.pk:06d}"
    invoice.save(update_fields=["number"])
    audit.record("invoice.created", invoice, details={"order": order.number, "amount": str(amount)})
    return invoice


def invoice_lines(invoice: Invoice) -> list[tuple[str, Decimal]]:
    """(description, amount in THB) per accepted line of the invoiced delivery."""
    lines = DeliveryLine.objects.filter(delivery_id=invoice.delivery_id, accepted_quantity__gt=0).select_related(
        "order_line"
    )
    return [
        (
            f"{line.order_line.product_name} {quantity_text(line.accepted_quantity)} {line.order_line.unit}"
            f" × {line.order_line.unit_price}",
            line.accepted_value,
        )
        for line in lines
    ]


def invoice_issue(invoice: Invoice) -> Invoice:
    """Create, finalise and send the Stripe invoice of a DRAFT invoice, then mark it open and the
    order invoiced. Call outside any transaction (after the acceptance commits, or to retry): a
    failed Stripe call leaves the invoice DRAFT to be retried, and a retry cannot invoice twice
    (idempotency key "invoice-<number>", and the write below happens only once)."""
    from .gateway import get_gateway

    invoice = Invoice.objects.select_related("order__agreement", "order__company").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT or invoice.stripe_invoice_id:
        return invoice
    terms = invoice.order.agreement.payment_terms_days
    try:
        result = get_gateway().create_invoice(invoice=invoice, lines=invoice_lines(invoice), days_until_due=terms)
    except (stripe.StripeError, ValidationError) as error:
        logger.warning("Stripe invoice for %s failed; it stays a draft to retry: %s", invoice.number, error)
        audit.record("invoice.issue_failed", invoice, actor=None, details={"error": str(error)[:500]})
        return invoice
    with transaction.atomic():
        order = _lock_order(invoice.order)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.stripe_invoice_id:
            return invoice  # a concurrent retry got here first
        invoice.stripe_invoice_id = result.id
        invoice.hosted_invoice_url = result.hosted_invoice_url
        invoice.due_date = result.due_date or timezone.localdate() + datetime.timedelta(days=terms)
        invoice.status = Invoice.Status.PAID if result.status == "paid" else Invoice.Status.OPEN
        invoice.save(update_fields=["stripe_invoice_id", "hosted_invoice_url", "due_date", "status"])
        hooks.fire(hooks.INVOICE_ISSUED, invoice=invoice)  # may be paid at once: no invoice.paid follows
        if order.payment_status != PaymentStatus.INVOICED and invoice.status == Invoice.Status.OPEN:
            order_transition(
                order=order, to=PaymentStatus.INVOICED, field="payment_status", actor=None, note=invoice.number
            )
        OrderEvent.objects.create(
            order=order, field="invoice", to_status=invoice.number, note=format_baht(invoice.amount)
        )
        audit.record(
            "invoice.issued",
            invoice,
            actor=None,
            details={"stripe_invoice": result.id, "amount": str(invoice.amount), "due": str(invoice.due_date)},
        )
        emails.invoice_issued(invoice)
    return invoice


def order_has_unpaid_invoices(order: Order) -> bool:
    return order.invoices.exclude(status__in=[Invoice.Status.PAID, Invoice.Status.VOID]).exists()


@task()
def issue_invoice(invoice_id: int) -> str:
    """The background job of `invoice_issue` (the task backend: `db_worker` in production). Safe
    to run twice: it re-reads the row, and the gateway's idempotency keys make a repeated Stripe
    call answer the first call's invoice."""
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    return invoice_issue(invoice).status if invoice else "missing"


@task()
def send_refund(refund_id: int) -> str:
    """The background job of `refund_send`; safe to run twice (idempotency key "refund-<pk>")."""
    refund = Refund.objects.filter(pk=refund_id).first()
    return (refund_send(refund).stripe_refund_id or "pending") if refund else "missing"


def _enqueue(job, pk: int) -> None:
    """Hand a Stripe call to the task backend after the commit. If even that fails, the row stays
    DRAFT/PENDING and `retry_stripe_calls` sends it: the answer to the user never changes."""
    try:
        job.enqueue(pk)
    except Exception:
        logger.exception("could not enqueue %s(%s); retry_stripe_calls will send it", job.name, pk)


# --- Refunds --------------------------------------------------------------------------------


def _refund_create(*, order: Order, amount: Decimal, reason: str, actor, delivery: Delivery | None = None) -> Refund:
    """Record a refund and send it to Stripe after the commit. Call inside the transaction that
    decides it, holding the order's lock."""
    refund = Refund.objects.create(order=order, delivery=delivery, amount=amount, reason=reason, created_by=actor)
    OrderEvent.objects.create(order=order, field="refund", to_status=str(amount), actor=actor, note=reason)
    audit.record("refund.created", refund, actor=actor, details={"order": order.number, "amount": str(amount)})
    transaction.on_commit(lambda: _enqueue(send_refund, refund.pk))
    return refund


def refund_send(refund: Refund) -> Refund:
    """Ask Stripe for a PENDING refund and store its id; the `charge.refunded` webhook marks it
    SUCCEEDED. Call outside any transaction; safe to repeat (idempotency key "refund-<pk>")."""
    from .gateway import get_gateway

    refund = Refund.objects.select_related("order__checkout").get(pk=refund.pk)
    if refund.status != Refund.Status.PENDING or refund.stripe_refund_id:
        return refund
    checkout = refund.order.checkout
    intent = checkout.stripe_payment_intent_id if checkout else ""
    if not intent:
        audit.record("refund.failed", refund, actor=None, details={"error": "no payment intent"})
        return refund
    try:
        result = get_gateway().refund(refund=refund, payment_intent_id=intent)
    except stripe.StripeError as error:
        logger.warning("Stripe refund %s failed; it stays pending to retry: %s", refund.pk, error)
        audit.record("refund.send_failed", refund, actor=None, details={"error": str(error)[:500]})
        return refund
    Refund.objects.filter(pk=refund.pk, stripe_refund_id__isnull=True).update(stripe_refund_id=result.id)
    refund.refresh_from_db()
    audit.record("refund.sent", refund, actor=None, details={"stripe_refund": result.id, "status": result.status})
    return refund


def retry_stripe_calls() -> tuple[int, int]:
    """Send again every invoice and refund whose Stripe call failed. Returns (invoices issued,
    refunds sent)."""
    invoices = refunds = 0
    for invoice in Invoice.objects.filter(status=Invoice.Status.DRAFT, stripe_invoice_id__isnull=True):
        invoices += bool(invoice_issue(invoice).stripe_invoice_id)
    for refund in Refund.objects.filter(status=Refund.Status.PENDING, stripe_refund_id__isnull=True):
        refunds += bool(refund_send(refund).stripe_refund_id)
    return invoices, refunds


# --- Completion -----------------------------------------------------------------------------


def order_is_settled(order: Order) -> bool:
    """Everything ordered was delivered and answered by the buyer (rejected goods count as settled:
    they are not delivered again), and it is paid: a marketplace order at checkout, a contract
    order by paying every invoice."""
    if order.status != OrderStatus.CONFIRMED or order.fulfilment_status != FulfilmentStatus.DELIVERED:
        return False
    if order.deliveries.filter(status=Delivery.Status.AWAITING).exists():
        return False
    if order.is_marketplace:
        return order.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
    # Every delivery with accepted value must have a paid invoice (a voided one leaves it open).
    unpaid = (
        Delivery.objects.filter(order=order, lines__accepted_quantity__gt=0)
        .exclude(invoice__status=Invoice.Status.PAID)
        .exists()
    )
    return not unpaid and not order.invoices.filter(~Q(status__in=[Invoice.Status.PAID, Invoice.Status.VOID])).exists()


def order_complete_if_settled(order: Order, *, actor=None) -> bool:
    """Complete the order if it is settled (see `order_is_settled`); True if it completed now.
    Called after an acceptance and by the payments app when an invoice is paid. Safe to call at
    any time and more than once."""
    with transaction.atomic():
        order = _lock_order(order)
        if not order_is_settled(order):
            return False
        order = order_transition(order=order, to=OrderStatus.COMPLETED, actor=actor)
        emails.order_completed(order)
    return True


# --- Cancellation ---------------------------------------------------------------------------


def can_buyer_cancel(order: Order) -> bool:
    return order.status == OrderStatus.PLACED


def can_group_cancel(order: Order) -> bool:
    """Confirmed orders only, and only while nothing was delivered."""
    return (
        order.status == OrderStatus.CONFIRMED
        and order.fulfilment_status == FulfilmentStatus.UNFULFILLED
        and not order.deliveries.exists()
    )


def _cancel(*, order: Order, actor, note: str) -> Order:
    """Cancel, give marketplace stock back and refund what was paid. Call holding the order lock."""
    order = order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, note=note)
    if order.is_marketplace:
        stock.give_back(OrderLine.objects.filter(order=order).values_list("product_id", "quantity"))
        if order.payment_status == PaymentStatus.PAID and order.total > 0:
            _refund_create(
                order=order,
                amount=order.total,
                reason=_("Order %(number)s cancelled: %(note)s") % {"number": order.number, "note": note or "—"},
                actor=actor,
            )
    return order


def order_cancel_by_buyer(*, order: Order, actor, note: str = "") -> Order:
    """The buyer withdraws an order the group has not yet confirmed. A call-off's quantity returns
    to the agreement; a paid marketplace order's stock returns and its payment is refunded in full.

    The caller checks that `actor` may order for the company."""
    with transaction.atomic():
        order = _lock_order(order)
        if not can_buyer_cancel(order):
            raise TransitionError(
                _("Order %(number)s is %(status)s: the buyer can only cancel an order the group has not confirmed.")
                % {"number": order.number, "status": OrderStatus(order.status).label},
                code="illegal_transition",
            )
        order = _cancel(order=order, actor=actor, note=note.strip())
        emails.order_cancelled(order, by_buyer=True)
    return order


def order_cancel_by_group(*, order: Order, actor, reason: str) -> Order:
    """The group (or a coordinator) cancels a confirmed order while nothing was delivered, saying
    why; a paid order is refunded in full. After a delivery an order can no longer be cancelled.

    The caller checks that `actor` manages the order's group or coordinates its area."""
    if not reason.strip():
        raise ValidationError(_("Say why the order is cancelled: the buyer will read it."))
    with transaction.atomic():
        order = _lock_order(order)
        if not can_group_cancel(order):
            raise TransitionError(
                _("Order %(number)s can no longer be cancelled: only confirmed orders with nothing delivered can.")
                % {"number": order.number},
                code="illegal_transition",
            )
        order = _cancel(order=order, actor=actor, note=reason.strip())
        emails.order_cancelled(order, by_buyer=False)
    return order
