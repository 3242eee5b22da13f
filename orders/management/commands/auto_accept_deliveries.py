"""Accept the deliveries buyers left unanswered, and retry Stripe calls that failed.

Run once a day by cron, e.g.

    15 2 * * *  cd /srv/marketplace && .venv/bin/python manage.py auto_accept_deliveries

A delivery awaiting acceptance for more than settings.ORDERS_AUTO_ACCEPT_DAYS days (environment
variable ORDERS_AUTO_ACCEPT_DAYS, default 7) is accepted in full, with no actor, marked
"accepted automatically" and audited; contract orders are then invoiced as after any acceptance.
Invoices and refunds whose Stripe call failed earlier are sent again (see orders.fulfilment).
Safe to run more than once a day."""

import datetime

from django.core.management.base import BaseCommand

from marketplace.jobs import locked_command
from orders import fulfilment


class Command(BaseCommand):
    help = "Accept deliveries left unanswered for ORDERS_AUTO_ACCEPT_DAYS days; retry failed Stripe invoices/refunds."

    @locked_command(datetime.timedelta(hours=6))
    def handle(self, *args, **options):
        accepted = fulfilment.deliveries_auto_accept()
        invoices, refunds = fulfilment.retry_stripe_calls()
        self.stdout.write(
            f"{len(accepted)} deliveries accepted automatically; {invoices} invoices and {refunds} refunds sent again."
        )
