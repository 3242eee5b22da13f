"""The background run of a stored upload (HouseholdImport): the task's body (tasks.py), storing
progress and the outcome, and deleting uploads once they are no longer needed."""

from __future__ import annotations

import datetime
import logging
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .applying import import_households
from .models import MAX_STORED_ERRORS, MAX_STORED_OUTCOMES, HouseholdImport
from .parsing import Action, ImportReport, RowError
from .validation import ImportScope

logger = logging.getLogger(__name__)

UPLOAD_RETENTION = timedelta(days=1)


def run_import(import_id: int) -> None:
    """The background task's body. Runs a queued import once (a second delivery of the task does
    nothing), storing progress and the outcome on the HouseholdImport."""
    claimed = HouseholdImport.objects.filter(pk=import_id, status=HouseholdImport.Status.QUEUED).update(
        status=HouseholdImport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    household_import = HouseholdImport.objects.select_related("institution", "default_group", "created_by").get(
        pk=import_id
    )
    purge_stale_uploads()

    def progress(done: int, total: int) -> None:
        HouseholdImport.objects.filter(pk=import_id).update(processed_rows=done, total_rows=total)

    with translation.override(household_import.language):
        try:
            with household_import.file.open("rb") as stored:
                data = stored.read()
            report = import_households(
                data=data,
                filename=household_import.original_name,
                institution=household_import.institution,
                default_group=household_import.default_group,
                scope=ImportScope.coordinator(household_import.created_by, household_import.institution),
                dry_run=household_import.dry_run,
                actor=household_import.created_by,
                audit_object=household_import,
                progress=progress,
            )
        except Exception:
            logger.exception("household import %s failed", import_id)
            report = ImportReport(dry_run=household_import.dry_run)
            report.errors.append(
                RowError(0, "", _("The import stopped because of an unexpected error; nothing was written."))
            )
    _store_report(household_import, report)
    _release_file(household_import)


def _store_report(household_import: HouseholdImport, report: ImportReport) -> None:
    household_import.status = HouseholdImport.Status.SUCCEEDED if report.ok else HouseholdImport.Status.FAILED
    household_import.total_rows = report.total_rows
    household_import.processed_rows = report.total_rows
    household_import.created_count = report.created
    household_import.updated_count = report.updated
    household_import.unchanged_count = report.unchanged
    household_import.error_count = len(report.errors)
    household_import.errors = [error.as_dict() for error in report.errors[:MAX_STORED_ERRORS]]
    # What changes comes first, so a long file's changes are not crowded out by unchanged rows.
    changes_first = sorted(report.outcomes, key=lambda outcome: (outcome.action == Action.UNCHANGED, outcome.row))
    household_import.outcomes = [outcome.as_dict() for outcome in changes_first[:MAX_STORED_OUTCOMES]]
    household_import.details = {
        "ignored_columns": report.ignored_columns,
        "enrolments_created": report.enrolments_created,
        "consents_given": report.consents_given,
        "consents_withdrawn": report.consents_withdrawn,
    }
    household_import.finished_at = timezone.now()
    household_import.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "errors",
            "outcomes",
            "details",
            "finished_at",
        ]
    )


def _release_file(household_import: HouseholdImport) -> None:
    """Delete the upload (it holds citizen IDs in clear) unless it is a clean preview still
    waiting for confirmation."""
    if household_import.can_be_confirmed or not household_import.file:
        return
    name = household_import.file.name
    household_import.file.storage.delete(name)
    HouseholdImport.objects.filter(file=name).update(file="")
    household_import.file = ""


def purge_stale_uploads(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of previews nobody confirmed within UPLOAD_RETENTION. Returns how many."""
    cutoff = (now or timezone.now()) - UPLOAD_RETENTION
    stale = (
        HouseholdImport.objects.filter(dry_run=True, created_at__lt=cutoff)
        .exclude(file="")
        .exclude(confirmation__status__in=[HouseholdImport.Status.QUEUED, HouseholdImport.Status.RUNNING])
    )
    names = set(stale.values_list("file", flat=True))
    if not names:
        return 0
    storage = HouseholdImport._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
    HouseholdImport.objects.filter(file__in=names).update(file="")
    return len(names)
