"""The outbox: every email the site sends goes through here, never straight to SMTP in a request.

    outbox.enqueue(key, to=..., subject=..., body=..., kind=...)

writes an `OutboxMessage` row in the caller's transaction (so a rolled-back change mails no one,
and a committed one is never forgotten) and, once the transaction commits, asks the task backend
to deliver it (`deliver_message`, django-tasks: the database backend's `db_worker` in production).
If that enqueue fails, or the worker is down, `manage.py run_outbox` (every minute) picks the
message up. The key names the event and the recipient: the same event enqueued twice is one row.

Delivery claims the row (QUEUED → SENDING, attempts + 1) in a short transaction, talks to SMTP
outside any transaction, then records SENT, or the error and the next attempt (backoff 1, 2, 4 …
minutes, at most an hour) or FAILED after MAX_ATTEMPTS. A worker that dies between SMTP accepting
the message and the SENT mark leaves it SENDING; after STALE_AFTER it is sent again, so that rare
case can deliver a message twice (its Message-ID is the same both times, so mail clients merge the
copies). Nothing else can.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_AFTER = timedelta(minutes=10)
# run_outbox leaves a message this long to the job enqueued for it before sending it itself.
GRACE = timedelta(seconds=30)
SMTP_TIMEOUT = 10  # seconds: a hung mail server must not hold a worker for long
Status = OutboxMessage.Status


def enqueue(key: str, *, to: str, subject: str, body: str, kind: str, language: str = "", group_id=None):
    """Queue one message for `to`. Call it inside the transaction that makes the change."""
    message, created = OutboxMessage.objects.get_or_create(
        key=key[:200],
        defaults={
            "to": to,
            "subject": subject[:300],
            "body": body,
            "kind": kind,
            "language": language,
            "group_id": group_id,
            "next_attempt_at": timezone.now(),
        },
    )
    if created:
        transaction.on_commit(lambda: schedule(message.pk))
    return message


def schedule(message_id: int) -> None:
    """Hand a message to the task backend. Never raises: `run_outbox` catches what this misses."""
    try:
        deliver_message.enqueue(message_id)
    except Exception:
        logger.exception("could not enqueue outbox message %s; run_outbox will send it", message_id)


@task()
def deliver_message(message_id: int) -> str:
    return deliver(message_id)


def message_id_header(message: OutboxMessage) -> str:
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "marketplace.localhost"
    return f"<{digest}@{domain}>"


def _claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in (Status.SENT, Status.FAILED):
            return None
        if message.status == Status.SENDING and message.claimed_at and message.claimed_at > now - STALE_AFTER:
            return None  # another worker is sending it right now
        if message.status == Status.QUEUED and message.next_attempt_at and message.next_attempt_at > now:
            return None  # backing off
        message.status = Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
    return message


def deliver(message_id: int) -> str:
    """Send one message if it is due; return its status afterwards (or "skipped")."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    try:
        email = EmailMessage(
            message.subject,
            message.body,
            None,
            [message.to],
            headers={"Message-ID": message_id_header(message)},
            connection=get_connection(timeout=SMTP_TIMEOUT),
        )
        email.send()
    except Exception as error:  # SMTP refused, unreachable, timed out: record, back off, retry
        return _failed(message, error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return Status.SENT


def _failed(message: OutboxMessage, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        status, next_attempt = Status.FAILED, None
        logger.error("outbox message %s (%s) failed for good: %s", message.pk, message.kind, text)
    else:
        status = Status.QUEUED
        next_attempt = timezone.now() + min(timedelta(minutes=2 ** (message.attempts - 1)), timedelta(hours=1))
        logger.warning("outbox message %s (%s) not sent, retry at %s: %s", message.pk, message.kind, next_attempt, text)
    OutboxMessage.objects.filter(pk=message.pk).update(status=status, last_error=text, next_attempt_at=next_attempt)
    return status


def due(now=None):
    """Messages `run_outbox` sends: queued and due for GRACE already (a retry, or a message whose
    job was never enqueued or is stuck behind others), or left sending by a worker that died."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        Q(status=Status.QUEUED, next_attempt_at__lte=now - GRACE)
        | Q(status=Status.QUEUED, next_attempt_at__isnull=True)
        | Q(status=Status.SENDING, claimed_at__lt=now - STALE_AFTER)
    )


def send_due(limit: int = 500) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message_id in due().order_by("pk").values_list("pk", flat=True)[:limit]:
        outcome = deliver(message_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def retry(message: OutboxMessage) -> bool:
    """A person asked to try a failed message again (the outbox page). Audited by the caller."""
    updated = OutboxMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.QUEUED, next_attempt_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: schedule(message.pk))
    return bool(updated)
