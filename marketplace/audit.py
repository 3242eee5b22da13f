"""The one way to write, and to read, the audit trail.

`record()` takes the actor and IP from the current request (set by AuditContextMiddleware) unless
the caller passes them, so services deep below a view do not have to thread the request through.

The trail names people in the programme (households: personal data under the PDPA) by id only.
Apps register their personal kinds of object (`register_personal_kind`); `record()` then drops any
detail that would identify one (a name, a code, a phone number, a search text) and
`events_visible_to()` shows events about one only to those who may see it.
"""

from __future__ import annotations

import contextvars
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from .models import AuditEvent

logger = logging.getLogger(__name__)


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
    object_id = str(object_id)
    details, dropped = _without_personal_data(details or {}, object_type)
    kind = _personal_kinds.get(object_type)
    if kind is not None and object_id and not object_id.isdigit():
        dropped.add("object_id")
        object_id = ""
    if dropped:
        # A caller's mistake, caught here so the trail stays clean: fix the caller.
        logger.warning("audit event %s: dropped personal data %s", action, sorted(dropped))
        details["redacted"] = True
    return AuditEvent.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        ip_address=ip_address,
    )


# --- Personal data ----------------------------------------------------------------------------

# Detail keys never stored, whatever the event is about: what someone typed to find a person, and
# the fields that identify one. Searches are recorded as `has_search` and the filter keys used.
PERSONAL_KEYS = frozenset(
    {
        "q",
        "query",
        "search",
        "search_query",
        "term",
        "head_name",
        "phone",
        "village",
        "citizen_id",
        "citizen_id_last4",
        "citizen_id_hash",
    }
)


@dataclass(frozen=True)
class PersonalKind:
    """A kind of object that is personal data (a household), or is about one (a payout to it).

    `visible(user)` is the queryset of these objects the user may see: the trail shows their
    events to nobody else. `identifying_keys` are the detail keys that identify the object when it
    is an event's subject ("code", "name"); `reference_key` is the key under which events about
    other objects may name one ("household"), and then only by its id.
    """

    object_type: str
    visible: Callable[[Any], QuerySet]
    identifying_keys: frozenset[str] = frozenset()
    reference_key: str = ""


_personal_kinds: dict[str, PersonalKind] = {}


def register_personal_kind(kind: PersonalKind) -> None:
    """Called from the owning app's AppConfig.ready()."""
    _personal_kinds[kind.object_type] = kind


def _is_id(value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit())


def _without_personal_data(details: dict, object_type: str) -> tuple[dict, set[str]]:
    """A copy of `details` without personal keys (at any depth), and the keys dropped."""
    subject = _personal_kinds.get(object_type)
    identifying = subject.identifying_keys if subject else frozenset()
    references = {kind.reference_key for kind in _personal_kinds.values() if kind.reference_key}
    dropped: set[str] = set()

    def clean(value):
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                name = str(key).lower()
                if name in PERSONAL_KEYS or name in identifying or (name in references and not _is_id(item)):
                    dropped.add(name)
                else:
                    kept[key] = clean(item)
            return kept
        if isinstance(value, list | tuple):
            return [clean(item) for item in value]
        return value

    return clean(details), dropped


# --- Reading the trail ------------------------------------------------------------------------


def _ids_of(objects: QuerySet) -> QuerySet:
    # object_id is text: compare it with the ids as text, in one subquery.
    return objects.order_by().annotate(_audit_id=Cast("pk", CharField())).values("_audit_id")


def events_visible_to(user, events: QuerySet[AuditEvent] | None = None) -> QuerySet[AuditEvent]:
    """The audit events this user may read (of `events`, default all).

    * Platform admins (superusers) read the whole trail except events about a personal object
      (a household) they may not see themselves: communities own their data, so a superuser sees a
      household's events only where they also coordinate its area. Events about households as a
      list (a search, an export) name no household and hold no personal data: those they read.
    * Anyone else reads the events about the personal objects they may see (a coordinator: the
      households of their area), and nothing more. No view offers them this yet.
    """
    events = AuditEvent.objects.all() if events is None else events
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return events.none()
    in_scope = Q(pk__in=[])
    for kind in _personal_kinds.values():
        in_scope |= Q(object_type=kind.object_type, object_id__in=_ids_of(kind.visible(user)))
    if user.is_superuser:
        return events.filter(~Q(object_type__in=list(_personal_kinds)) | Q(object_id="") | in_scope)
    return events.filter(in_scope)


def record_reading(events: Iterable[AuditEvent]) -> None:
    """Reading a household's events is an access to the household: record whose, by id. Call
    with the events just shown; events about nobody in particular are not recorded."""
    shown: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_type in _personal_kinds and event.object_id.isdigit():
            shown[event.object_type].add(int(event.object_id))
    for object_type, ids in sorted(shown.items()):
        record(
            "audit.viewed",
            object_type=AuditEvent._meta.label_lower,
            details={"object_type": object_type, "object_ids": sorted(ids)},
        )
