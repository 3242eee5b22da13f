"""Delete stored Idempotency-Key answers older than seven days (run daily, deploy/). A client
retrying a call-off within a week gets the first answer again; after that the key is forgotten,
as the API documentation says."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import IdempotencyRecord
from marketplace import audit
from marketplace.jobs import locked_command

KEEP = datetime.timedelta(days=7)


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than seven days."

    @locked_command(datetime.timedelta(hours=1))
    def handle(self, *args, **options):
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        audit.record("purge.idempotency_records", actor=None, details={"deleted": deleted})
        self.stdout.write(f"{deleted} idempotency records deleted.")
