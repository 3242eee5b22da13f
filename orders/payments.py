"""Payment state: what a verified Stripe event (or a re-read of Stripe's state) does to our
checkouts, invoices, refunds and orders.

Each public function is one transaction that first locks the checkout or invoice row, then the
orders (in primary-key order), and is idempotent: the final states are absorbing, so a repeated or
late event finds nothing left to do. A checkout goes

    open → processing (PromptPay in progress) → paid | failed
    open → paid | failed | expired

and never leaves paid, failed or expired: `checkout.session.completed` (unpaid) arriving after
`async_payment_succeeded` finds the checkout paid and changes nothing, so an order is paid, and its
stock released, at most once. Order fields change only through `services.order_transition`.

Emails are queued in the outbox inside the same transaction (marketplace.outbox) and sent after the
commit by a worker: a rolled-back change mails no one, and a mail server outage changes nothing here.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from marketplace import audit

from . import hooks, payment_emails, stock
from .fulfilment import order_complete_if_settled
from .models import Checkout, Invoice, Order, OrderStatus, PaymentStatus, Refund
from .services import order_transition

logger = logging.getLogger(__name__)

CLOSED_CHECKOUT = (Checkout.Status.PAID, Checkout.Status.FAILED, Checkout.Status.EXPIRED)
UNSETTLED_PAYMENT = (PaymentStatus.UNPAID, PaymentStatus.PENDING)


def _lock_checkout(checkout: Checkout) -> Checkout:
    return Checkout.objects.select_for_update().get(pk=checkout.pk)


def _lock_orders(**filters) -> list[Order]:
    return list(Order.objects.select_for_update().filter(**filters).order_by("pk"))


def _late(checkout: Checkout, event: str) -> Checkout:
    """A closed checkout hears about it again (a repeated or out-of-order event): nothing to do."""
    logger.info("checkout %s is %s; %s changes nothing", checkout.reference, checkout.status, event)
    return checkout


# --- Checkouts (card and PromptPay, marketplace orders) ----------------------------------------


def checkout_paid(*, checkout: Checkout, payment_intent_id: str, method: str = "") -> Checkout:
    """The money arrived: the checkout is paid and each of its orders goes to its group."""
    with transaction.atomic():
        checkout = _lock_checkout(checkout)
        if checkout.status in CLOSED_CHECKOUT:
            if checkout.status != Checkout.Status.PAID:
                # Stripe never pays an expired or failed session; if it ever did, the stock is
                # already back on sale and people must sort it out (refund or re-reserve).
                logger.error(
                    "payment %s arrived for %s checkout %s", payment_intent_id, checkout.status, checkout.reference
                )
                audit.record(
                    "checkout.paid_after_close",
                    checkout,
                    actor=None,
                    details={"status": checkout.status, "payment_intent": payment_intent_id},
                )
            return _late(checkout, "paid")
        checkout.status = Checkout.Status.PAID
        checkout.paid_at = timezone.now()
        checkout.stripe_payment_intent_id = payment_intent_id or checkout.stripe_payment_intent_id
        checkout.payment_method = method or checkout.payment_method
        checkout.save(update_fields=["status", "paid_at", "stripe_payment_intent_id", "payment_method"])
        orders = _lock_orders(checkout=checkout)
        for order in orders:
            if order.payment_status in UNSETTLED_PAYMENT:
                order_transition(order=order, to=PaymentStatus.PAID, field="payment_status", actor=None)
            if order.status == OrderStatus.PENDING_PAYMENT:
                order_transition(order=order, to=OrderStatus.PLACED, actor=None)
            hooks.fire(hooks.ORDER_PAID, order=order)  # deliveries accepted before the money arrived (rare)
        audit.record(
            "checkout.paid",
            checkout,
            actor=None,
            details={"reference": checkout.reference, "payment_intent": payment_intent_id, "method": method},
        )
        payment_emails.checkout_paid(checkout)
    return checkout


def checkout_processing(*, checkout: Checkout, payment_intent_id: str = "") -> Checkout:
    """The payer finished the payment page but the money follows later (PromptPay)."""
    with transaction.atomic():
        checkout = _lock_checkout(checkout)
        if checkout.status != Checkout.Status.OPEN:
            return _late(checkout, "processing")
        checkout.status = Checkout.Status.PROCESSING
        checkout.stripe_payment_intent_id = payment_intent_id or checkout.stripe_payment_intent_id
        checkout.save(update_fields=["status", "stripe_payment_intent_id"])
        for order in _lock_orders(checkout=checkout):
            if order.payment_status == PaymentStatus.UNPAID:
                order_transition(order=order, to=PaymentStatus.PENDING, field="payment_status", actor=None)
        audit.record("checkout.processing", checkout, actor=None, details={"reference": checkout.reference})
    return checkout


def _close_unpaid(checkout: Checkout, to: str) -> None:
    """Failed or expired: the orders are cancelled and their stock goes back, once."""
    checkout.status = to
    checkout.save(update_fields=["status"])
    note = str(Checkout.Status(to).label)
    for order in _lock_orders(checkout=checkout):
        if order.payment_status in UNSETTLED_PAYMENT and (
            to == Checkout.Status.FAILED or order.payment_status == PaymentStatus.PENDING
        ):
            order_transition(order=order, to=PaymentStatus.FAILED, field="payment_status", actor=None, note=note)
        if order.status == OrderStatus.PENDING_PAYMENT:
            order_transition(order=order, to=OrderStatus.CANCELLED, actor=None, note=note)
    stock.release_checkout(checkout)
    audit.record(f"checkout.{to}", checkout, actor=None, details={"reference": checkout.reference})


def checkout_failed(*, checkout: Checkout) -> Checkout:
    """The asynchronous payment was refused: the orders are cancelled, the stock released and the
    buyer told."""
    with transaction.atomic():
        checkout = _lock_checkout(checkout)
        if checkout.status in CLOSED_CHECKOUT:
            return _late(checkout, "failed")
        _close_unpaid(checkout, Checkout.Status.FAILED)
        payment_emails.checkout_failed(checkout)
    return checkout


def checkout_expired(*, checkout: Checkout) -> Checkout:
    """Nobody paid in time (Stripe expired the session): the orders are cancelled and the
    reserved stock returns."""
    with transaction.atomic():
        checkout = _lock_checkout(checkout)
        if checkout.status in CLOSED_CHECKOUT:
            return _late(checkout, "expired")
        _close_unpaid(checkout, Checkout.Status.EXPIRED)
    return checkout


# --- Invoices (contract orders) ---------------------------------------------------------------


def _lock_invoice(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _settle_invoiced_order(invoice: Invoice, note: str) -> None:
    """After one of its invoices changed, the order's payment status follows all of them:
    any invoice still open → invoiced; otherwise paid if any was paid, else not paid (a voided
    invoice's goods are to be invoiced again, which makes the order invoiced once more)."""
    order = Order.objects.select_for_update().get(pk=invoice.order_id)
    invoices = Invoice.objects.filter(order=order).exclude(pk=invoice.pk)
    statuses = {invoice.status, *invoices.values_list("status", flat=True)}
    if Invoice.Status.OPEN in statuses or Invoice.Status.DRAFT in statuses:
        wanted = PaymentStatus.INVOICED
    elif Invoice.Status.PAID in statuses:
        wanted = PaymentStatus.PAID
    else:
        wanted = PaymentStatus.UNPAID
    if order.payment_status == wanted or order.payment_status == PaymentStatus.REFUNDED:
        return
    if wanted == PaymentStatus.INVOICED:
        return  # issuing an invoice is the invoicing service's move, not an event's
    order_transition(order=order, to=wanted, field="payment_status", actor=None, note=note)


def invoice_paid(*, invoice: Invoice) -> Invoice:
    with transaction.atomic():
        invoice = _lock_invoice(invoice)
        if invoice.status in (Invoice.Status.PAID, Invoice.Status.VOID):
            if invoice.status == Invoice.Status.VOID:
                logger.error("invoice %s was paid after it was voided", invoice.number)
            return invoice
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = timezone.now()
        invoice.last_payment_error = ""
        invoice.save(update_fields=["status", "paid_at", "last_payment_error"])
        _settle_invoiced_order(invoice, note=invoice.number)
        audit.record("invoice.paid", invoice, actor=None, details={"number": invoice.number})
        hooks.fire(hooks.INVOICE_PAID, invoice=invoice)  # the call-off's households are credited
        # The last invoice of a fully delivered and accepted call-off completes it.
        order_complete_if_settled(invoice.order)
    return invoice


def invoice_payment_failed(*, invoice: Invoice, error: str) -> Invoice:
    """A payment attempt failed; the invoice stays open (the company can pay again) and the
    company's billing contact and purchaser are told."""
    with transaction.atomic():
        invoice = _lock_invoice(invoice)
        if invoice.status != Invoice.Status.OPEN:
            return invoice  # already paid or void: a late report of an earlier attempt
        invoice.last_payment_error = error
        invoice.save(update_fields=["last_payment_error"])
        event = audit.record(
            "invoice.payment_failed", invoice, actor=None, details={"number": invoice.number, "error": error}
        )
        payment_emails.invoice_payment_failed(invoice, attempt=str(event.pk))
    return invoice


def invoice_voided(*, invoice: Invoice) -> Invoice:
    with transaction.atomic():
        invoice = _lock_invoice(invoice)
        if invoice.status in (Invoice.Status.VOID, Invoice.Status.PAID):
            return invoice  # Stripe cannot void a paid invoice; a repeat changes nothing
        invoice.status = Invoice.Status.VOID
        invoice.save(update_fields=["status"])
        _settle_invoiced_order(invoice, note=invoice.number)
        audit.record("invoice.voided", invoice, actor=None, details={"number": invoice.number})
    return invoice


# --- Refunds --------------------------------------------------------------------------------


def paid_total(order: Order) -> Decimal:
    """What the buyer paid for the order: its checkout's share, or its paid invoices."""
    if order.checkout_id is not None:
        return order.total
    paid = order.invoices.filter(status=Invoice.Status.PAID).aggregate(total=Sum("amount"))["total"]
    return paid or Decimal("0.00")


def charge_refunded(*, refunds: list[dict]) -> list[Refund]:
    """Stripe reports refunds of a charge ([{id, status}, …]): our matching Refund rows take that
    status, and an order whose whole payment went back is marked refunded."""
    updated = []
    with transaction.atomic():
        ids = [item["id"] for item in refunds]
        rows = {
            row.stripe_refund_id: row for row in Refund.objects.select_for_update().filter(stripe_refund_id__in=ids)
        }
        status_map = {"succeeded": Refund.Status.SUCCEEDED, "failed": Refund.Status.FAILED}
        order_ids = set()
        for item in refunds:
            row = rows.get(item["id"])
            wanted = status_map.get(item.get("status"))
            if row is None or wanted is None or row.status == wanted or row.status == Refund.Status.FAILED:
                continue
            row.status = wanted
            row.save(update_fields=["status"])
            audit.record(f"refund.{wanted}", row, actor=None, details={"stripe_refund": row.stripe_refund_id})
            updated.append(row)
            order_ids.add(row.order_id)
        for order in _lock_orders(pk__in=order_ids):
            refunded = order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
            total = paid_total(order)
            if order.payment_status == PaymentStatus.PAID and total and refunded >= total:
                order_transition(order=order, to=PaymentStatus.REFUNDED, field="payment_status", actor=None)
        hooks.fire(hooks.REFUNDS_UPDATED, refunds=updated)  # refunds of settled deliveries are reversed
    return updated
