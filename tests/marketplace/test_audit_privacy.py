"""The audit trail names households by id, never by what identifies the people (PDPA), and its
viewer shows household events only to those who may see the household."""

import importlib
import json
from urllib.parse import quote, quote_plus

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from marketplace import audit
from marketplace.models import AuditEvent
from producers.importing import applying, validation
from producers.models import Household
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, HouseholdFactory, InstitutionFactory
from tests.factories.producers import csv_bytes, import_row, valid_citizen_id
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db

HOUSEHOLD = "producers.household"


@pytest.fixture
def kalasin_household(kalasin_group):
    return HouseholdFactory(
        code="HH-KAL-77",
        group=kalasin_group,
        head_name="นางสมศรี ใจดีเด่น",
        phone="0899991234",
        village="บ้านหนองสร้อยทดสอบ",
    )


@pytest.fixture
def roiet_household(db):
    group = GroupFactory(code="ROI-RICE", province_code="45", district_code="4501", subdistrict_code="450101")
    return HouseholdFactory(
        code="HH-ROI-88", group=group, province_code="45", district_code="4501", subdistrict_code="450101"
    )


@pytest.fixture
def platform_admin(db):
    """A superuser who is not a coordinator: runs the platform, owns no community's data."""
    user = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    give_totp(user)
    return user


def personal_values(household) -> list[str]:
    return [household.head_name, household.code, household.phone, household.village]


def leaks(values) -> list[tuple[str, str]]:
    """(action, value) for every personal value found anywhere in an audit row, also URL-encoded."""
    found = []
    for event in AuditEvent.objects.all():
        text = " ".join([json.dumps(event.details, ensure_ascii=False), event.object_id, event.object_type])
        found += [
            (event.action, value)
            for value in values
            if value and any(form in text for form in (value, quote(value), quote_plus(value)))
        ]
    return found


# --- What is written ------------------------------------------------------------------------


def test_a_search_by_household_name_stores_that_a_search_was_made_not_its_text(
    client, kalasin_coordinator, kalasin_household
):
    client.force_login(kalasin_coordinator)
    response = client.get(reverse("households:index"), {"q": "สมศรี", "consent": "given"})
    assert response.status_code == 200

    event = AuditEvent.objects.get(action="household.listed")
    assert leaks(["สมศรี"]) == []
    assert event.details["has_search"] is True
    assert event.details["filters"] == ["consent"]
    assert event.details["count"] == 1


def test_opening_a_household_names_it_by_id_not_by_code(client, kalasin_coordinator, kalasin_household):
    client.force_login(kalasin_coordinator)
    client.get(reverse("producers_admin:household_detail", args=[kalasin_household.pk]))
    client.get(reverse("households:edit", args=[kalasin_household.pk]))

    events = AuditEvent.objects.filter(action="household.view")
    assert [(e.object_type, e.object_id) for e in events] == [(HOUSEHOLD, str(kalasin_household.pk))] * 2
    assert leaks(personal_values(kalasin_household)) == []


def test_everyday_household_work_leaves_no_personal_data_in_the_trail(
    client, kalasin_coordinator, kalasin_group, kalasin_household
):
    client.force_login(kalasin_coordinator)
    # Search by name, by code and by phone; open, edit, export.
    for term in (kalasin_household.head_name, kalasin_household.code, kalasin_household.phone):
        client.get(reverse("households:index"), {"q": term})
    client.get(reverse("producers_admin:household_detail", args=[kalasin_household.pk]))
    client.get(reverse("households:edit", args=[kalasin_household.pk]))
    response = client.get(reverse("producers_admin:households_export"), {"group": kalasin_group.pk})
    b"".join(response.streaming_content)
    # Import a file (preview, then for real).
    row = import_row(1, head_name="นายนำเข้า ทดสอบพิเศษ", phone="0877770000", citizen_id=valid_citizen_id(912_345))
    institution = InstitutionFactory()
    for dry_run in (True, False):
        report = applying.import_households(
            data=csv_bytes([row]),
            filename="households.csv",
            institution=institution,
            scope=validation.ImportScope.system(),
            dry_run=dry_run,
            actor=kalasin_coordinator,
        )
        assert report.ok
    imported = Household.objects.get(code=row["household_code"])
    audit.record("household.updated", imported, details={"fields": ["phone"]})

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"household.listed", "household.view", "household.exported", "household.imported"} <= actions
    assert leaks([*personal_values(kalasin_household), *personal_values(imported), row["citizen_id"]]) == []
    # The callers write ids themselves: nothing had to be stripped on the way in.
    assert not AuditEvent.objects.filter(details__has_key="redacted").exists()


def test_record_strips_personal_keys_whoever_calls_it(kalasin_household):
    event = audit.record(
        "household.listed",
        object_type=HOUSEHOLD,
        details={"q": "สมศรี", "query": "q=%E0%B8%AA", "filters": {"search": "x", "group": 3}, "count": 2},
    )
    assert event.details == {"filters": {"group": 3}, "count": 2, "redacted": True}

    event = audit.record("household.view", kalasin_household, details={"code": kalasin_household.code, "via": "x"})
    assert event.details == {"via": "x", "redacted": True}
    assert event.object_id == str(kalasin_household.pk)

    # A household named anywhere by something other than its id loses the value.
    event = audit.record("payout.recorded", details={"household": kalasin_household.code, "group": "KAL-SILK"})
    assert event.details == {"group": "KAL-SILK", "redacted": True}
    event = audit.record("household.view", object_type=HOUSEHOLD, object_id=kalasin_household.code)
    assert (event.object_id, event.details) == ("", {"redacted": True})


def test_codes_of_things_that_are_not_people_are_kept(kalasin_group):
    event = audit.record("group.verification", kalasin_group, details={"code": kalasin_group.code, "household": 7})
    assert event.details == {"code": "KAL-SILK", "household": 7}


# --- Rows written before the rule -----------------------------------------------------------


def test_the_data_migration_scrubs_old_rows_and_keeps_the_events(kalasin_household):
    old = {
        "listed": AuditEvent.objects.create(
            action="household.listed", object_type=HOUSEHOLD, details={"query": "q=%E0%B8%AA&consent=given&p=2"}
        ),
        "view": AuditEvent.objects.create(
            action="household.view",
            object_type=HOUSEHOLD,
            object_id=str(kalasin_household.pk),
            details={"code": kalasin_household.code, "via": "edit"},
        ),
        "payout": AuditEvent.objects.create(
            action="payout.recorded",
            object_type="producers.payout",
            object_id="5",
            details={"household": kalasin_household.code, "group": "KAL-SILK", "amount": "10.00"},
        ),
        "agreement": AuditEvent.objects.create(
            action="agreement.activated", object_type="orders.agreement", object_id="3", details={"code": "AGR-1"}
        ),
    }
    migration = importlib.import_module("marketplace.migrations.0003_audit_scrub_personal_data")

    migration.scrub_personal_data(django_apps, None)

    rows = {name: AuditEvent.objects.get(pk=event.pk) for name, event in old.items()}
    assert rows["listed"].details == {"filters": ["consent"], "has_search": True, "redacted": True}
    assert rows["view"].details == {"via": "edit", "redacted": True}
    assert rows["payout"].details == {"group": "KAL-SILK", "amount": "10.00", "redacted": True}
    assert rows["agreement"].details == {"code": "AGR-1"}
    assert leaks(personal_values(kalasin_household)) == []


# --- Who reads the trail --------------------------------------------------------------------


def listed_events(client) -> set[str]:
    response = client.get("/django-admin/marketplace/auditevent/")
    assert response.status_code == 200
    return {event.action for event in response.context["cl"].result_list}


def test_a_platform_admin_does_not_see_events_about_households(client, platform_admin, kalasin_household):
    audit.record("household.view", kalasin_household, actor=platform_admin)
    audit.record("household.listed", object_type=HOUSEHOLD, details={"has_search": False, "count": 1})
    audit.record("agreement.activated", object_type="orders.agreement", object_id=3)
    about_household = audit.record("consent.given", kalasin_household)
    client.force_login(platform_admin)

    listed = listed_events(client)
    assert {"household.listed", "agreement.activated"} <= listed
    assert not {"household.view", "consent.given"} & listed
    url = f"/django-admin/marketplace/auditevent/{about_household.pk}/change/"
    assert client.get(url).status_code != 200


def test_a_platform_admin_who_coordinates_an_area_sees_its_household_events_only(
    client, kalasin_coordinator, kalasin_household, roiet_household
):
    kalasin_coordinator.is_staff = kalasin_coordinator.is_superuser = True
    kalasin_coordinator.save()
    audit.record("household.view", kalasin_household)
    audit.record("household.updated", roiet_household)
    client.force_login(kalasin_coordinator)

    assert "household.view" in listed_events(client)
    assert "household.updated" not in listed_events(client)


def test_reading_household_events_in_the_trail_is_itself_recorded(client, kalasin_coordinator, kalasin_household):
    kalasin_coordinator.is_staff = kalasin_coordinator.is_superuser = True
    kalasin_coordinator.save()
    seen = audit.record("household.view", kalasin_household)
    client.force_login(kalasin_coordinator)

    listed_events(client)
    client.get(f"/django-admin/marketplace/auditevent/{seen.pk}/change/")

    reads = AuditEvent.objects.filter(action="audit.viewed", actor=kalasin_coordinator).order_by("id")
    assert [event.details for event in reads] == [
        {"object_type": HOUSEHOLD, "object_ids": [kalasin_household.pk]},
        {"object_type": HOUSEHOLD, "object_ids": [kalasin_household.pk]},
    ]


def test_reading_only_other_events_is_not_recorded(client, platform_admin):
    audit.record("agreement.activated", object_type="orders.agreement", object_id=3)
    client.force_login(platform_admin)
    listed_events(client)
    assert not AuditEvent.objects.filter(action="audit.viewed").exists()


def test_events_visible_to_scopes_household_events(kalasin_coordinator, platform_admin, kalasin_household):
    event = audit.record("household.view", kalasin_household)
    audit.record("auth.login", platform_admin, actor=platform_admin)

    assert event not in audit.events_visible_to(platform_admin)
    assert audit.events_visible_to(platform_admin).filter(action="auth.login").exists()
    # A coordinator who is not a platform admin reads only events about the households of their area.
    assert list(audit.events_visible_to(kalasin_coordinator)) == [event]
    assert not audit.events_visible_to(UserFactory()).exists()
