"""Emails about payments, queued in the outbox inside the payment's transaction (see orders.emails).
Each goes out in its recipient's preferred language; a company's billing
address, which belongs to no user, is written to in the site's language."""

from __future__ import annotations

from django.urls import reverse

from producers.models import GroupMembership

from .emails import _absolute, _send, _send_to_address


def checkout_paid(checkout) -> None:
    """The managers of each group hear of their new paid order; the buyer gets the receipt links."""
    orders = list(checkout.orders.select_related("group", "company").order_by("pk"))
    for order in orders:
        managers = (
            GroupMembership.objects.filter(
                group_id=order.group_id, role=GroupMembership.Role.MANAGER, user__is_active=True
            )
            .select_related("user")
            .order_by("user__email")
        )
        context = {
            "order": order,
            "lines": list(order.lines.all()),
            "url": _absolute(reverse("orders_admin:order_detail", args=[order.pk])),
        }
        for membership in managers:
            _send(membership.user, "payment_order_paid", context, event=f"order-{order.pk}")
    buyer = checkout.created_by
    if buyer is not None and buyer.is_active:
        links = [
            (
                order,
                _absolute(reverse("buyers:order_detail", args=[order.pk])),
                _absolute(reverse("buyers:order_receipt", args=[order.pk])),
            )
            for order in orders
        ]
        _send(buyer, "payment_receipt", {"checkout": checkout, "links": links})


def checkout_failed(checkout) -> None:
    buyer = checkout.created_by
    if buyer is not None and buyer.is_active:
        _send(buyer, "payment_failed", {"checkout": checkout, "orders": list(checkout.orders.order_by("pk"))})


def invoice_payment_failed(invoice, *, attempt: str = "") -> None:
    """To the company's billing address and the purchaser who placed the order. An invoice can
    fail more than once: `attempt` (the failure's audit event) tells the failures apart."""
    order = invoice.order
    context = {"invoice": invoice, "order": order, "pay_url": invoice.hosted_invoice_url}
    event = f"invoice-{invoice.pk}-{attempt}"
    buyer = order.placed_by
    sent_to = set()
    if buyer is not None and buyer.is_active:
        _send(buyer, "payment_invoice_failed", context, event=event)
        sent_to.add(buyer.email.lower())
    billing = order.company.billing_email
    if billing and billing.lower() not in sent_to:
        _send_to_address(billing, "payment_invoice_failed", context, event=event)
