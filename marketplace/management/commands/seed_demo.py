from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from marketplace import access

DEMO_PASSWORD = "demo-pass-2569"

# (email, full name, role); later apps attach their memberships to these accounts.
DEMO_ACCOUNTS = [
    ("admin@demo.example", "ผู้ดูแลระบบ ตัวอย่าง", "admin"),
    ("coordinator@demo.example", "อาจารย์สมหญิง ประสานงาน", "coordinator"),
    ("manager@demo.example", "นางบุญมี ใจดี", "producer_manager"),
    ("purchaser@demo.example", "คุณวิชัย จัดซื้อ", "company_purchaser"),
]


class Command(BaseCommand):
    help = "Create the demo accounts (and, from later apps, demo data). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates accounts with a published password; with DEBUG off pass --force.")
        with transaction.atomic():
            users = {role: self._account(email, name, role) for email, name, role in DEMO_ACCOUNTS}
            # Each app adds its own demo data, in dependency order.
            from cms import demo as cms_demo
            from cms.services import sync_all_group_access
            from producers import demo as producers_demo

            figures = producers_demo.seed(coordinator=users["coordinator"], manager=users["producer_manager"])
            catalogue = cms_demo.seed()
            # Who edits and publishes each group's pages follows memberships and assignments.
            sync_all_group_access()
            from buyers import demo as buyers_demo
            from orders import demo as orders_demo

            companies = buyers_demo.seed(purchaser=users["company_purchaser"])
            offtake = orders_demo.seed(
                purchaser=users["company_purchaser"],
                companies=companies["company_list"],
                coordinator=users["coordinator"],
            )
            from income import demo as income_demo

            income = income_demo.seed(purchaser=users["company_purchaser"], companies=companies["company_list"])
            offtake["deliveries"] += income["deliveries"]
            offtake["payouts"] = income["payouts"]
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for email, _name, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<18} {email}")
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
        if offtake["skipped"]:
            self.stdout.write(f"Agreements skipped (their demo products do not exist): {', '.join(offtake['skipped'])}")
        self.stdout.write(
            "The admin and the coordinator must set up an authenticator app (TOTP) at first visit to /admin/."
        )

    def _account(self, email: str, full_name: str, role: str):
        User = get_user_model()
        user, _created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
        user.full_name = full_name
        user.is_superuser = role == "admin"
        user.is_staff = role == "admin"
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if role == "coordinator":
            access.grant_role(user=user, group_name=access.COORDINATORS)
        return user
