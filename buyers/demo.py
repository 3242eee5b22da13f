"""Demo partner companies (called by `manage.py seed_demo`): thirteen fictional companies, like the
thirteen that signed offtake MOUs with Kalasin University in 2023, and the demo purchaser as a
purchaser of the first. Idempotent: keyed by tax ID. The names are invented ("ตัวอย่าง" = example);
the tax IDs start with 09, which no registered Thai company has, yet their check digits are valid."""

from django.db import transaction

from producers.citizen_id import check_digit

from . import services
from .models import Company, CompanyMembership, CompanyRole, DeliveryAddress

# Thai name, English name, province of the head office
COMPANIES = [
    ("บริษัท ข้าวดีตัวอย่าง จำกัด", "Khaodee Example Co., Ltd.", "กรุงเทพมหานคร"),
    ("บริษัท ผ้าไทยตัวอย่าง จำกัด", "Pha Thai Example Co., Ltd.", "กรุงเทพมหานคร"),
    ("บริษัท หัตถกรรมอีสานตัวอย่าง จำกัด", "Isan Crafts Example Co., Ltd.", "ขอนแก่น"),
    ("บริษัท ครัวชุมชนตัวอย่าง จำกัด", "Community Kitchen Example Co., Ltd.", "ขอนแก่น"),
    ("บริษัท ซุปเปอร์มาร์เก็ตตัวอย่าง จำกัด (มหาชน)", "Example Supermarkets PCL", "นนทบุรี"),
    ("บริษัท โรงแรมภูพานตัวอย่าง จำกัด", "Phu Phan Example Hotels Co., Ltd.", "กาฬสินธุ์"),
    ("บริษัท ของฝากกาฬสินธุ์ตัวอย่าง จำกัด", "Kalasin Souvenirs Example Co., Ltd.", "กาฬสินธุ์"),
    ("บริษัท อาหารปลอดภัยตัวอย่าง จำกัด", "Safe Food Example Co., Ltd.", "ปทุมธานี"),
    ("บริษัท เครื่องเรือนไม้ไผ่ตัวอย่าง จำกัด", "Bamboo Living Example Co., Ltd.", "เชียงใหม่"),
    ("บริษัท ส่งออกเกษตรอินทรีย์ตัวอย่าง จำกัด", "Organic Export Example Co., Ltd.", "สมุทรปราการ"),
    ("บริษัท ร้านกาแฟชุมชนตัวอย่าง จำกัด", "Community Café Example Co., Ltd.", "ร้อยเอ็ด"),
    ("บริษัท ของขวัญองค์กรตัวอย่าง จำกัด", "Corporate Gifts Example Co., Ltd.", "กรุงเทพมหานคร"),
    ("บริษัท ค้าปลีกอีสานตัวอย่าง จำกัด", "Isan Retail Example Co., Ltd.", "อุดรธานี"),
]


def demo_tax_id(n: int) -> str:
    first = f"09002569{n:04d}"
    return first + str(check_digit(first))


@transaction.atomic
def seed(*, purchaser, company_admin=None) -> dict:
    """Returns {"companies": created this run, "company_list": [Company, …] in the order above,
    "api_key": the demo API key in clear when this run made it, else ""}."""
    created = 0
    companies = []
    for n, (name_th, name_en, province) in enumerate(COMPANIES, start=1):
        company, was_created = Company.objects.get_or_create(
            tax_id=demo_tax_id(n),
            defaults={
                "name_th": name_th,
                "name_en": name_en,
                "address": f"เลขที่ {n} ถนนตัวอย่าง จังหวัด{province}",
                "billing_email": f"billing{n}@company.demo.example",
            },
        )
        created += was_created
        companies.append(company)
    # Two delivery addresses for the first company (the warehouse is the default), so checkout
    # and call-offs show the choice.
    if not companies[0].delivery_addresses.exists():
        for label, recipient, text, default in DEMO_ADDRESSES:
            services.address_save(
                address=DeliveryAddress(
                    company=companies[0],
                    label=label,
                    recipient=recipient,
                    phone="02-000-0000",
                    address=text,
                    is_default=default,
                ),
                actor=company_admin,
            )
    if not CompanyMembership.objects.filter(user=purchaser, company=companies[0]).exists():
        services.membership_grant(user=purchaser, company=companies[0], role=CompanyRole.PURCHASER)
    # An admin of the first company: makes API keys and invites staff.
    if company_admin is not None and not CompanyMembership.objects.filter(user=company_admin).exists():
        services.membership_grant(user=company_admin, company=companies[0], role=CompanyRole.ADMIN)
    # A key for the buyer API, made by the company admin. Shown once, in the seed output of the run
    # that makes it (only its hash is stored, as for every key); later runs make none.
    api_key = ""
    if company_admin is not None and not companies[0].api_keys.filter(name=DEMO_API_KEY_NAME).exists():
        from .api_keys import SCOPES, create_key

        _row, api_key = create_key(
            company=companies[0], name=DEMO_API_KEY_NAME, scopes=SCOPES, created_by=company_admin
        )
    return {"companies": created, "company_list": companies, "api_key": api_key}


DEMO_API_KEY_NAME = "Demo ERP"
DEMO_ADDRESSES = [
    ("คลังสินค้าบางนา", "แผนกรับสินค้า", "99 ถนนบางนา-ตราด แขวงบางนา เขตบางนา กรุงเทพมหานคร 10260", True),
    ("ร้านสาขาขอนแก่น", "ผู้จัดการร้าน", "12 ถนนมิตรภาพ ตำบลในเมือง อำเภอเมืองขอนแก่น จังหวัดขอนแก่น 40000", False),
]
