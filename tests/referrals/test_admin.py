"""Coordinators set up agencies, their staff and the area research managers' areas in the admin."""

import pytest
from django.urls import reverse

from marketplace.models import AuditEvent
from referrals.models import Agency, AgencyMembership, FieldAssignment
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_a_coordinator_adds_an_agency_with_its_dimensions_and_provinces(client, kalasin_coordinator):
    client.force_login(kalasin_coordinator)

    response = client.post(
        reverse("agencies:add"),
        {
            "name": "อบต. ทดสอบ",
            "name_en": "",
            "level": "local",
            "dimensions": ["living", "services"],
            "province_codes": ["46"],
            "contact_email": "obt@example.org",
            "contact_phone": "",
            "answer_days": "10",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    agency = Agency.objects.get()
    assert agency.dimensions == ["living", "services"] and agency.province_codes == ["46"]
    assert AuditEvent.objects.filter(action="agency.created", object_id=str(agency.pk)).exists()


def test_staff_and_area_managers_are_existing_accounts_and_districts_are_checked(
    client, kalasin_coordinator, health_agency
):
    person = UserFactory(email="someone@example.org")
    client.force_login(kalasin_coordinator)

    unknown = client.post(reverse("agency_staff:add"), {"user": "nobody@example.org", "agency": health_agency.pk})
    assert unknown.status_code == 200 and not AgencyMembership.objects.exists()
    client.post(reverse("agency_staff:add"), {"user": "SOMEONE@example.org", "agency": health_agency.pk})
    assert AgencyMembership.objects.get().user == person

    wrong = client.post(
        reverse("area_research_managers:add"),
        {"user": person.email, "province_code": "46", "district_code": "4501"},
    )
    assert wrong.status_code == 200 and not FieldAssignment.objects.exists()
    client.post(
        reverse("area_research_managers:add"), {"user": person.email, "province_code": "46", "district_code": "4601"}
    )
    assert FieldAssignment.objects.get().district_code == "4601"


def test_a_group_manager_cannot_set_up_agencies(client, kalasin_group):
    from producers import services
    from producers.models import GroupMembership

    manager = UserFactory()
    services.membership_grant(user=manager, group=kalasin_group, role=GroupMembership.Role.MANAGER)
    client.force_login(manager)

    response = client.get(reverse("agencies:add"))

    assert response.status_code in (302, 403)
