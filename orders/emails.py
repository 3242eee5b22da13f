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
