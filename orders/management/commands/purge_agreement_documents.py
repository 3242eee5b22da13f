"""Delete signed-agreement PDFs that no agreement refers to any more (run daily, deploy/): the
earlier file of a draft whose document was replaced, or the file of a draft that was deleted.
Files younger than a day are left alone, so an upload being saved right now is never taken. Works
on any storage that can list (the local disk, S3)."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from marketplace import audit
from marketplace.jobs import locked_command
from orders.models import PurchaseAgreement

ROOT = "agreements"
MIN_AGE = datetime.timedelta(days=1)


def _walk(storage, path):
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{path}/{name}"
    for directory in directories:
        yield from _walk(storage, f"{path}/{directory}")


class Command(BaseCommand):
    help = "Delete agreement PDFs in storage that no agreement refers to (older than a day)."

    @locked_command(datetime.timedelta(hours=1))
    def handle(self, *args, **options):
        storage = PurchaseAgreement._meta.get_field("signed_document").storage
        referenced = set(
            PurchaseAgreement.objects.exclude(signed_document="").values_list("signed_document", flat=True)
        )
        cutoff = timezone.now() - MIN_AGE
        deleted = []
        for name in _walk(storage, ROOT):
            if name in referenced or storage.get_modified_time(name) > cutoff:
                continue
            storage.delete(name)
            deleted.append(name)
        audit.record("purge.agreement_documents", actor=None, details={"deleted": len(deleted)})
        self.stdout.write(f"{len(deleted)} orphaned agreement documents deleted.")
