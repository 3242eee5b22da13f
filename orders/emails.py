"""Emails about orders, sent after the transaction commits (services register them with
transaction.on_commit). Each goes out in its recipient's preferred language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from producers.models import GroupMembership


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _send(user, template: str, context: dict) -> None:
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {**context, "recipient": user}
        subject = render_to_string(f"orders/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{template}.txt", context)
    send_mail(subject, body, None, [user.email])


def call_off_placed(order) -> None:
    """To the managers of the order's producer group."""
    managers = (
        GroupMembership.objects.filter(group_id=order.group_id, role=GroupMembership.Role.MANAGER, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "url": _absolute(reverse("orders_admin:order_detail", args=[order.pk])),
    }
    for membership in managers:
        _send(membership.user, "call_off_placed", context)


def order_answered(order) -> None:
    """To the purchaser who placed it: confirmed, or declined with the group's reason."""
    if order.placed_by is None or not order.placed_by.is_active:
        return
    event = order.events.filter(field="status", to_status=order.status).order_by("-created_at", "-pk").first()
    context = {
        "order": order,
        "event": event,
        "url": _absolute(reverse("buyers:order_detail", args=[order.pk])),
    }
    _send(order.placed_by, f"order_{order.status}", context)


def _send_to_address(address: str, template: str, context: dict) -> None:
    """To an address that is not a user (a company's billing mailbox): in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"orders/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{template}.txt", context)
    send_mail(subject, body, None, [address])


def _group_managers(group_id):
    return [
        membership.user
        for membership in GroupMembership.objects.filter(
            group_id=group_id, role=GroupMembership.Role.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    ]


def _purchaser(order):
    user = order.placed_by
    return user if user is not None and user.is_active else None


def _buyer_url(order) -> str:
    return _absolute(reverse("buyers:order_detail", args=[order.pk]))


def _admin_url(order) -> str:
    return _absolute(reverse("orders_admin:order_detail", args=[order.pk]))


def delivery_recorded(delivery) -> None:
    """To the purchaser: goods arrived, please accept them."""
    order = delivery.order
    if (purchaser := _purchaser(order)) is None:
        return
    context = {
        "order": order,
        "delivery": delivery,
        "lines": list(delivery.lines.select_related("order_line")),
        "auto_accept_days": settings.ORDERS_AUTO_ACCEPT_DAYS,
        "url": _buyer_url(order),
    }
    _send(purchaser, "delivery_recorded", context)


def delivery_accepted(delivery) -> None:
    """To the group's managers: what the buyer accepted and rejected, and why."""
    order = delivery.order
    lines = list(delivery.lines.select_related("order_line"))
    context = {
        "order": order,
        "delivery": delivery,
        "lines": lines,
        "rejected": any(line.rejected_quantity for line in lines),
        "url": _admin_url(order),
    }
    for manager in _group_managers(order.group_id):
        _send(manager, "delivery_accepted", context)


def invoice_issued(invoice) -> None:
    """To the company's billing mailbox, or the purchaser when the company has none."""
    order = invoice.order
    context = {"order": order, "invoice": invoice, "url": _buyer_url(order)}
    if order.company.billing_email:
        _send_to_address(order.company.billing_email, "invoice_issued", context)
    elif (purchaser := _purchaser(order)) is not None:
        _send(purchaser, "invoice_issued", context)


def order_completed(order) -> None:
    """To both sides: the purchaser and the group's managers."""
    if (purchaser := _purchaser(order)) is not None:
        _send(purchaser, "order_completed", {"order": order, "url": _buyer_url(order)})
    for manager in _group_managers(order.group_id):
        _send(manager, "order_completed", {"order": order, "url": _admin_url(order)})


def order_cancelled(order, *, by_buyer: bool) -> None:
    """To the other side: the group's managers when the buyer cancelled, else the purchaser."""
    event = order.events.filter(field="status", to_status=order.status).order_by("-created_at", "-pk").first()
    refund = order.refunds.order_by("-pk").first()
    if by_buyer:
        context = {"order": order, "event": event, "refund": refund, "by_buyer": True, "url": _admin_url(order)}
        for manager in _group_managers(order.group_id):
            _send(manager, "order_cancelled", context)
    elif (purchaser := _purchaser(order)) is not None:
        context = {"order": order, "event": event, "refund": refund, "by_buyer": False, "url": _buyer_url(order)}
        _send(purchaser, "order_cancelled", context)
