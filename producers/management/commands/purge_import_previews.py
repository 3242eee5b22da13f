"""Household import previews nobody confirmed (run daily, deploy/): their uploaded spreadsheets
(citizen IDs in clear) are deleted once UPLOAD_RETENTION has passed, and the rows they listed
(household codes and changes) are cleared; the preview's counts stay as its record. Previews whose
import is under way keep their file. PDPA: kept only while a coordinator may still confirm."""

import datetime

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from marketplace import audit
from marketplace.jobs import locked_command
from producers.importing.models import HouseholdImport
from producers.importing.running import UPLOAD_RETENTION, purge_stale_uploads


class Command(BaseCommand):
    help = "Delete the files of unconfirmed household import previews and clear the rows they listed."

    @locked_command(datetime.timedelta(hours=1))
    def handle(self, *args, **options):
        files = purge_stale_uploads()
        cleared = (
            HouseholdImport.objects.filter(
                dry_run=True, confirmation__isnull=True, created_at__lt=timezone.now() - UPLOAD_RETENTION, file=""
            )
            .filter(~Q(outcomes=[]) | ~Q(errors=[]))
            .update(outcomes=[], errors=[])
        )
        audit.record("purge.import_previews", actor=None, details={"files": files, "cleared": cleared})
        self.stdout.write(f"{files} preview files deleted; {cleared} previews cleared.")
