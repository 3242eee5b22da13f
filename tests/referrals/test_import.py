"""The household import's verification and needs columns (Thai and English headers), all or
nothing, with errors by row; a re-import that changes a verified household's figures without a
verification sends it back to "needs correction"."""

import pytest
from django.utils import timezone, translation

from producers.importing import applying, validation
from producers.models import Household
from referrals.models import NeedsAssessment
from tests.factories.producers import IMPORT_HEADER, InstitutionFactory, csv_bytes, import_row

pytestmark = pytest.mark.django_db

VERIFY = ["verification", "verification_method", "verification_note", "verified_on"]
NEEDS = ["need_health", "need_income", "needs_assessed_on", "needs_note"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def institution():
    return InstitutionFactory()


def run(data, institution, **kwargs):
    return applying.import_households(
        data=data, filename="households.csv", institution=institution, scope=validation.ImportScope.system(), **kwargs
    )


def test_verification_and_needs_come_in_with_the_households(institution):
    rows = [
        import_row(
            1,
            verification="verified",
            verification_method="home visit",
            verified_on="3/11/2569",
            need_health="เร่งด่วน: ต้องการรถเข็น",
            need_income="2",
            needs_assessed_on="2/11/2569",
        ),
        import_row(2, verification="ต้องแก้ไข", verification_note="สมาชิก 5 คน ไม่ใช่ 4"),
        import_row(3),
    ]

    report = run(csv_bytes(rows, header=[*IMPORT_HEADER, *VERIFY, *NEEDS]), institution)

    assert report.ok, report.errors
    first, second, third = Household.objects.order_by("code")
    assert (first.verification_status, first.verification_method) == ("verified", "home_visit")
    assert timezone.localtime(first.verified_at).date().isoformat() == "2026-11-03"
    assert (second.verification_status, second.verification_note) == ("needs_correction", "สมาชิก 5 คน ไม่ใช่ 4")
    assert third.verification_status == "unverified"
    assessment = NeedsAssessment.objects.get()
    assert assessment.household == first and assessment.assessed_on.isoformat() == "2026-11-02"
    assert sorted(assessment.needs.values_list("dimension", "severity", "description")) == [
        ("health", 3, "ต้องการรถเข็น"),
        ("income", 2, ""),
    ]


def test_thai_headers_are_accepted(institution):
    header = [*IMPORT_HEADER, "ผลการตรวจสอบ", "วิธีตรวจสอบ", "ความต้องการด้านสุขภาพ"]
    row = import_row(1, **{"ผลการตรวจสอบ": "ตรวจสอบแล้ว", "วิธีตรวจสอบ": "เยี่ยมบ้าน", "ความต้องการด้านสุขภาพ": "น้อย"})

    report = run(csv_bytes([row], header=header), institution)

    assert report.ok, report.errors
    household = Household.objects.get()
    assert household.verification_method == "home_visit"
    assert household.needs_assessments.get().needs.get().severity == 1


def test_bad_values_are_errors_by_row_and_nothing_is_written(institution):
    rows = [
        import_row(1, verification="verified"),  # no method
        import_row(2, verification="maybe"),
        import_row(3, need_health="very"),
        import_row(4, needs_assessed_on="1/1/2600", need_income="1"),
        import_row(5, verification="needs correction"),  # no note
        import_row(6, verification_method="document"),  # no result
    ]

    report = run(csv_bytes(rows, header=[*IMPORT_HEADER, *VERIFY, *NEEDS]), institution)

    assert sorted((error.row, error.column) for error in report.errors) == [
        (2, "verification_method"),
        (3, "verification"),
        (4, "need_health"),
        (5, "needs_assessed_on"),
        (6, "verification_note"),
        (7, "verification"),
    ]
    assert not Household.objects.exists() and not NeedsAssessment.objects.exists()


def test_a_reimport_that_changes_a_verified_household_needs_correction(institution):
    header = [*IMPORT_HEADER, *VERIFY]
    run(csv_bytes([import_row(1, verification="verified", verification_method="document")], header=header), institution)
    assert Household.objects.get().verification_status == "verified"

    report = run(csv_bytes([import_row(1, members="6")]), institution)

    assert report.ok, report.errors
    household = Household.objects.get()
    assert household.members == 6 and household.verification_status == "needs_correction"


def test_a_reimport_with_the_same_figures_keeps_it_verified(institution):
    header = [*IMPORT_HEADER, *VERIFY]
    run(csv_bytes([import_row(1, verification="verified", verification_method="document")], header=header), institution)

    report = run(csv_bytes([import_row(1, phone="0899999999")]), institution)

    assert report.ok and Household.objects.get().verification_status == "verified"
