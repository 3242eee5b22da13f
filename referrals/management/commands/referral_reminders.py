"""Remind agencies of referrals they have not answered by the expected date, and escalate to the
area's coordinators those still unanswered REFERRALS_ESCALATE_AFTER_DAYS days later.

Run once a day by cron or a systemd timer (deploy/), e.g.

    30 7 * * *  cd /srv/marketplace && .venv/bin/python manage.py referral_reminders

The e-mails go through the outbox (marketplace.outbox) and so the task queue. Safe to run more
than once a day: an agency is reminded at most every REMIND_EVERY, a referral escalated once."""

import datetime

from django.core.management.base import BaseCommand

from marketplace.jobs import locked_command
from referrals import services


class Command(BaseCommand):
    help = "Remind agencies of late referrals; escalate long-late ones to the area's coordinators."

    @locked_command(datetime.timedelta(hours=2))
    def handle(self, *args, **options):
        reminded = services.referrals_remind()
        escalated = services.referrals_escalate()
        self.stdout.write(f"{reminded} reminders queued; {escalated} referrals escalated.")
