"""The Wagtail admin for groups and households: scoping (including guessed ids), audit, actions."""

import csv
import io

import pytest
from django.urls import reverse

from marketplace.models import AuditEvent
from producers import services
from producers.models import Consent, Household, ProducerGroup
from tests.factories.accounts import UserFactory
from tests.factories.households import HouseholdFactory

pytestmark = pytest.mark.django_db


def household_urls(household):
    return [
        reverse("producers_admin:household_detail", args=[household.pk]),
        reverse("households:edit", args=[household.pk]),
        reverse("producers_admin:household_erase", args=[household.pk]),
    ]


def test_coordinator_lists_only_households_in_their_area(
    client, kalasin_coordinator, kalasin_household, roiet_household
):
    client.force_login(kalasin_coordinator)
    response = client.get(reverse("households:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert kalasin_household.code in html
    assert kalasin_household.head_name in html
    assert roiet_household.code not in html
    assert AuditEvent.objects.filter(action="household.listed", actor=kalasin_coordinator).exists()


@pytest.mark.parametrize("who", ["roiet_coordinator", "roiet_manager", "company_user"])
def test_others_cannot_reach_a_household_by_guessing_its_id(client, request, who, kalasin_household):
    user = UserFactory(email="buyer@company.example") if who == "company_user" else request.getfixturevalue(who)
    client.force_login(user)
    for url in household_urls(kalasin_household):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert kalasin_household.head_name not in response.content.decode()
    assert not AuditEvent.objects.filter(action="household.view").exists()


def test_anonymous_users_are_sent_to_sign_in(client, kalasin_household):
    for url in [*household_urls(kalasin_household), reverse("households:index")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_manager_sees_their_groups_households_and_no_others(
    client, kalasin_manager, kalasin_household, roiet_household
):
    client.force_login(kalasin_manager)
    html = client.get(reverse("households:index")).content.decode()
    assert kalasin_household.code in html
    assert roiet_household.code not in html
    assert client.get(reverse("producers_admin:household_detail", args=[roiet_household.pk])).status_code == 404
    # Managers read; they do not edit or erase.
    assert client.get(reverse("households:edit", args=[kalasin_household.pk])).status_code in (302, 403)


def test_household_page_is_audited(client, kalasin_coordinator, kalasin_household):
    client.force_login(kalasin_coordinator)
    response = client.get(reverse("producers_admin:household_detail", args=[kalasin_household.pk]))
    assert response.status_code == 200
    assert kalasin_household.head_name in response.content.decode()
    event = AuditEvent.objects.get(action="household.view")
    assert (event.actor, event.object_id) == (kalasin_coordinator, str(kalasin_household.pk))


def test_household_list_filters(client, kalasin_coordinator, kalasin_group):
    poor = HouseholdFactory(code="HH-POOR", group=kalasin_group, baseline_annual_income="130000", members=4)
    very_poor = HouseholdFactory(code="HH-VPOOR", group=kalasin_group, baseline_annual_income="50000", members=4)
    above = HouseholdFactory(code="HH-ABOVE", group=kalasin_group, baseline_annual_income="200000", members=4)
    unasked = HouseholdFactory(code="HH-UNASKED", group=kalasin_group, consent=False)
    client.force_login(kalasin_coordinator)

    def codes(**params):
        html = client.get(reverse("households:index"), params).content.decode()
        return {h.code for h in (poor, very_poor, above, unasked) if h.code in html}

    # 2023 line ฿3,043 × 12 × 4 = ฿146,064 a year; very poor below ฿116,851.20.
    assert codes(baseline_status="very_poor") == {"HH-VPOOR"}
    assert codes(baseline_status="poor") == {"HH-POOR", "HH-UNASKED"}  # ฿120,000 default
    assert codes(baseline_status="above") == {"HH-ABOVE"}
    assert codes(consent="none") == {"HH-UNASKED"}
    assert codes(consent="given") == {"HH-POOR", "HH-VPOOR", "HH-ABOVE"}
    assert codes(q="HH-AB") == {"HH-ABOVE"}
    assert codes(province_code="45") == set()


def test_names_are_hidden_in_the_list_without_consent(client, kalasin_coordinator, kalasin_group):
    household = HouseholdFactory(group=kalasin_group, consent=False, head_name="นางไม่ยินยอม ทดสอบ")
    client.force_login(kalasin_coordinator)
    html = client.get(reverse("households:index")).content.decode()
    assert household.code in html
    assert "นางไม่ยินยอม" not in html
    # ...and cannot be found by searching for the name either.
    assert household.code not in client.get(reverse("households:index"), {"q": "ไม่ยินยอม"}).content.decode()


def test_export_is_scoped_identifiable_only_and_audited(
    client, kalasin_coordinator, kalasin_group, kalasin_household, roiet_household
):
    withdrawn = HouseholdFactory(code="HH-WITHDRAWN", group=kalasin_group)
    services.consent_record(household=withdrawn, status=Consent.Status.WITHDRAWN)
    HouseholdFactory(code="HH-FORMULA", group=kalasin_group, head_name="=HYPERLINK(1)")
    client.force_login(kalasin_coordinator)
    response = client.get(reverse("producers_admin:households_export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(row["household_code"] for row in rows) == ["HH-FORMULA", "HH-KAL-1"]
    assert {row["group_codes"] for row in rows} == {"KAL-SILK"}
    assert next(r for r in rows if r["household_code"] == "HH-FORMULA")["head_name"] == "'=HYPERLINK(1)"
    event = AuditEvent.objects.get(action="household.exported")
    assert event.details["count"] == 2


def test_export_is_refused_to_company_users(client, kalasin_household):
    client.force_login(UserFactory())
    assert client.get(reverse("producers_admin:households_export")).status_code in (302, 403)
    assert not AuditEvent.objects.filter(action="household.exported").exists()


def test_manager_exports_their_group(client, kalasin_manager, kalasin_household, roiet_household):
    client.force_login(kalasin_manager)
    response = client.get(reverse("producers_admin:households_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "HH-KAL-1" in body
    assert "HH-ROI-1" not in body


def test_withdrawing_consent_from_the_household_page(client, kalasin_manager, kalasin_household):
    client.force_login(kalasin_manager)
    url = reverse("producers_admin:household_consent", args=[kalasin_household.pk])
    response = client.post(url, {"status": "withdrawn", "scope": "programme"})
    assert response.status_code == 302
    assert not Household.objects.filter(pk=kalasin_household.pk).identifiable().exists()
    assert AuditEvent.objects.filter(action="consent.withdrawn", object_id=str(kalasin_household.pk)).exists()
    consent = kalasin_household.consents.first()
    assert consent.recorded_by == kalasin_manager


def test_consent_evidence_must_be_a_document(client, kalasin_coordinator, kalasin_household, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(kalasin_coordinator)
    url = reverse("producers_admin:household_consent", args=[kalasin_household.pk])
    bad = SimpleUploadedFile("form.pdf", b"MZ not a pdf", content_type="application/pdf")
    client.post(url, {"status": "given", "scope": "stories", "evidence": bad})
    assert not kalasin_household.consents.filter(scope="stories").exists()
    good = SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed form", content_type="application/pdf")
    client.post(url, {"status": "given", "scope": "stories", "evidence": good})
    consent = kalasin_household.consents.get(scope="stories")
    assert consent.evidence.name.startswith(f"consent/{kalasin_household.pk}/")
    with pytest.raises(ValueError):
        consent.evidence.url  # never served from a public URL
    assert not consent.evidence.path.startswith(str(settings.MEDIA_ROOT))
    # Downloaded only through the audited view, and only within scope.
    response = client.get(reverse("producers_admin:consent_evidence", args=[consent.pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed form"
    assert AuditEvent.objects.filter(action="consent.evidence_viewed").count() == 1
    client.force_login(UserFactory())
    assert client.get(reverse("producers_admin:consent_evidence", args=[consent.pk])).status_code in (302, 403, 404)


def test_erasure_keeps_the_figures_and_drops_the_person(client, kalasin_coordinator, kalasin_household):
    from django.core.files.base import ContentFile

    evidence = Consent.objects.create(household=kalasin_household, status="given", scope="stories")
    evidence.evidence.save("form.pdf", ContentFile(b"%PDF-1.4"))
    stored_file = evidence.evidence.name
    kalasin_household.citizen_id_hash = "a" * 64
    kalasin_household.save()
    client.force_login(kalasin_coordinator)
    url = reverse("producers_admin:household_erase", args=[kalasin_household.pk])
    response = client.post(url, {"reason": "asked on 1/12/2569", "confirm_code": "wrong"})
    assert response.status_code == 200
    assert not Household.objects.get(pk=kalasin_household.pk).is_erased

    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"reason": "asked on 1/12/2569", "confirm_code": "HH-KAL-1"})
    assert response.status_code == 302
    household = Household.objects.get(pk=kalasin_household.pk)
    assert household.is_erased
    assert household.head_name == "—"
    assert (household.phone, household.village, household.subdistrict_code, household.citizen_id_hash) == (
        "",
        "",
        "",
        None,
    )
    assert household.code.startswith("ERASED-")
    # The anonymous figures stay for the programme's totals.
    assert (household.members, household.baseline_annual_income, household.district_code) == (4, 120000, "4601")
    assert household.enrolments.exists()
    assert not evidence.evidence.storage.exists(stored_file)
    assert services.was_erased("HH-KAL-1")
    assert AuditEvent.objects.filter(action="household.erased", object_id=str(household.pk)).exists()


def test_group_verification_is_audited(client, kalasin_coordinator, kalasin_group):
    client.force_login(kalasin_coordinator)
    url = reverse("producers_admin:group_verification", args=[kalasin_group.pk])
    response = client.post(url, {"status": "suspended", "reason": "registration lapsed"})
    assert response.status_code == 302
    kalasin_group.refresh_from_db()
    assert kalasin_group.verification_status == ProducerGroup.Verification.SUSPENDED
    event = AuditEvent.objects.get(action="group.verification")
    assert event.details == {"from": "pending", "to": "suspended", "reason": "registration lapsed"}


def test_group_verification_outside_the_area_is_404(client, roiet_coordinator, kalasin_group):
    client.force_login(roiet_coordinator)
    url = reverse("producers_admin:group_verification", args=[kalasin_group.pk])
    assert client.post(url, {"status": "verified"}).status_code == 404
    kalasin_group.refresh_from_db()
    assert kalasin_group.verification_status == "pending"


def test_managers_cannot_verify_their_own_group(client, kalasin_manager, kalasin_group):
    client.force_login(kalasin_manager)
    url = reverse("producers_admin:group_verification", args=[kalasin_group.pk])
    assert client.post(url, {"status": "verified"}).status_code in (302, 403)
    kalasin_group.refresh_from_db()
    assert kalasin_group.verification_status == "pending"


def test_coordinator_creates_a_household_in_their_area_with_a_citizen_id(client, kalasin_coordinator):
    from tests.factories.households import InstitutionFactory, valid_citizen_id

    client.force_login(kalasin_coordinator)
    institution = InstitutionFactory()
    data = {
        "code": "HH-NEW-1",
        "institution": institution.pk,
        "head_name": "นายใหม่ ทดสอบ",
        "phone": "0899999999",
        "members": "3",
        "province_code": "46",
        "district_code": "4601",
        "subdistrict_code": "460101",
        "village": "",
        "poverty_source": "tpmap",
        "poverty_year": "2023",
        "baseline_annual_income": "90000",
        "baseline_year": "2023",
        "baseline_date": "",
        "citizen_id": valid_citizen_id(77),
    }
    response = client.post(reverse("households:add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get(code="HH-NEW-1")
    assert household.citizen_id_last4 == data["citizen_id"][-4:]
    assert household.citizen_id_hash and data["citizen_id"] not in household.citizen_id_hash

    # The same person again: a clear error.
    response = client.post(reverse("households:add"), {**data, "code": "HH-NEW-2"})
    assert response.status_code == 200
    assert "บุคคลนี้ลงทะเบียนในโครงการแล้ว" in str(response.context["form"].errors["citizen_id"])  # Thai first
    # Outside their provinces: refused.
    response = client.post(
        reverse("households:add"),
        {
            **data,
            "code": "HH-NEW-3",
            "citizen_id": "",
            "province_code": "45",
            "district_code": "4501",
            "subdistrict_code": "",
        },
    )
    assert response.status_code == 200
    assert "province_code" in response.context["form"].errors


@pytest.mark.parametrize("count", [3, 40])
def test_household_list_queries_do_not_grow_with_households(
    client, kalasin_coordinator, kalasin_group, count, django_assert_max_num_queries
):
    HouseholdFactory.create_batch(count, group=kalasin_group)
    client.force_login(kalasin_coordinator)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("households:index")).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(reverse("enrolments:index")).status_code == 200
