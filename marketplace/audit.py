"""The one way to write the audit trail.

`record()` takes the actor and IP from the current request (set by AuditContextMiddleware) unless
the caller passes them, so services deep below a view do not have to thread the request through.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import AuditEvent


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    ip_address: str | None = None


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)
_NO_CONTEXT = AuditContext()


def set_context(*, actor=None, ip_address: str | None = None) -> contextvars.Token:
    return _context.set(AuditContext(actor=actor, ip_address=ip_address))


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


def client_ip(request) -> str | None:
    """The client's address. Behind a proxy, the last hop it appended to X-Forwarded-For, which a
    client cannot forge (the earlier entries it can)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


_UNSET = object()


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    actor=_UNSET,
    object_type: str = "",
    object_id: str | int = "",
    details: dict | None = None,
    ip_address: str | object | None = _UNSET,
) -> AuditEvent:
    """Append one audit event. `action` is a dotted name such as "auth.login" or "role.granted"."""
    context = _context.get() or _NO_CONTEXT
    if actor is _UNSET:
        actor = context.actor
    if ip_address is _UNSET:
        ip_address = context.ip_address
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEvent.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
        ip_address=ip_address,
    )
