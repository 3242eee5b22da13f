"""Two provinces' groups, households, coordinators and managers (Kalasin 46 and Roi Et 45), shared by
the producers and income suites: each takes them by importing them into its conftest.py."""

import pytest

from producers import services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, HouseholdFactory, assign
from tests.helpers import give_totp


@pytest.fixture
def kalasin_group(db):
    return GroupFactory(code="KAL-SILK", province_code="46", district_code="4601", subdistrict_code="460101")


@pytest.fixture
def roiet_group(db):
    return GroupFactory(code="ROI-RICE", province_code="45", district_code="4501", subdistrict_code="450101")


@pytest.fixture
def kalasin_household(kalasin_group):
    return HouseholdFactory(code="HH-KAL-1", group=kalasin_group)


@pytest.fixture
def roiet_household(roiet_group):
    return HouseholdFactory(
        code="HH-ROI-1", group=roiet_group, province_code="45", district_code="4501", subdistrict_code="450101"
    )


@pytest.fixture
def kalasin_coordinator(db):
    user = UserFactory(email="kalasin.coordinator@example.org")
    assign(user, province_code="46")
    give_totp(user)
    return user


@pytest.fixture
def roiet_coordinator(db):
    user = UserFactory(email="roiet.coordinator@example.org")
    assign(user, province_code="45")
    give_totp(user)
    return user


@pytest.fixture
def kalasin_manager(kalasin_group):
    user = UserFactory(email="kalasin.manager@example.org")
    services.membership_grant(user=user, group=kalasin_group, role=GroupMembership.Role.MANAGER)
    return user


@pytest.fixture
def roiet_manager(roiet_group):
    user = UserFactory(email="roiet.manager@example.org")
    services.membership_grant(user=user, group=roiet_group, role=GroupMembership.Role.MANAGER)
    return user
