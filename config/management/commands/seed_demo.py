"""`manage.py seed_demo`: the demo site, built by each app's `demo` module in layer order. Lives in
the project package because it calls every app (docs/architecture.md)."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from buyers import demo as buyers_demo
from cms import demo as cms_demo
from cms.services import sync_all_group_access
from income import demo as income_demo
from marketplace import demo as marketplace_demo
from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from orders import demo as orders_demo
from producers import demo as producers_demo
from referrals import demo as referrals_demo


class Command(BaseCommand):
    help = "Create the demo accounts (and, from later apps, demo data). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force: bool = False, verbosity: int = 1, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates accounts with a published password; with DEBUG off pass --force.")
        if verbosity >= 2:  # every background task's log line and every e-mail, as they happen
            return self.seed()
        # A short summary: the demo's e-mails (sixty-odd order and delivery notices) are kept in
        # memory instead of printed, and the task runner's INFO lines are not shown.
        from django.core import mail
        from django.test import override_settings

        logging.disable(logging.INFO)
        try:
            # (override_settings is Django's own way to swap a setting for a block; a test run
            # that already collects mail in mail.outbox keeps what the seed sends.)
            earlier = getattr(mail, "outbox", None)
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                mail.outbox = []
                self.seed()
                seeded = mail.outbox
            sent = len(seeded)
            if earlier is None:
                del mail.outbox
            else:
                earlier.extend(seeded)
                mail.outbox = earlier
        finally:
            logging.disable(logging.NOTSET)
        self.stdout.write(f"E-mails sent while seeding: {sent} (run with -v 2 to see them).")

    def seed(self):
        with transaction.atomic():
            users = marketplace_demo.seed()
            # Each app adds its own demo data, in dependency order.
            figures = producers_demo.seed(
                coordinator=users["coordinator"],
                manager=users["producer_manager"],
                treasurer=users["producer_treasurer"],
            )
            catalogue = cms_demo.seed()
            # Who edits and publishes each group's pages follows memberships and assignments.
            sync_all_group_access()
            companies = buyers_demo.seed(purchaser=users["company_purchaser"], company_admin=users["company_admin"])
            offtake = orders_demo.seed(
                purchaser=users["company_purchaser"],
                companies=companies["company_list"],
                coordinator=users["coordinator"],
            )
            # The money reaches the households: earlier call-offs paid, contributions, payouts.
            income = income_demo.seed(
                purchaser=users["company_purchaser"],
                companies=companies["company_list"],
                manager=users["producer_manager"],
            )
            offtake["deliveries"] += income["deliveries"]
            # Verification, needs and referrals to agencies (after the households exist).
            referral_figures = referrals_demo.seed(
                field_manager=users["area_research_manager"],
                agency_staff=users["agency_staff"],
                coordinator=users["coordinator"],
            )
            offtake["payouts"] = income["payouts"]
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for email, _name, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<22} {email}")
        self.stdout.write(
            f"Producer groups: {figures['groups']}; households created this run: {figures['households_created']}; "
            f"follow-up income surveys: {figures['surveys_created']}"
        )
        self.stdout.write(
            f"Catalogue created this run: {catalogue['products']} products, {catalogue['images']} photos, "
            f"{catalogue['categories']} categories, {catalogue['certifications']} certifications, "
            f"{catalogue['stories']} stories"
        )
        self.stdout.write(
            f"Partner companies created this run: {companies['companies']}; agreements: {offtake['agreements']}, "
            f"call-offs: {offtake['call_offs']}; deliveries: {offtake['deliveries']}; payouts: {offtake['payouts']}"
        )
        self.stdout.write(
            f"Verified households: {referral_figures['verified']}; needs assessments: "
            f"{referral_figures['assessments']}; referrals: {referral_figures['referrals']} "
            f"(to {referral_figures['agencies']} agencies)"
        )
        if offtake["skipped"]:
            self.stdout.write(f"Agreements skipped (their demo products do not exist): {', '.join(offtake['skipped'])}")
        if companies["api_key"]:
            self.stdout.write(
                f"Buyer API key of {companies['company_list'][0].name_th} (companyadmin@demo.example), "
                f"shown this once: {companies['api_key']}"
            )
        self.stdout.write(
            "The admin, the coordinator, the manager and the treasurer must set up an authenticator app (TOTP) at "
            "first visit to /admin/; the area research manager (/field/) and the agency staff (/agency/) at "
            "their first visit too."
        )
