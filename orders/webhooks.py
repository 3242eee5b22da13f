"""Stripe webhooks: verify, store once, process.

`receive()` verifies the signature (bad or older than 5 minutes → `InvalidWebhook`, answered 400
and nothing stored), stores the event in `StripeEvent` (its id is unique, so a second delivery
finds the first row) and processes it in one transaction holding that row's lock, so two
deliveries of one event racing each other process it once.

What the answer tells Stripe:
- 200 when the event was processed, was already processed (a replay), is of a type we do not
  handle (stored, ignored), or is about something that is not ours (no metadata linking it to our
  records: e.g. another system on the same Stripe account).
- 500 when processing raised: the transaction is rolled back, the error is written on the event
  row, and Stripe delivers it again later (with backoff, for up to three days). That is the right
  answer for transient failures (a lock timeout, a database restart) and for an event that refers
  to our checkout or invoice before the row that links them is committed — both heal on a retry,
  and retrying is safe because processing is idempotent. A bug would also be retried; the stored
  error makes it visible, and the event can be processed again (`process()`) once fixed.
"""

from __future__ import annotations

import datetime
import logging

import stripe
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import gateway, payments
from .models import Checkout, Invoice, StripeEvent

logger = logging.getLogger(__name__)


class InvalidWebhook(Exception):
    """Not a genuine, fresh Stripe event (bad signature, stale timestamp, unreadable body)."""


class NotYetKnown(Exception):
    """The event names one of our records (by metadata) that we cannot find yet: retry later."""


TOLERANCE_SECONDS = 300


def verify(body: bytes, signature: str | None) -> dict:
    try:
        secret = gateway.webhook_secret()
    except ImproperlyConfigured as error:
        # No secret we may trust (orders.checks stops such a server from starting): nothing can
        # be genuine, and Stripe delivers again once the secret is configured.
        logger.error("Stripe webhook refused: %s", error)
        raise InvalidWebhook(str(error)) from error
    try:
        event = stripe.Webhook.construct_event(body, signature, secret, tolerance=TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    return event.to_dict()


def store(event: dict) -> StripeEvent:
    """The event's row, created on its first delivery."""
    obj = event.get("data", {}).get("object", {})
    defaults = {
        "type": event["type"],
        "object_id": obj.get("id", "") or "",
        "created": datetime.datetime.fromtimestamp(event["created"], tz=datetime.UTC),
        "payload": event,
    }
    try:
        row, _ = StripeEvent.objects.get_or_create(event_id=event["id"], defaults=defaults)
    except IntegrityError:  # a concurrent delivery inserted it first
        row = StripeEvent.objects.get(event_id=event["id"])
    return row


def receive(body: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    """Verify, store and process one delivery. Returns (row, processed now). Raises InvalidWebhook
    for forged or stale deliveries, and re-raises a processing failure after recording it."""
    event = verify(body, signature)
    row = store(event)
    return row, process(row)


def process(row: StripeEvent) -> bool:
    """Process a stored event unless it already was. True when processed by this call."""
    try:
        with transaction.atomic():
            row = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if row.processed_at is not None:
                return False
            note = dispatch(row.type, row.payload["data"]["object"])
            row.processed_at = timezone.now()
            row.error = note or ""
            row.save(update_fields=["processed_at", "error"])
    except Exception as error:
        logger.exception("Stripe event %s (%s) failed", row.event_id, row.type)
        StripeEvent.objects.filter(pk=row.pk).update(error=f"{type(error).__name__}: {error}"[:5000])
        raise
    return True


# --- dispatch -------------------------------------------------------------------------------


def _checkout_for(session: dict) -> Checkout | None:
    checkout = Checkout.objects.filter(stripe_session_id=session["id"]).first()
    reference = (session.get("metadata") or {}).get("checkout") or session.get("client_reference_id")
    if checkout is None and reference:
        checkout = Checkout.objects.filter(reference=reference).first()
        if checkout is None:
            raise NotYetKnown(f"checkout {reference} of session {session['id']}")
    return checkout


def _invoice_for(obj: dict) -> Invoice | None:
    invoice = Invoice.objects.filter(stripe_invoice_id=obj["id"]).first()
    number = (obj.get("metadata") or {}).get("invoice")
    if invoice is None and number:
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise NotYetKnown(f"invoice {number} ({obj['id']})")
    return invoice


def _method(payment_intent_id: str | None) -> str:
    if not payment_intent_id:
        return ""
    try:
        return gateway.get_gateway().payment_method_of(payment_intent_id)
    except stripe.StripeError:
        # How it was paid is a detail; failing to learn it must not hold up the payment.
        logger.warning("could not read the payment method of %s", payment_intent_id, exc_info=True)
        return ""


def on_session_completed(session: dict, checkout: Checkout) -> None:
    if session.get("payment_status") in ("paid", "no_payment_required"):
        intent = session.get("payment_intent") or ""
        payments.checkout_paid(checkout=checkout, payment_intent_id=intent, method=_method(intent))
    else:  # unpaid: an asynchronous method (PromptPay) is on its way
        payments.checkout_processing(checkout=checkout, payment_intent_id=session.get("payment_intent") or "")


def on_async_succeeded(session: dict, checkout: Checkout) -> None:
    intent = session.get("payment_intent") or ""
    payments.checkout_paid(checkout=checkout, payment_intent_id=intent, method=_method(intent))


def on_async_failed(session: dict, checkout: Checkout) -> None:
    payments.checkout_failed(checkout=checkout)


def on_session_expired(session: dict, checkout: Checkout) -> None:
    payments.checkout_expired(checkout=checkout)


def on_invoice_paid(obj: dict, invoice: Invoice) -> None:
    payments.invoice_paid(invoice=invoice)


def on_invoice_payment_failed(obj: dict, invoice: Invoice) -> None:
    attempts = obj.get("attempt_count") or 1
    error = (obj.get("last_finalization_error") or {}).get("message") or ""
    payments.invoice_payment_failed(
        invoice=invoice, error=f"Stripe: payment attempt {attempts} failed. {error}".strip()
    )


def on_invoice_voided(obj: dict, invoice: Invoice) -> None:
    payments.invoice_voided(invoice=invoice)


def _check_refunds_known(refunds: list[dict]) -> None:
    """A refund we asked for (its metadata names our Refund) whose Stripe id is not saved yet: the
    refunding transaction has not committed; let Stripe deliver again."""
    from .models import Refund

    ours = {str((item.get("metadata") or {}).get("refund")): item["id"] for item in refunds}
    ours.pop("None", None)
    known = set(
        Refund.objects.filter(pk__in=[pk for pk in ours if pk.isdigit()], stripe_refund_id__isnull=False).values_list(
            "stripe_refund_id", flat=True
        )
    )
    waiting = [
        stripe_id
        for pk, stripe_id in ours.items()
        if pk.isdigit() and stripe_id not in known and Refund.objects.filter(pk=pk).exists()
    ]
    if waiting:
        raise NotYetKnown(f"refunds {', '.join(waiting)}")


SESSION_HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_async_succeeded,
    "checkout.session.async_payment_failed": on_async_failed,
    "checkout.session.expired": on_session_expired,
}
INVOICE_HANDLERS = {
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "invoice.voided": on_invoice_voided,
}


def dispatch(type_: str, obj: dict) -> str:
    """Apply one event. Returns a note to keep on the event row ("" when there is nothing to say)."""
    if type_ in SESSION_HANDLERS:
        checkout = _checkout_for(obj)
        if checkout is None:
            return "not ours: no checkout for this session"
        SESSION_HANDLERS[type_](obj, checkout)
        return ""
    if type_ in INVOICE_HANDLERS:
        invoice = _invoice_for(obj)
        if invoice is None:
            return "not ours: no invoice for this Stripe invoice"
        INVOICE_HANDLERS[type_](obj, invoice)
        return ""
    if type_ == "charge.refunded":
        refunds = (obj.get("refunds") or {}).get("data")
        if refunds is None:  # API versions that leave refunds off the charge: ask for them
            listed = gateway.get_gateway().client.v1.refunds.list({"charge": obj["id"], "limit": 100})
            refunds = [refund.to_dict() for refund in listed.data]
        _check_refunds_known(refunds)
        payments.charge_refunded(refunds=refunds)
        return ""
    return "ignored: not a type we handle"


# --- signing, as Stripe does (the offline demo's deliveries, stripe_demo.py, and tests) -----


def sign(body: str, secret: str | None = None, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `body` (t=…,v1=HMAC-SHA256), as Stripe would send it."""
    return stripe.WebhookSignature.generate_signature_header(body, secret or gateway.webhook_secret(), timestamp)
