import pytest
from django.core.cache import cache

from marketplace import access
from tests.factories.accounts import PASSWORD, UserFactory


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
