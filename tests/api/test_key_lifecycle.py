"""An API key acts as its creator, a company admin, and works only while the creator still is one,
the company is active and the key is neither revoked nor expired. Each refusal is a 401 that says
why; an admin re-issues a key that stopped working."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buyers import api_keys, services
from buyers.models import ApiKey, CompanyMembership, CompanyRole
from marketplace.models import AuditEvent
from tests.api.conftest import ApiClient, assert_problem
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member

pytestmark = pytest.mark.django_db

KEY = re.compile(r"mkt_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def client(client):
    # The portal pages in English (the API tests' own problems are English already).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def second_admin(company):
    """Another admin, so the creator may leave or be demoted (a company keeps one admin)."""
    user = UserFactory(email="second-admin@company.example")
    add_member(company, user, CompanyRole.ADMIN)
    return user


@pytest.fixture
def pair(company, company_admin):
    return api_keys.create_key(
        company=company, name="SAP purchasing", scopes=["read", "order"], created_by=company_admin
    )


def refusal(key: str) -> str:
    return assert_problem(ApiClient(key).get("agreements"), 401, "unauthorized")["detail"]


def test_a_key_works_while_its_creator_is_an_admin_of_an_active_company(pair, company_admin):
    row, key = pair

    assert ApiClient(key).get("agreements").status_code == 200
    assert row.created_by == company_admin


def test_a_key_stops_when_its_creator_leaves_the_company(pair, company, company_admin, second_admin):
    _, key = pair

    services.membership_revoke(membership=CompanyMembership.objects.get(user=company_admin, company=company))

    assert "no longer a member" in refusal(key)


def test_a_key_stops_when_its_creator_account_is_deactivated(pair, company_admin):
    _, key = pair

    company_admin.is_active = False
    company_admin.save(update_fields=["is_active"])

    assert "deactivated" in refusal(key)


def test_a_key_stops_when_its_creator_is_no_longer_an_admin(pair, company, company_admin, second_admin):
    _, key = pair

    services.membership_grant(user=company_admin, company=company, role=CompanyRole.PURCHASER)

    assert "no longer an admin" in refusal(key)
    # Made admin again, the key works again: the rule is read at each request.
    services.membership_grant(user=company_admin, company=company, role=CompanyRole.ADMIN)
    assert ApiClient(key).get("agreements").status_code == 200


def test_a_key_stops_when_the_company_is_suspended(pair, company):
    _, key = pair

    company.status = company.Status.SUSPENDED
    company.save(update_fields=["status"])

    assert "suspended" in refusal(key)


def test_a_revoked_key_says_it_was_revoked(pair, company_admin):
    row, key = pair

    api_keys.revoke_key(row, actor=company_admin)

    assert "was revoked" in refusal(key)


def test_a_key_stops_at_its_expiry(company, company_admin):
    row, key = api_keys.create_key(
        company=company,
        name="pilot",
        scopes=["read"],
        created_by=company_admin,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert ApiClient(key).get("agreements").status_code == 200

    ApiKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert "expired" in refusal(key)


def test_a_key_that_never_had_a_creator_does_not_work(company):
    # Keys made by the command before it asked for --user.
    key = "mkt_legacy01_" + "a" * 43
    ApiKey.objects.create(
        company=company, name="old", prefix="legacy01", key_hash=api_keys.hash_key(key), scopes=["read"]
    )

    assert "no longer a member" in refusal(key)


def test_the_key_and_its_creators_membership_are_read_in_one_query(pair, django_assert_num_queries):
    _, key = pair

    with django_assert_num_queries(1):
        found = api_keys.find_key(key)
        assert api_keys.refusal(found) is None


def test_only_an_admin_of_the_company_may_make_a_key(company, other_company, purchaser, company_admin):
    stranger = UserFactory()
    add_member(other_company, stranger, CompanyRole.ADMIN)

    for user in (purchaser, stranger, None):
        with pytest.raises(ValueError):
            api_keys.create_key(company=company, name="x", scopes=["read"], created_by=user)
    assert not ApiKey.objects.exists()


def test_a_suspended_company_cannot_make_keys(company, company_admin):
    company.status = company.Status.SUSPENDED
    company.save(update_fields=["status"])

    with pytest.raises(ValueError):
        api_keys.create_key(company=company, name="x", scopes=["read"], created_by=company_admin)


# --- Last use ------------------------------------------------------------------------------


def test_the_last_use_time_and_address_are_recorded_at_most_once_a_minute(pair, django_assert_max_num_queries):
    row, key = pair
    headers = {"Authorization": f"Bearer {key}"}

    assert Client(REMOTE_ADDR="203.0.113.7").get("/api/v1/agreements", headers=headers).status_code == 200
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None and row.last_used_ip == "203.0.113.7"

    Client(REMOTE_ADDR="198.51.100.9").get("/api/v1/agreements", headers=headers)
    row.refresh_from_db()
    assert (row.last_used_at, row.last_used_ip) == (first, "203.0.113.7")

    ApiKey.objects.filter(pk=row.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    Client(REMOTE_ADDR="198.51.100.9").get("/api/v1/agreements", headers=headers)
    row.refresh_from_db()
    assert row.last_used_at > first - datetime.timedelta(minutes=1) and row.last_used_ip == "198.51.100.9"


# --- The portal ----------------------------------------------------------------------------


def keys_url(company):
    return reverse("buyers:api_keys", args=[company.pk])


def test_the_portal_shows_last_use_and_why_a_key_stopped(client, pair, company, company_admin, second_admin):
    _, key = pair
    Client(REMOTE_ADDR="203.0.113.7").get("/api/v1/agreements", headers={"Authorization": f"Bearer {key}"})
    services.membership_grant(user=company_admin, company=company, role=CompanyRole.PURCHASER)
    client.force_login(second_admin)

    page = client.get(keys_url(company)).content.decode()

    assert "203.0.113.7" in page
    assert "inactive" in page and "its creator is no longer an admin" in page


def test_the_scopes_heading_in_thai_is_permissions_not_the_month(client, pair, company, company_admin):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    client.force_login(company_admin)

    page = client.get(keys_url(company)).content.decode()

    assert "สิทธิ์" in page
    assert "พฤษภาคม" not in page


def test_an_admin_makes_a_key_with_an_expiry_date(client, company, company_admin):
    client.force_login(company_admin)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    client.post(keys_url(company), {"name": "pilot", "scopes": ["read"], "expires_on": tomorrow.isoformat()})

    row = ApiKey.objects.get()
    assert timezone.localtime(row.expires_at).date() == tomorrow + datetime.timedelta(days=1)
    assert row.expires_at > timezone.now() + datetime.timedelta(days=1)


def test_an_expiry_date_in_the_past_is_refused(client, company, company_admin):
    client.force_login(company_admin)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    client.post(keys_url(company), {"name": "pilot", "scopes": ["read"], "expires_on": yesterday.isoformat()})

    assert not ApiKey.objects.exists()


def test_an_admin_reissues_a_key_whose_creator_left(client, pair, company, company_admin, second_admin):
    old, old_key = pair
    services.membership_revoke(membership=CompanyMembership.objects.get(user=company_admin, company=company))
    client.force_login(second_admin)

    response = client.post(reverse("buyers:api_key_reissue", args=[company.pk, old.pk]))

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    [new_key] = KEY.findall(response.content.decode())
    old.refresh_from_db()
    new = ApiKey.objects.get(key_hash=api_keys.hash_key(new_key))
    assert (new.name, new.scopes, new.company, new.created_by) == (old.name, old.scopes, company, second_admin)
    assert old.revoked_at is not None and old.replaced_by == new
    assert ApiClient(new_key).get("agreements").status_code == 200
    assert_problem(ApiClient(old_key).get("agreements"), 401, "unauthorized")
    created = AuditEvent.objects.get(action="api_key.created", object_id=str(new.pk))
    revoked = AuditEvent.objects.get(action="api_key.revoked", object_id=str(old.pk))
    assert created.details == {"company": company.pk, "replaces": old.pk}
    assert revoked.details == {"company": company.pk, "replaced_by": new.pk}
    assert created.actor == revoked.actor == second_admin
    # The new key is shown once.
    assert new_key not in client.get(keys_url(company)).content.decode()


def test_a_key_is_reissued_once(client, pair, company, company_admin):
    old, _ = pair
    client.force_login(company_admin)

    client.post(reverse("buyers:api_key_reissue", args=[company.pk, old.pk]))
    again = client.post(reverse("buyers:api_key_reissue", args=[company.pk, old.pk]))

    assert not KEY.search(again.content.decode())
    assert ApiKey.objects.count() == 2


def test_an_expired_key_is_reissued_without_its_past_expiry(pair, company, company_admin):
    old, _ = pair
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    old.refresh_from_db()

    new, new_key = api_keys.reissue_key(old, actor=company_admin)

    assert new.expires_at is None
    assert ApiClient(new_key).get("agreements").status_code == 200


@pytest.mark.parametrize("role", [CompanyRole.PURCHASER, CompanyRole.VIEWER])
def test_members_who_are_not_admins_cannot_reissue(client, pair, company, role):
    old, _ = pair
    member = UserFactory()
    add_member(company, member, role)
    client.force_login(member)

    assert client.post(reverse("buyers:api_key_reissue", args=[company.pk, old.pk])).status_code == 404
    assert ApiKey.objects.count() == 1
