"""Emails about orders. Services call these inside the transaction that makes the change: each
message is rendered in its recipient's preferred language and queued in the outbox
(marketplace.outbox), which sends it after the commit, in the background, retrying until the mail
server takes it. The key of each names its event and recipient, so an event mails each person once."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from marketplace import outbox
from producers.models import GroupMembership


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _event_key(template: str, context: dict, event: str) -> tuple[str, int | None]:
    """The event a message reports, and the producer group it concerns (the outbox page's scope)."""
    order = context.get("order")
    if event:
        return f"{template}:{event}", getattr(order, "group_id", None)
    for name in ("delivery", "invoice", "checkout", "order"):
        if (obj := context.get(name)) is not None:
            return f"{template}:{name}-{obj.pk}", getattr(order, "group_id", None)
    raise ValueError(f"no event to key the {template} message by")


def _send(user, template: str, context: dict, *, event: str = "") -> None:
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {**context, "recipient": user}
        subject = render_to_string(f"orders/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{template}.txt", context)
    key, group_id = _event_key(template, context, event)
    outbox.enqueue(
        f"{key}:user-{user.pk}",
        to=user.email,
        subject=subject,
        body=body,
        kind=template,
        language=language,
        group_id=group_id,
    )


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


def _send_to_address(address: str, template: str, context: dict, *, event: str = "") -> None:
    """To an address that is not a user (a company's billing mailbox): in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {**context, "recipient": None}
        subject = render_to_string(f"orders/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{template}.txt", context)
    key, group_id = _event_key(template, context, event)
    outbox.enqueue(
        f"{key}:to-{address.lower()}",
        to=address,
        subject=subject,
        body=body,
        kind=template,
        language=settings.LANGUAGE_CODE,
        group_id=group_id,
    )


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
