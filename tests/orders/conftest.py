import pytest

from producers import services as producer_services
from producers.models import GroupMembership
from tests.areas import kalasin_coordinator, kalasin_group, roiet_group  # noqa: F401
from tests.english import _english, client  # noqa: F401
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, assign
from tests.factories.orders import AgreementFactory, add_line, make_product
from tests.helpers import give_totp


@pytest.fixture
def rice_group(db):
    return GroupFactory(code="KAL-RICE", name_th="กลุ่มข้าวทดสอบ")


@pytest.fixture
def silk_group(db):
    return GroupFactory(code="KAL-SILK", name_th="กลุ่มผ้าไหมทดสอบ")


@pytest.fixture
def rice(rice_group):
    return make_product(rice_group, title="ข้าวหอมมะลิอินทรีย์")


@pytest.fixture
def silk(silk_group):
    return make_product(silk_group, title="ผ้าไหมแพรวา", unit="metre", price="3500.00")


@pytest.fixture
def agreement(company, rice, silk):
    """A draft agreement ready to activate: rice 100 kg (10–60 per call-off) and silk 20 m."""
    agreement = AgreementFactory(company=company, code="KSU-MOU-2569-001")
    add_line(agreement, rice, committed="100", price="55.00", min_per_call_off="10", max_per_call_off="60")
    add_line(agreement, silk, committed="20", price="3200.00")
    return agreement


@pytest.fixture
def coordinator_user(db):
    user = UserFactory(email="ksu.coordinator@example.org")
    assign(user, province_code="46")
    give_totp(user)
    return user


@pytest.fixture
def rice_manager(rice_group):
    user = UserFactory(email="rice.manager@example.org")
    producer_services.membership_grant(user=user, group=rice_group, role=GroupMembership.Role.MANAGER)
    return user


@pytest.fixture
def silk_manager(silk_group):
    user = UserFactory(email="silk.manager@example.org", preferred_language="en")
    producer_services.membership_grant(user=user, group=silk_group, role=GroupMembership.Role.MANAGER)
    return user
