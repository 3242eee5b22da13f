"""API keys: made and revoked by company admins in the portal (the command: tests/buyers/test_api_key_command.py;
the rules that stop a key: test_key_lifecycle.py)."""

import re

import pytest
from django.urls import reverse

from buyers import api_keys
from buyers.models import ApiKey, CompanyRole
from marketplace.models import AuditEvent
from tests.api.conftest import ApiClient, assert_problem
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member

pytestmark = pytest.mark.django_db

KEY = re.compile(r"mkt_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


def keys_url(company):
    return reverse("buyers:api_keys", args=[company.pk])


def test_an_admin_makes_a_key_that_is_shown_once_and_stored_hashed(client, company, company_admin):
    client.force_login(company_admin)

    response = client.post(keys_url(company), {"name": "SAP purchasing", "scopes": ["read", "order"]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [key] = KEY.findall(response.content.decode())
    row = ApiKey.objects.get()
    assert row.company == company and row.name == "SAP purchasing" and row.scopes == ["read", "order"]
    assert row.created_by == company_admin
    assert row.key_hash == api_keys.hash_key(key) and key not in row.key_hash
    assert key.startswith(f"mkt_{row.prefix}_")
    assert AuditEvent.objects.filter(action="api_key.created").count() == 1
    # It works, and the page never shows it again.
    assert ApiClient(key).get("agreements").status_code == 200
    again = client.get(keys_url(company)).content.decode()
    assert key not in again and not KEY.search(again)
    assert f"mkt_{row.prefix}_" in again


def test_a_key_needs_a_name_and_a_scope(client, company, company_admin):
    client.force_login(company_admin)

    response = client.post(keys_url(company), {"name": "", "scopes": []})

    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    assert not KEY.search(response.content.decode())


def test_an_admin_revokes_a_key(client, company, company_admin, api_key_pair):
    row, key = api_key_pair
    client.force_login(company_admin)

    response = client.post(reverse("buyers:api_key_revoke", args=[company.pk, row.pk]))

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1
    assert_problem(ApiClient(key).get("agreements"), 401, "unauthorized")


@pytest.mark.parametrize("role", [CompanyRole.PURCHASER, CompanyRole.VIEWER])
def test_members_who_are_not_admins_cannot_see_make_or_revoke_keys(client, company, api_key, role):
    member = UserFactory()
    add_member(company, member, role)
    client.force_login(member)

    assert client.get(keys_url(company)).status_code == 404
    assert client.post(keys_url(company), {"name": "x", "scopes": ["read"]}).status_code == 404
    assert client.post(reverse("buyers:api_key_revoke", args=[company.pk, api_key.pk])).status_code == 404
    assert client.get(reverse("buyers:api_keys_home")).status_code == 403
    assert ApiKey.objects.count() == 1
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_an_admin_of_another_company_cannot_touch_these_keys(client, company, other_company, api_key):
    stranger = UserFactory()
    add_member(other_company, stranger, CompanyRole.ADMIN)
    client.force_login(stranger)

    assert client.get(keys_url(company)).status_code == 404
    assert client.post(reverse("buyers:api_key_revoke", args=[other_company.pk, api_key.pk])).status_code == 404


def test_the_portal_link_leads_an_admin_to_their_company_keys(client, company, company_admin):
    client.force_login(company_admin)

    response = client.get(reverse("buyers:api_keys_home"))

    assert response.status_code == 302 and response["Location"] == keys_url(company)
    assert reverse("buyers:api_keys_home") in client.get(keys_url(company)).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, company):
    assert client.get(keys_url(company)).status_code == 302


# --- Scopes -------------------------------------------------------------------------------


def test_a_key_without_the_read_scope_is_403(company, company_admin):
    _, key = api_keys.create_key(company=company, name="orders only", scopes=["order"], created_by=company_admin)

    assert_problem(ApiClient(key).get("agreements"), 403, "forbidden")
    assert_problem(ApiClient(key).get("products"), 403, "forbidden")
    assert_problem(ApiClient(key).get("impact"), 403, "forbidden")


def test_unknown_scopes_are_refused(company, company_admin):
    with pytest.raises(ValueError):
        api_keys.create_key(company=company, name="x", scopes=["admin"], created_by=company_admin)
    with pytest.raises(ValueError):
        api_keys.create_key(company=company, name="x", scopes=[], created_by=company_admin)
