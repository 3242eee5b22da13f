import datetime

from django.core.management.base import BaseCommand

from marketplace import outbox
from marketplace.jobs import locked_command


class Command(BaseCommand):
    help = (
        "Send the outbox messages that are due: queued ones whose retry time has come, and ones left "
        "'sending' by a worker that died. Run every minute (deploy/); safe to run twice at once."
    )

    @locked_command(datetime.timedelta(minutes=15))
    def handle(self, *args, **options):
        counts = outbox.send_due()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing due")
