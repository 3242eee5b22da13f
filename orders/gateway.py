"""The one place that talks to Stripe.

Everything goes through `stripe.StripeClient`. With `STRIPE_SECRET_KEY` set, the client uses
Stripe's own HTTP client; without it, where the fake is allowed (DEBUG, tests, a site with
STRIPE_OFFLINE_DEMO), it uses
`orders.stripe_fake.FakeStripeHTTPClient`, an in-process fake of exactly the endpoints called
here, answering realistic objects. Amounts cross this boundary in satang (marketplace.money).

Callers get plain results (dataclasses below), never StripeObjects, and every create carries an
idempotency key derived from our own record, so a retried call cannot charge, invoice or refund
twice.

INTERFACE CONTRACT (implemented by the payments work; other modules call only these):

    get_gateway() -> StripeGateway

    StripeGateway.ensure_customer(company) -> str
        The company's Stripe customer id, created once (idempotency key "customer-<company pk>")
        and stored on Company.stripe_customer_id.

    StripeGateway.create_checkout_session(*, checkout, success_url, cancel_url) -> CheckoutSessionResult
        A Checkout Session in THB for the checkout's orders' lines (one line item per order
        line, unit_amount in satang, quantity as an integer where possible, else one line with
        the line total), payment_method_types ["card", "promptpay"], metadata {"checkout":
        reference}, client_reference_id = reference, customer = ensure_customer(company),
        expires_at. Refuses totals under ฿10 with a ValidationError. Idempotency key
        "checkout-<reference>".

    StripeGateway.create_invoice(*, invoice, lines, days_until_due) -> InvoiceResult
        A `send_invoice` invoice for the company of invoice.order: invoice items for `lines`
        (list of (description, amount in THB Decimal)), days_until_due, metadata {"invoice":
        number, "order": order number}, finalized, so it has a hosted_invoice_url and due date.
        Idempotency keys "invoice-<number>" (+ "-item-<i>", "-finalize").

    StripeGateway.refund(*, refund, payment_intent_id) -> RefundResult
        A refund of refund.amount (satang) of the payment intent, metadata {"refund": pk,
        "order": number}; idempotency key "refund-<pk>".
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.money import format_baht, from_satang, to_satang

from .stripe_fake import FakeStripeHTTPClient

OFFLINE_API_KEY = "sk_test_offline"
# Signs the offline fake's own webhooks. It is in the source, so it is accepted only where the fake
# is allowed (offline_allowed), never as a configured secret: see webhook_secret and orders.checks.
OFFLINE_WEBHOOK_SECRET = "whsec_offline_development"
MINIMUM_CHARGE = Decimal("10.00")
# Stripe wants expires_at at least 30 minutes after it creates the session; one more minute covers
# the time between our clock and theirs.
SESSION_LIFETIME = datetime.timedelta(minutes=31)
PAYMENT_METHODS = ["card", "promptpay"]


@dataclasses.dataclass(frozen=True)
class CheckoutSessionResult:
    id: str
    url: str
    expires_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class CheckoutSessionState:
    """A session as Stripe sees it now: status open / complete / expired, payment_status
    paid / unpaid / no_payment_required."""

    id: str
    status: str
    payment_status: str
    payment_intent_id: str
    expires_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class InvoiceResult:
    id: str
    number: str
    status: str
    hosted_invoice_url: str
    due_date: datetime.date | None


@dataclasses.dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: Decimal


def offline_allowed() -> bool:
    """May the offline fake stand in for Stripe? On a developer's machine (DEBUG) or on a demo site
    that says so (STRIPE_OFFLINE_DEMO); never otherwise, because anyone can sign a "payment" with
    its webhook secret."""
    return settings.DEBUG or settings.STRIPE_OFFLINE_DEMO


def is_offline() -> bool:
    """True when the offline fake answers and the demo payment pages exist: no Stripe secret key,
    and the fake is allowed here."""
    return not settings.STRIPE_SECRET_KEY and offline_allowed()


def webhook_secret() -> str:
    """The secret Stripe signs our webhooks with. Raises ImproperlyConfigured where there is none
    that may be trusted: the webhook then refuses every delivery."""
    configured = settings.STRIPE_WEBHOOK_SECRET
    if configured and (configured != OFFLINE_WEBHOOK_SECRET or offline_allowed()):
        return configured
    if configured:
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is the offline demo's secret, which is public.")
    if is_offline():
        return OFFLINE_WEBHOOK_SECRET
    # With real keys, or in production without any, a known secret would let anyone forge payments.
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is not set (and the offline demo is not enabled).")


def get_gateway() -> StripeGateway:
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway(stripe.StripeClient(settings.STRIPE_SECRET_KEY), offline=False)
    if offline_allowed():
        return StripeGateway(stripe.StripeClient(OFFLINE_API_KEY, http_client=FakeStripeHTTPClient()), offline=True)
    raise ImproperlyConfigured("STRIPE_SECRET_KEY is not set (and the offline demo is not enabled).")


def _timestamp(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def _invoice_result(invoice) -> InvoiceResult:
    obj = invoice.to_dict()
    due = _timestamp(obj.get("due_date"))
    return InvoiceResult(
        id=obj["id"],
        number=obj.get("number") or "",
        status=obj["status"],
        hosted_invoice_url=obj.get("hosted_invoice_url") or "",
        due_date=timezone.localtime(due).date() if due else None,
    )


class StripeGateway:
    def __init__(self, client: stripe.StripeClient, *, offline: bool):
        self.client = client
        self.offline = offline

    def ensure_customer(self, company) -> str:
        if company.stripe_customer_id:
            return company.stripe_customer_id
        from buyers.models import Company

        params = {"name": company.name_th, "metadata": {"company": str(company.pk), "tax_id": company.tax_id}}
        if company.billing_email:
            params["email"] = company.billing_email
        customer = self.client.v1.customers.create(params, options={"idempotency_key": f"customer-{company.pk}"})
        # Two requests racing here get the same customer from Stripe (same idempotency key); the
        # first to write wins and the second writes the same id.
        Company.objects.filter(pk=company.pk, stripe_customer_id="").update(stripe_customer_id=customer.id)
        company.stripe_customer_id = customer.id
        return customer.id

    @staticmethod
    def checkout_line_items(checkout) -> list[dict]:
        """One line item per order line, in satang; a fractional quantity (1.5 kg) becomes one unit
        of the line's total, with the quantity in the name."""
        from .models import OrderLine
        from .services import quantity_text, unit_label

        items = []
        lines = (
            OrderLine.objects.filter(order__checkout=checkout).select_related("order__group").order_by("order_id", "pk")
        )
        for line in lines:
            name = f"{line.product_name} ({line.order.group.name_th})"
            if line.quantity == line.quantity.to_integral_value():
                unit_amount, quantity = to_satang(line.unit_price), int(line.quantity)
            else:
                name = f"{name} × {quantity_text(line.quantity)} {unit_label(line.unit)}"
                unit_amount, quantity = to_satang(line.line_total), 1
            items.append(
                {
                    "price_data": {"currency": "thb", "unit_amount": unit_amount, "product_data": {"name": name}},
                    "quantity": quantity,
                }
            )
        return items

    def create_checkout_session(self, *, checkout, success_url: str, cancel_url: str) -> CheckoutSessionResult:
        items = self.checkout_line_items(checkout)
        total = from_satang(sum(item["price_data"]["unit_amount"] * item["quantity"] for item in items))
        if total < MINIMUM_CHARGE:
            raise ValidationError(
                _("Card and PromptPay payments must be at least %(minimum)s; this checkout comes to %(total)s.")
                % {"minimum": format_baht(MINIMUM_CHARGE), "total": format_baht(total)},
                code="below_minimum",
            )
        # Derived from the checkout, not from now, so a retried call sends the same parameters
        # under the same idempotency key (Stripe refuses a key reused with other parameters).
        expires_at = max(
            checkout.created_at + SESSION_LIFETIME, timezone.now() + SESSION_LIFETIME - datetime.timedelta(seconds=30)
        ).replace(microsecond=0)
        params = {
            "mode": "payment",
            "currency": "thb",
            "payment_method_types": PAYMENT_METHODS,
            "line_items": items,
            "customer": self.ensure_customer(checkout.company),
            "client_reference_id": checkout.reference,
            "metadata": {"checkout": checkout.reference},
            "payment_intent_data": {"metadata": {"checkout": checkout.reference}},
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        session = self.client.v1.checkout.sessions.create(
            params, options={"idempotency_key": f"checkout-{checkout.reference}"}
        )
        return CheckoutSessionResult(id=session.id, url=session.url, expires_at=_timestamp(session.expires_at))

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSessionState:
        session = self.client.v1.checkout.sessions.retrieve(session_id)
        return CheckoutSessionState(
            id=session.id,
            status=session.status,
            payment_status=session.payment_status,
            payment_intent_id=session.to_dict().get("payment_intent") or "",
            expires_at=_timestamp(session.expires_at),
        )

    def payment_method_of(self, payment_intent_id: str) -> str:
        """How a payment was made ("card", "promptpay"), from its charge; "" when not charged."""
        intent = self.client.v1.payment_intents.retrieve(payment_intent_id, {"expand": ["latest_charge"]}).to_dict()
        charge = intent.get("latest_charge")
        if isinstance(charge, dict):
            return charge.get("payment_method_details", {}).get("type", "")
        return ""

    def payment_intent_status(self, payment_intent_id: str) -> str:
        """succeeded, processing, requires_payment_method (the attempt failed), canceled, …"""
        return self.client.v1.payment_intents.retrieve(payment_intent_id).status

    def create_invoice(self, *, invoice, lines, days_until_due: int) -> InvoiceResult:
        order = invoice.order
        customer = self.ensure_customer(order.company)
        key = f"invoice-{invoice.number}"
        draft = self.client.v1.invoices.create(
            {
                "customer": customer,
                "collection_method": "send_invoice",
                "days_until_due": days_until_due,
                "currency": "thb",
                # Only the items created below, never a stray pending item of the customer.
                "pending_invoice_items_behavior": "exclude",
                "auto_advance": False,
                "metadata": {"invoice": invoice.number, "order": order.number},
            },
            options={"idempotency_key": key},
        )
        for i, (description, amount) in enumerate(lines):
            self.client.v1.invoice_items.create(
                {
                    "customer": customer,
                    "invoice": draft.id,
                    "currency": "thb",
                    "amount": to_satang(amount),
                    "description": description,
                    "metadata": {"invoice": invoice.number, "order": order.number},
                },
                options={"idempotency_key": f"{key}-item-{i}"},
            )
        final = self.client.v1.invoices.finalize_invoice(draft.id, options={"idempotency_key": f"{key}-finalize"})
        return _invoice_result(final)

    def void_invoice(self, invoice_id: str) -> InvoiceResult:
        voided = self.client.v1.invoices.void_invoice(invoice_id, options={"idempotency_key": f"void-{invoice_id}"})
        return _invoice_result(voided)

    def refund(self, *, refund, payment_intent_id: str) -> RefundResult:
        result = self.client.v1.refunds.create(
            {
                "payment_intent": payment_intent_id,
                "amount": to_satang(refund.amount),
                "metadata": {"refund": str(refund.pk), "order": refund.order.number},
            },
            options={"idempotency_key": f"refund-{refund.pk}"},
        )
        return RefundResult(id=result.id, status=result.status, amount=from_satang(result.amount))
