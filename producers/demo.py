"""Demo data for producers (called by `manage.py seed_demo`): Kalasin University, eight producer
groups in Kalasin and Roi Et, about 200 households with clearly fictional names, and a follow-up
income survey of most of them (`_seed_follow_up_surveys`). Idempotent: keyed by codes, and a fixed
random seed makes every run produce the same figures.

The follow-up survey is dated `FOLLOW_UP_DAYS_AGO`, just before this year's agreements began
(orders.demo), so what the households earned through the marketplace since is added on top of it
by the current poverty status (income.status): together they lift some households over the line and
leave others poor or very poor."""

import datetime
import random
from decimal import Decimal

import geothai
from django.db import transaction
from django.utils import timezone

from . import citizen_id, hooks, services
from .models import (
    Consent,
    CoordinatorAssignment,
    Enrolment,
    GroupMembership,
    Household,
    IncomeSurvey,
    Institution,
    PovertySource,
    ProducerGroup,
)

INSTITUTION = ("KSU", "มหาวิทยาลัยกาฬสินธุ์", "Kalasin University", "46")

# code, Thai name, English name, district code, retention %
GROUPS = [
    ("KSU-SILK-PHRAEWA", "กลุ่มทอผ้าไหมแพรวาบ้านโพน", "Ban Phon Phrae Wa Silk Weavers", "4610", "5.00"),
    ("KSU-RICE-KAMALASAI", "วิสาหกิจชุมชนข้าวหอมมะลิอินทรีย์กมลาไสย", "Kamalasai Organic Jasmine Rice", "4603", "3.00"),
    ("KSU-PLARA-YANGTALAT", "กลุ่มปลาร้าบองยางตลาด", "Yang Talat Fermented Fish", "4607", "5.00"),
    ("KSU-CHILLI-SAHATSAKHAN", "กลุ่มน้ำพริกแม่บ้านสหัสขันธ์", "Sahatsakhan Chilli Paste Makers", "4609", "5.00"),
    ("KSU-BASKET-KUCHINARAI", "กลุ่มจักสานไม้ไผ่กุฉินารายณ์", "Kuchinarai Bamboo Basketry", "4605", "4.00"),
    ("KSU-RICE-KASETWISAI", "วิสาหกิจชุมชนข้าวหอมมะลิทุ่งกุลาเกษตรวิสัย", "Kaset Wisai Thung Kula Jasmine Rice", "4502", "3.00"),
    ("KSU-SILK-SELAPHUM", "กลุ่มทอผ้าไหมมัดหมี่เสลภูมิ", "Selaphum Mudmee Silk", "4510", "5.00"),
    ("KSU-MAT-PHONTHONG", "กลุ่มทอเสื่อกกโพนทอง", "Phon Thong Reed Mats", "4507", "4.00"),
]
HOUSEHOLDS_PER_GROUP = 25

# Deliberately invented names ("ทดสอบ" = test), so nobody mistakes demo rows for real people.
GIVEN_NAMES = ["สมปอง", "บุญมา", "คำปุน", "หนูเพียร", "ทองใบ", "จันทร์เพ็ญ", "สมศรี", "บัวผัน", "ประเสริฐ", "มะลิ"]
FAMILY_NAMES = ["ทดสอบดี", "ทดสอบงาม", "ตัวอย่างศรี", "สมมุติสุข", "ทดลองใจ"]

POVERTY_LINE_2023 = Decimal("3043")
FOLLOW_UP_DAYS_AGO = 100  # before the demo agreements' first sales (orders.demo: valid from 90 days ago)


def _fake_citizen_id(rng: random.Random) -> str:
    # Starts with 0: no real Thai citizen ID does, yet the check digit is valid.
    first = "0" + "".join(rng.choice("0123456789") for _ in range(11))
    return first + str(citizen_id.check_digit(first))


@transaction.atomic
def seed(*, coordinator, manager, treasurer=None) -> dict[str, int]:
    code, name_th, name_en, province = INSTITUTION
    institution, _ = Institution.objects.update_or_create(
        code=code, defaults={"name_th": name_th, "name_en": name_en, "province_code": province}
    )
    for province_code in ("46", "45"):
        CoordinatorAssignment.objects.get_or_create(
            user=coordinator, institution=institution, province_code=province_code
        )

    rng = random.Random(2569)
    groups = []
    for group_code, group_th, group_en, district_code, retention in GROUPS:
        district = geothai.district(district_code)
        subdistrict = geothai.subdistricts(district_code)[0]
        group, created = ProducerGroup.objects.get_or_create(
            code=group_code,
            defaults={
                "institution": institution,
                "name_th": group_th,
                "name_en": group_en,
                "province_code": district.province_code,
                "district_code": district_code,
                "subdistrict_code": subdistrict.code,
                "village": f"บ้าน{subdistrict.name_th}",
                "retention_rate": Decimal(retention),
                "registration_number": f"4-{district_code[:2]}-{district_code[2:]}-01/1-{len(groups) + 1:04d}",
            },
        )
        if created:
            services.group_set_verification(group=group, status=ProducerGroup.Verification.VERIFIED, reason="demo")
        # cms: its page, image collection, editors, publishers and workflow
        hooks.fire(hooks.GROUP_SAVED, group=group, user=None)
        groups.append(group)
    services.membership_grant(user=manager, group=groups[0], role=GroupMembership.Role.MANAGER)
    if treasurer is not None:  # the group's treasurer pays its households (income.ledger)
        services.membership_grant(user=treasurer, group=groups[0], role=GroupMembership.Role.TREASURER)

    households = 0
    for group_number, group in enumerate(groups):
        subdistricts = geothai.subdistricts(group.district_code)
        for n in range(HOUSEHOLDS_PER_GROUP):
            household_code = f"DEMO-{group.district_code}-{n + 1:03d}"
            members = rng.randint(2, 6)
            # Monthly income per person between 55% and 125% of the 2023 line.
            monthly = POVERTY_LINE_2023 * Decimal(rng.randint(55, 125)) / 100
            annual = (monthly * 12 * members).quantize(Decimal("1"))
            digits = _fake_citizen_id(rng)
            subdistrict = subdistricts[n % len(subdistricts)]
            household, created = Household.objects.get_or_create(
                code=household_code,
                defaults={
                    "institution": institution,
                    "citizen_id_hash": citizen_id.hash_id(digits),
                    "citizen_id_last4": digits[-4:],
                    "head_name": f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}",
                    "phone": f"08{rng.randint(10000000, 99999999)}",
                    "members": members,
                    "province_code": group.province_code,
                    "district_code": group.district_code,
                    "subdistrict_code": subdistrict.code,
                    "village": f"หมู่ {n % 12 + 1}",
                    "poverty_source": PovertySource.TPMAP if n % 3 else PovertySource.BMN,
                    "poverty_year": 2023,
                    "baseline_annual_income": annual,
                    "baseline_year": 2023,
                    "baseline_date": datetime.date(2023, 6, 1 + n % 28),
                },
            )
            Enrolment.objects.get_or_create(
                household=household, group=group, defaults={"since": datetime.date(2023, 7, 1)}
            )
            if created:
                households += 1
                # Most gave consent; a few have not been asked yet; one per group withdrew.
                if n % 10 != 9:
                    services.consent_record(
                        household=household,
                        status=Consent.Status.GIVEN,
                        recorded_by=coordinator,
                        recorded_at=timezone.make_aware(datetime.datetime(2023, 7, 1, 10, 0)),
                    )
                if n == 5 + group_number:
                    services.consent_record(
                        household=household, status=Consent.Status.WITHDRAWN, recorded_by=coordinator
                    )
    surveys = _seed_follow_up_surveys(coordinator)
    return {"groups": len(groups), "households_created": households, "surveys_created": surveys}


def _seed_follow_up_surveys(coordinator) -> int:
    """The programme's follow-up survey of the demo households that consented: four in five were
    re-surveyed (the rest not reached yet). Their income moved between −10% and +22% since the
    baseline (prices, harvests, other work), and about one household in ten changed size. Each
    household is surveyed once: a household that has any survey is left alone, so running again
    adds nothing."""
    rng = random.Random(25691)  # its own seed: the households' figures above stay as they were
    surveyed_on = timezone.localdate() - datetime.timedelta(days=FOLLOW_UP_DAYS_AGO)
    demo = Household.objects.filter(code__startswith="DEMO-").order_by("code")
    consenting = set(demo.identifiable().values_list("pk", flat=True))
    already = set(IncomeSurvey.objects.filter(household__in=demo).values_list("household_id", flat=True))
    surveys = []
    for n, household in enumerate(demo):
        # Draw for every household in the same order, so the figures never depend on which exist.
        growth = Decimal(rng.randint(90, 122)) / 100
        resized = rng.random() < 0.1
        bigger = rng.random() < 0.5
        if n % 5 == 4 or household.pk not in consenting or household.pk in already:
            continue
        members = household.members
        if resized:
            members = members + 1 if bigger or members == 1 else members - 1
        surveys.append(
            IncomeSurvey(
                household=household,
                surveyed_on=surveyed_on,
                annual_income=(household.baseline_annual_income * growth).quantize(Decimal("1")),
                members=members,
                source=PovertySource.PROGRAMME,
                recorded_by=coordinator,
            )
        )
    IncomeSurvey.objects.bulk_create(surveys)
    return len(surveys)
