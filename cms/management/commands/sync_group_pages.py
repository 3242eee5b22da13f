from django.core.management.base import BaseCommand
from django.db import transaction

from cms.models import ProducerGroupPage
from cms.services import ensure_group_page, sync_all_group_access
from producers.models import ProducerGroup


class Command(BaseCommand):
    help = (
        "Give every producer group its page, image collection, editor and publisher groups and "
        "approval workflow (groups made before these existed), then resync who edits and who "
        "publishes each group's pages. Safe to run again."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            without_page = ProducerGroup.objects.exclude(pk__in=ProducerGroupPage.objects.values("group_id"))
            created = 0
            for group in without_page.order_by("pk"):
                ensure_group_page(group)
                created += 1
            synced = sync_all_group_access()
        self.stdout.write(f"Group pages created: {created}; groups resynced: {synced}")
