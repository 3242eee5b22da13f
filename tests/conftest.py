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


@pytest.fixture(autouse=True)
def _group_staff_have_an_authenticator(request):
    """Producer group managers and treasurers must have an authenticator app (TOTP) before any
    admin page, as coordinators must: tests give every member of a group one when the membership
    is made, as if they had set it up. Tests of the set-up itself mark `no_auto_totp`; the browser
    tests sign in through the real flow (tests/e2e)."""
    if request.node.get_closest_marker("no_auto_totp") or request.node.get_closest_marker("e2e"):
        yield
        return
    from django.db.models.signals import post_save

    from producers.models import GroupMembership
    from tests.helpers import give_totp

    def receiver(sender, instance, created, **kwargs):
        if created:
            give_totp(instance.user)

    post_save.connect(receiver, sender=GroupMembership, dispatch_uid="tests-group-staff-totp")
    yield
    post_save.disconnect(sender=GroupMembership, dispatch_uid="tests-group-staff-totp")


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


# --- Object storage: a real S3-compatible server (SeaweedFS) for the tests marked `s3` ---------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """SeaweedFS on loopback ports, one per test worker. Without the `weed` binary or when it
    cannot start, the S3 tests are skipped, except in CI (REQUIRE_S3=1), where they fail."""
    import os

    from tests.s3server import S3ServerError, start_seaweedfs

    try:
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    except S3ServerError as error:
        if os.environ.get("REQUIRE_S3") == "1":
            pytest.fail(f"SeaweedFS could not start and REQUIRE_S3=1: {error}")
        pytest.skip(f"SeaweedFS could not start: {error}")
    yield server
    server.stop()
