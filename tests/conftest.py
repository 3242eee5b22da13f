import pytest
from django.core.cache import cache

from buyers.models import CompanyRole
from marketplace import access
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.buyers import CompanyFactory, add_member


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth keeps rate-limit counters in the cache: no test may inherit another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reset_fake_stripe():
    # The offline Stripe keeps its objects and idempotency keys per process; a test's database is
    # rolled back, so the next test would meet the previous test's invoices under the same keys.
    from orders.stripe_fake import FAKE

    FAKE.reset()
    yield
    FAKE.reset()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def coordinator(db):
    user = UserFactory(email="coordinator@example.org")
    access.grant_role(user=user, group_name=access.COORDINATORS)
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


# --- Partner companies (the orders, buyers and API suites share them) ----------------------


@pytest.fixture
def company(db):
    return CompanyFactory(name_th="บริษัท ข้าวดี จำกัด")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name_th="บริษัท อื่น จำกัด")


@pytest.fixture
def company_admin(company):
    user = UserFactory(email="admin@company.example")
    add_member(company, user, CompanyRole.ADMIN)
    return user


@pytest.fixture
def purchaser(company):
    user = UserFactory(email="purchaser@company.example")
    add_member(company, user, CompanyRole.PURCHASER)
    return user


@pytest.fixture
def viewer(company):
    user = UserFactory(email="viewer@company.example")
    add_member(company, user, CompanyRole.VIEWER)
    return user
