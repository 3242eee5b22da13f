"""Who reaches what: area research managers their areas' households, agency staff only the
households referred to their agency (while consent stands, never income), companies nothing."""

import pytest
from django.urls import reverse

from marketplace.models import AuditEvent
from referrals.models import FieldAssignment
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.households import HouseholdFactory
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db


def test_an_area_research_manager_sees_only_the_area_households(
    client, field_manager, kalasin_household, roiet_household
):
    client.force_login(field_manager)

    queue = client.get(reverse("field:queue")).content.decode()

    assert kalasin_household.code in queue and roiet_household.code not in queue
    assert client.get(reverse("field:household", args=[kalasin_household.pk])).status_code == 200
    assert client.get(reverse("field:household", args=[roiet_household.pk])).status_code == 404


def test_a_district_assignment_narrows_to_the_district(client, kalasin_household):
    user = UserFactory()
    FieldAssignment.objects.create(user=user, province_code="46", district_code="4602")
    give_totp(user)
    other = HouseholdFactory(code="HH-KAL-4602", district_code="4602", subdistrict_code="460201")
    client.force_login(user)

    queue = client.get(reverse("field:queue")).content.decode()

    assert other.code in queue and kalasin_household.code not in queue


def test_agency_staff_see_the_referred_household_but_never_its_income(client, agency_user, referral, kalasin_household):
    client.force_login(agency_user)

    page = client.get(reverse("agency:referral", args=[referral.pk])).content.decode()

    assert kalasin_household.head_name in page
    assert "120,000" not in page and "baseline" not in page.lower()
    assert client.get(reverse("field:household", args=[kalasin_household.pk])).status_code == 403
    assert client.get(reverse("households:index")).status_code in (302, 403)


def test_an_agency_user_guessing_an_id_gets_404_and_leaves_a_trace(client, agency_user, referral, roiet_household):
    client.force_login(agency_user)

    assert client.get(reverse("agency:referral", args=[referral.pk + 1000])).status_code == 404
    assert client.post(reverse("agency:transition", args=[referral.pk + 1000]), {"to": "accepted"}).status_code == 404
    assert AuditEvent.objects.filter(action="referral.denied", object_id=str(referral.pk + 1000)).count() == 2


def test_another_agency_cannot_open_the_referral(client, referral, welfare_agency):
    from referrals.models import AgencyMembership

    other = UserFactory()
    AgencyMembership.objects.create(user=other, agency=welfare_agency)
    give_totp(other)
    client.force_login(other)

    assert client.get(reverse("agency:referral", args=[referral.pk])).status_code == 404


def test_company_users_and_group_managers_reach_neither_portal(client, referral):
    purchaser = UserFactory()
    add_member(CompanyFactory(), purchaser, "purchaser")
    client.force_login(purchaser)
    assert client.get(reverse("field:queue")).status_code == 403
    assert client.get(reverse("agency:home")).status_code == 403
    assert client.get(reverse("field:analysis")).status_code == 403


def test_the_agency_answers_from_its_page(client, agency_user, referral):
    client.force_login(agency_user)

    response = client.post(reverse("agency:transition", args=[referral.pk]), {"to": "accepted"})
    assert response.status_code == 302
    response = client.post(reverse("agency:transition", args=[referral.pk]), {"to": "resolved", "reason": "ส่งต่อแล้ว"})
    referral.refresh_from_db()
    assert referral.state == "resolved"

    again = client.post(reverse("agency:transition", args=[referral.pk]), {"to": "resolved"})
    assert again.status_code == 400 and "cannot become" in again.content.decode()


def test_area_research_managers_and_agency_staff_must_set_up_a_second_factor(client, health_agency):
    from referrals.models import AgencyMembership

    user = UserFactory()
    AgencyMembership.objects.create(user=user, agency=health_agency)
    client.force_login(user)

    assert client.get(reverse("agency:home"))["Location"] == reverse("mfa_activate_totp")


def test_the_field_flow_verifies_assesses_and_refers(client, field_manager, kalasin_household, health_agency):
    from producers.models import Consent

    client.force_login(field_manager)
    url = reverse("field:household", args=[kalasin_household.pk])

    client.post(reverse("field:verify", args=[kalasin_household.pk]), {"status": "verified", "method": "home_visit"})
    client.post(reverse("field:consent", args=[kalasin_household.pk]), {"status": Consent.Status.GIVEN})
    client.post(
        reverse("field:assess", args=[kalasin_household.pk]),
        {"assessed_on": "2026-01-05", "need_health": "on", "severity_health": "3", "text_health": "ยา"},
    )
    need = kalasin_household.needs_assessments.get().needs.get()
    response = client.post(reverse("field:refer", args=[need.pk]), {f"need{need.pk}-agency": health_agency.pk})

    assert response.status_code == 302, response.content.decode()[:3000]
    kalasin_household.refresh_from_db()
    assert kalasin_household.verification_status == "verified"
    page = client.get(url).content.decode()
    assert 'data-referral-state="referred"' in page


def test_a_refusal_shows_on_the_household_page(client, field_manager, kalasin_household, health_agency):
    from referrals import services

    client.force_login(field_manager)
    need = services.needs_assess(
        household=kalasin_household, actor=field_manager, needs=[("health", 2, "")]
    ).needs.get()

    response = client.post(reverse("field:refer", args=[need.pk]), {f"need{need.pk}-agency": health_agency.pk})

    # Without referral consent the agency list is not even offered; a forged post is refused.
    assert response.status_code == 400
    assert "consented to referral" in response.content.decode()
