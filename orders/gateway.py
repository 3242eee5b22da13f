"""The one place that talks to Stripe.

Everything goes through `stripe.StripeClient`. With `STRIPE_SECRET_KEY` set, the client uses
Stripe's own HTTP client; without it (development, tests, the offline demo) it uses
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


@dataclasses.dataclass(frozen=True)
class CheckoutSessionResult:
    id: str
    url: str
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
