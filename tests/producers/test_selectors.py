import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import translation

from marketplace.models import AuditEvent
from producers import selectors, services
from producers.models import Consent
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, HouseholdFactory, assign

pytestmark = pytest.mark.django_db


def test_a_coordinator_sees_the_households_of_their_provinces_only(
    kalasin_coordinator, kalasin_household, roiet_household
):
    assert list(selectors.households_visible_to(kalasin_coordinator)) == [kalasin_household]
    assert set(selectors.groups_visible_to(kalasin_coordinator)) == {kalasin_household.enrolments.get().group}


def test_a_coordinator_assigned_one_group_sees_that_groups_households(roiet_group, roiet_household, kalasin_household):
    user = UserFactory()
    assign(user, group=roiet_group)
    assert list(selectors.households_visible_to(user)) == [roiet_household]
    assert list(selectors.groups_visible_to(user)) == [roiet_group]


def test_a_manager_sees_their_own_groups_households_only(kalasin_manager, kalasin_household, roiet_household):
    assert list(selectors.households_visible_to(kalasin_manager)) == [kalasin_household]


def test_a_manager_stops_seeing_a_household_that_left_the_group(kalasin_manager, kalasin_household):
    kalasin_household.enrolments.update(active=False)
    assert list(selectors.households_visible_to(kalasin_manager)) == []


def test_nobody_else_sees_households(kalasin_household, superuser):
    company_user = UserFactory(email="buyer@company.example")
    for user in (company_user, AnonymousUser(), superuser):
        assert not selectors.households_visible_to(user).exists()
        assert not selectors.can_see_households(user)


def test_a_coordinator_without_assignments_sees_nothing(coordinator, kalasin_household):
    assert not selectors.households_visible_to(coordinator).exists()


def test_a_household_in_two_groups_is_listed_once(kalasin_coordinator, kalasin_group):
    other = GroupFactory(province_code="46", district_code="4601")
    household = HouseholdFactory(group=kalasin_group)
    household.enrolments.create(group=other)
    assert selectors.households_visible_to(kalasin_coordinator).count() == 1


def test_household_for_is_audited_and_404s_outside_scope(kalasin_coordinator, kalasin_household, roiet_household):
    household = selectors.household_for(kalasin_coordinator, kalasin_household.pk)
    assert household == kalasin_household
    event = AuditEvent.objects.get(action="household.view")
    assert event.object_id == str(kalasin_household.pk)
    with pytest.raises(Http404):
        selectors.household_for(kalasin_coordinator, roiet_household.pk)


def test_withdrawn_consent_removes_the_household_from_identifiable_views(kalasin_household, kalasin_coordinator):
    visible = selectors.households_visible_to(kalasin_coordinator)
    assert list(visible.identifiable()) == [kalasin_household]
    services.consent_record(household=kalasin_household, status=Consent.Status.WITHDRAWN)
    assert list(visible.identifiable()) == []
    # Still counted, just not named.
    assert visible.count() == 1
    with translation.override("en"):
        assert selectors.household_for(kalasin_coordinator, kalasin_household.pk).display_name == "(no consent)"
