"""Demo accounts (called first by `manage.py seed_demo`): one for each role, all with the same
published password. The apps' demo modules attach their memberships to these accounts."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from marketplace import access

DEMO_PASSWORD = "demo-pass-2569"

# (email, full name, role); later apps attach their memberships to these accounts.
DEMO_ACCOUNTS = [
    ("admin@demo.example", "ผู้ดูแลระบบ ตัวอย่าง", "admin"),
    ("coordinator@demo.example", "อาจารย์สมหญิง ประสานงาน", "coordinator"),
    ("manager@demo.example", "นางบุญมี ใจดี", "producer_manager"),
    ("treasurer@demo.example", "นางสาวมาลี เก็บเงิน", "producer_treasurer"),
    ("purchaser@demo.example", "คุณวิชัย จัดซื้อ", "company_purchaser"),
    ("companyadmin@demo.example", "คุณศิริพร ผู้ดูแลบริษัท", "company_admin"),
    ("fieldmanager@demo.example", "นายสมชาย ลงพื้นที่", "area_research_manager"),
    ("agency@demo.example", "นางสาวกานดา สาธารณสุข", "agency_staff"),
]


def seed() -> dict:
    """Create or reset the demo accounts; returns them by role. Call inside a transaction."""
    return {role: _account(email, name, role) for email, name, role in DEMO_ACCOUNTS}


def _account(email: str, full_name: str, role: str):
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
