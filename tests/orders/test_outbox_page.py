"""Admin › Outbox: who sees which messages, retrying a failed one (audited), and the background
jobs for administrators."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django_tasks.backends.database.models import DBTaskResult

from marketplace import outbox
from marketplace.models import AuditEvent, OutboxMessage
from tests.factories.accounts import UserFactory
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db

URL = reverse("orders_admin:outbox")


def message(key, *, group=None, status=OutboxMessage.Status.QUEUED, **fields):
    row = OutboxMessage.objects.create(
        key=key,
        to=fields.pop("to", "someone@example.org"),
        subject=fields.pop("subject", f"subject {key}"),
        body="body",
        kind="call_off_placed",
        group_id=group.pk if group else None,
        **fields,
    )
    OutboxMessage.objects.filter(pk=row.pk).update(status=status)
    row.refresh_from_db()
    return row


@pytest.fixture
def admin(db):
    user = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    give_totp(user)
    return user


def test_a_coordinator_sees_the_messages_of_their_area_only(client, kalasin_coordinator, kalasin_group, roiet_group):
    message("ours", group=kalasin_group, subject="Kalasin call-off")
    message("theirs", group=roiet_group, subject="Khon Kaen call-off")
    message("account", subject="Confirm your email")
    client.force_login(kalasin_coordinator)

    page = client.get(URL).content.decode()

    assert "Kalasin call-off" in page
    assert "Khon Kaen call-off" not in page and "Confirm your email" not in page
    assert 'id="outbox-jobs"' not in page  # background jobs are for administrators


def test_an_administrator_sees_every_message_and_the_failed_jobs(client, admin, kalasin_group):
    message("a", group=kalasin_group, subject="Kalasin call-off")
    message("b", subject="Confirm your email", status=OutboxMessage.Status.FAILED, last_error="SMTPConnectError")
    job = DBTaskResult.objects.create(
        status="FAILED",
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="orders.tasks.issue_invoice",
        backend_name="default",
        queue_name="default",
        run_after="2026-12-04T00:00:00Z",
        exception_class_path="stripe.APIConnectionError",
        traceback="",
    )
    client.force_login(admin)

    page = client.get(URL).content.decode()

    assert "Kalasin call-off" in page and "Confirm your email" in page and "SMTPConnectError" in page
    assert f'data-job="{job.pk}"' in page and "orders.tasks.issue_invoice" in page
    failed_only = client.get(URL, {"status": "failed"}).content.decode()
    assert "Confirm your email" in failed_only and "Kalasin call-off" not in failed_only


@pytest.mark.parametrize("who", ["manager", "purchaser", "anonymous"])
def test_others_cannot_open_the_outbox(client, who, kalasin_group, purchaser):
    message("a", group=kalasin_group, subject="Kalasin call-off")
    if who == "manager":
        from producers import services
        from producers.models import GroupMembership

        manager = UserFactory()
        services.membership_grant(user=manager, group=kalasin_group, role=GroupMembership.Role.MANAGER)
        client.force_login(manager)
    elif who == "purchaser":
        client.force_login(purchaser)

    response = client.get(URL)

    assert response.status_code in (302, 403)
    assert "Kalasin call-off" not in response.content.decode()


def test_retrying_a_failed_message_queues_it_again_and_is_audited(
    client, kalasin_coordinator, kalasin_group, mailoutbox, django_capture_on_commit_callbacks
):
    failed = message(
        "failed", group=kalasin_group, status=OutboxMessage.Status.FAILED, attempts=8, last_error="timed out"
    )
    client.force_login(kalasin_coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders_admin:outbox_retry", args=[failed.pk]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT and failed.attempts == 9
    assert [m.to for m in mailoutbox] == [["someone@example.org"]]
    event = AuditEvent.objects.get(action="outbox.retried")
    assert event.actor == kalasin_coordinator and event.object_id == str(failed.pk)


def test_a_coordinator_cannot_retry_another_areas_message(client, kalasin_coordinator, roiet_group):
    failed = message("theirs", group=roiet_group, status=OutboxMessage.Status.FAILED)
    client.force_login(kalasin_coordinator)

    assert client.post(reverse("orders_admin:outbox_retry", args=[failed.pk])).status_code == 404
    assert OutboxMessage.objects.get(pk=failed.pk).status == OutboxMessage.Status.FAILED


def test_the_same_event_enqueued_twice_is_one_message_and_one_mail(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue("order:1:placed:user-2", to="a@example.org", subject="s", body="b", kind="k")
        again = outbox.enqueue("order:1:placed:user-2", to="a@example.org", subject="s", body="b", kind="k")
    assert first.pk == again.pk and OutboxMessage.objects.count() == 1
    outbox.deliver(first.pk)  # the job enqueued a second time: already sent, nothing happens
    assert len(mailoutbox) == 1


def test_a_failing_message_backs_off_then_fails_for_good(settings):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    row = message("bounce")
    delays = []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=None)
        outbox.deliver(row.pk)
        row.refresh_from_db()
        if row.next_attempt_at:
            delays.append(round((row.next_attempt_at - row.claimed_at).total_seconds() / 60))
    assert row.status == OutboxMessage.Status.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    assert delays == [1, 2, 4, 8, 16, 32, 60]


def test_the_outbox_page_is_in_thai(client, admin):
    message("x", status=OutboxMessage.Status.FAILED)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    page = client.get(URL).content.decode()
    assert "กล่องจดหมายออก" in page and "ลองอีกครั้ง" in page
