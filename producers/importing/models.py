"""HouseholdImport: one run of the household import (a preview or a real import) and its outcome.

Part of the producers app (app label "producers", table producers_householdimport): producers/models.py
imports it at the end so Django registers it. Foreign keys are strings so this module needs nothing
from producers/models.py at import time.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

# What the database keeps of a failed run; the full list goes to whoever runs the command.
MAX_STORED_ERRORS = 1000
# How many per-row outcomes (created / updated / unchanged) a run keeps to show.
MAX_STORED_OUTCOMES = 1000


def private_storage():
    return storages["private"]


def import_upload_path(instance, filename: str) -> str:
    # A random name: the user's file name may itself carry personal data ("ครัวเรือน นายสมชาย.xlsx").
    return f"imports/households/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class HouseholdImport(models.Model):
    """A file of target households, checked (a preview, `dry_run`) or imported, in the background.

    The uploaded file holds citizen ID numbers in clear, so it lives in the private storage only
    for as long as it may still be needed: until the import of a previewed file has run, or a day
    for a preview nobody confirmed (see producers.importing.running.purge_stale_uploads).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    institution = models.ForeignKey(
        "producers.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    default_group = models.ForeignKey(
        "producers.ProducerGroup",
        verbose_name=_("default producer group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Households whose row names no group are enrolled in this one."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField(
        _("file"), upload_to=import_upload_path, storage=private_storage, blank=True, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(
        _("preview only"), default=True, help_text=_("Check the file and list the changes without writing them.")
    )
    preview = models.OneToOneField(
        "self",
        verbose_name=_("confirms preview"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="confirmation",
        help_text=_("The preview whose file this import writes. A preview is confirmed at most once."),
    )
    language = models.CharField(
        _("language"), max_length=10, default="th", help_text=_("The language of the messages in the result.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("The first errors found: row, column, message.")
    )
    outcomes = models.JSONField(
        _("outcomes"),
        default=list,
        blank=True,
        help_text=_("Rows and what happens to them (created, updated, unchanged), the changes first."),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        app_label = "producers"
        verbose_name = _("household import")
        verbose_name_plural = _("household imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent_done(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)

    @property
    def can_be_confirmed(self) -> bool:
        """A clean preview whose file is still kept, not yet confirmed."""
        return (
            self.dry_run
            and self.status == self.Status.SUCCEEDED
            and not self.error_count
            and bool(self.file)
            and not hasattr(self, "confirmation")
        )
