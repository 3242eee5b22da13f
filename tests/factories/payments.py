"""Checkouts with their orders, invoices and refunds, built directly with the ORM (independent of
the cart and checkout services), the fake Stripe, and signed webhook deliveries."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import gateway, stock
from orders.models import Checkout, Invoice, Order, OrderLine, OrderStatus, PaymentStatus, Refund
from orders.stripe_fake import FAKE
from orders.webhooks import sign
from tests.factories.buyers import CompanyFactory

_numbers = itertools.count(1)


@pytest.fixture
def stripe_fake():
    """The process-wide fake Stripe, emptied before and after the test."""
    FAKE.reset()
    yield FAKE
    FAKE.reset()


def make_checkout(items, *, company=None, buyer=None, with_session=False, **fields) -> Checkout:
    """A checkout for [(product, quantity)], one pending marketplace order per producer group,
    with the quantities taken off stock (as the checkout service does). `with_session` also opens
    its Stripe Checkout Session on the fake."""
    company = company or CompanyFactory()
    n = next(_numbers)
    by_group: dict = {}
    for product, quantity in items:
        by_group.setdefault(product.get_parent().specific.group, []).append((product, Decimal(quantity)))
    total = sum((product.price * Decimal(quantity) for product, quantity in items), Decimal("0")).quantize(
        Decimal("0.01")
    )
    checkout = Checkout.objects.create(
        reference=f"CK-TEST-{n:05d}", company=company, created_by=buyer, total=total, **fields
    )
    for i, (group, lines) in enumerate(by_group.items()):
        order = Order.objects.create(
            number=f"MP-TEST-{n:05d}-{i}",
            kind=Order.Kind.MARKETPLACE,
            company=company,
            group=group,
            status=OrderStatus.PENDING_PAYMENT,
            payment_status=PaymentStatus.UNPAID,
            placed_by=buyer,
            checkout=checkout,
        )
        for product, quantity in lines:
            assert stock.take(product.pk, quantity), f"not enough {product} in stock"
            OrderLine.objects.create(
                order=order,
                product=product,
                quantity=quantity,
                product_name=product.title,
                unit=product.unit,
                unit_price=product.price,
            )
    if with_session:
        result = gateway.get_gateway().create_checkout_session(
            checkout=checkout, success_url="http://testserver/done/", cancel_url="http://testserver/cart/"
        )
        checkout.stripe_session_id = result.id
        checkout.stripe_session_url = result.url
        checkout.expires_at = result.expires_at
        checkout.save(update_fields=["stripe_session_id", "stripe_session_url", "expires_at"])
    return checkout


def make_invoice(order, amount="1100.00", *, issue_on_stripe=True, days_until_due=30, **fields) -> Invoice:
    """An invoice of `order`, issued on the fake Stripe unless told otherwise; the order becomes
    invoiced (as the invoicing service does)."""
    from orders.services import order_transition

    n = next(_numbers)
    invoice = Invoice.objects.create(
        order=order, number=f"INV-TEST-{n:05d}", amount=Decimal(amount), status=Invoice.Status.DRAFT, **fields
    )
    if issue_on_stripe:
        result = gateway.get_gateway().create_invoice(
            invoice=invoice, lines=[(f"Delivery for {order.number}", Decimal(amount))], days_until_due=days_until_due
        )
        invoice.stripe_invoice_id = result.id
        invoice.hosted_invoice_url = result.hosted_invoice_url
        invoice.due_date = result.due_date
        invoice.status = result.status
        invoice.save(update_fields=["stripe_invoice_id", "hosted_invoice_url", "due_date", "status"])
    if order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.PAID):
        order_transition(order=order, to=PaymentStatus.INVOICED, field="payment_status")
        order.refresh_from_db()
    return invoice


def make_refund(order, amount, *, on_stripe=True, reason="Rejected at delivery") -> Refund:
    refund = Refund.objects.create(order=order, amount=Decimal(amount), reason=reason, created_at=timezone.now())
    if on_stripe:
        result = gateway.get_gateway().refund(
            refund=refund, payment_intent_id=Checkout.objects.get(pk=order.checkout_id).stripe_payment_intent_id
        )
        refund.stripe_refund_id = result.id
        refund.save(update_fields=["stripe_refund_id"])
    return refund


def post_event(client, event: dict, *, secret: str | None = None, timestamp: int | None = None, signature=None):
    """Deliver `event` to our webhook as Stripe would: the JSON body, signed."""
    body = json.dumps(event)
    header = signature if signature is not None else sign(body, secret, timestamp)
    return client.post(
        reverse("payments:stripe_webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
