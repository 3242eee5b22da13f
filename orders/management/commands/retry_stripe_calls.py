import datetime

from django.core.management.base import BaseCommand

from marketplace.jobs import locked_command
from orders.fulfilment import retry_stripe_calls


class Command(BaseCommand):
    help = (
        "Send again every invoice and refund whose Stripe call failed (Stripe down or timing out). "
        "Run every ten minutes (deploy/); the gateway's idempotency keys make a repeat harmless."
    )

    @locked_command(datetime.timedelta(minutes=30))
    def handle(self, *args, **options):
        invoices, refunds = retry_stripe_calls()
        self.stdout.write(f"invoices issued: {invoices}, refunds sent: {refunds}")
