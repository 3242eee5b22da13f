"""Scheduled jobs: one copy at a time across hosts (marketplace.jobs), and the purges."""

from __future__ import annotations

import datetime
import os
import threading
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyRecord
from marketplace.jobs import job_lock
from marketplace.models import AuditEvent, JobLock
from orders.models import PurchaseAgreement
from producers.importing.models import HouseholdImport
from tests.factories.accounts import UserFactory
from tests.factories.households import InstitutionFactory
from tests.factories.orders import AgreementFactory, signed_pdf

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_a_held_lock_is_not_taken_and_is_released_after_use():
    with job_lock("nightly", HOUR) as first:
        assert first
        with job_lock("nightly", HOUR) as second:
            assert not second
    assert JobLock.objects.get(name="nightly").holder == ""
    with job_lock("nightly", HOUR) as again:
        assert again


def test_a_dead_holders_lock_lapses_after_its_ttl():
    JobLock.objects.create(
        name="nightly", holder="host-that-died:123", expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with job_lock("nightly", HOUR) as taken:
        assert taken


def test_a_command_that_is_already_running_elsewhere_does_nothing():
    JobLock.objects.create(name="expire_checkouts", holder="other-host:1", expires_at=timezone.now() + HOUR)
    assert "already running elsewhere" in run("expire_checkouts")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_copies_started_at_once_run_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two connections taking the lock at once")
    start = threading.Barrier(2)
    ran = []

    def copy():
        try:
            start.wait()
            with job_lock("race", HOUR) as taken:
                if taken:
                    ran.append(1)
                    threading.Event().wait(0.5)  # hold it while the other tries
        finally:
            connection.close()

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ran == [1]


def test_idempotency_records_older_than_seven_days_are_purged(company, company_admin):
    from buyers.api_keys import create_key

    api_key = create_key(company=company, name="ERP", scopes=["read", "order"], created_by=company_admin)[0]
    old = IdempotencyRecord.objects.create(
        api_key=api_key,
        key="old",
        request_hash="x",
        response_status=201,
        response_body={},
        created_at=timezone.now() - datetime.timedelta(days=8),
    )
    recent = IdempotencyRecord.objects.create(
        api_key=api_key,
        key="recent",
        request_hash="y",
        response_status=201,
        response_body={},
        created_at=timezone.now() - datetime.timedelta(days=6),
    )

    assert "1 idempotency records deleted" in run("purge_idempotency_records")

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.get(action="purge.idempotency_records").details == {"deleted": 1}


def test_unconfirmed_import_previews_lose_their_files_and_rows(db):
    institution = InstitutionFactory()
    user = UserFactory()
    preview = HouseholdImport(institution=institution, created_by=user, original_name="a.csv", dry_run=True)
    preview.file.save("a.csv", ContentFile(b"household_code\n"), save=False)
    preview.status = HouseholdImport.Status.SUCCEEDED
    preview.outcomes = [{"row": 2, "code": "KAL-001", "action": "created"}]
    preview.save()
    fresh = HouseholdImport(institution=institution, created_by=user, original_name="b.csv", dry_run=True)
    fresh.file.save("b.csv", ContentFile(b"household_code\n"), save=False)
    fresh.outcomes = [{"row": 2, "code": "KAL-002", "action": "created"}]
    fresh.save()
    HouseholdImport.objects.filter(pk=preview.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    name = preview.file.name

    output = run("purge_import_previews")

    assert "1 preview files deleted; 1 previews cleared" in output
    preview.refresh_from_db()
    fresh.refresh_from_db()
    assert not preview.file and preview.outcomes == []
    assert not fresh.file.storage.exists(name) and fresh.file and fresh.outcomes


def test_orphaned_agreement_documents_are_purged_and_referenced_ones_kept(db):
    agreement = AgreementFactory()
    agreement.signed_document.save("signed.pdf", signed_pdf(), save=True)
    kept = agreement.signed_document.name
    storage = PurchaseAgreement._meta.get_field("signed_document").storage
    orphan = storage.save("agreements/KSU-OLD/20260101000000.pdf", signed_pdf())
    young_orphan = storage.save("agreements/KSU-NEW/20261204000000.pdf", signed_pdf())
    old = timezone.now() - datetime.timedelta(days=2)
    for name in (kept, orphan):
        os.utime(storage.path(name), (old.timestamp(), old.timestamp()))

    assert "1 orphaned agreement documents deleted" in run("purge_agreement_documents")

    assert storage.exists(kept) and storage.exists(young_orphan) and not storage.exists(orphan)


def test_every_scheduled_command_takes_the_lock():
    for command in (
        "auto_accept_deliveries",
        "expire_checkouts",
        "check_ledger_totals",
        "retry_stripe_calls",
        "run_outbox",
        "purge_idempotency_records",
        "purge_import_previews",
        "purge_agreement_documents",
    ):
        JobLock.objects.update_or_create(
            name=command, defaults={"holder": "other-host:1", "expires_at": timezone.now() + HOUR}
        )
        assert "already running elsewhere" in run(command), command
