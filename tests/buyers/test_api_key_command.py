"""manage.py create_api_key: a key is made in the name of an admin of the company (--user)."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.utils import timezone

from buyers import api_keys
from buyers.api_keys import end_of_day
from buyers.models import ApiKey
from marketplace.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member

pytestmark = pytest.mark.django_db

KEY = re.compile(r"mkt_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


def create(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", stdout=out, stderr=err, **options)
    return out.getvalue().strip()


def test_an_admin_gets_a_working_key_made_in_their_name(company, company_admin):
    key = create(company=company.tax_id, user="Admin@Company.Example", scopes="read,order", name="ERP")

    assert KEY.fullmatch(key)
    row = ApiKey.objects.get()
    assert (row.company, row.created_by, row.scopes, row.name) == (company, company_admin, ["read", "order"], "ERP")
    assert row.key_hash == api_keys.hash_key(key)
    assert AuditEvent.objects.get(action="api_key.created").actor == company_admin
    assert ApiClient(key).get("agreements").status_code == 200


def test_an_expiry_date_may_be_given(company, company_admin):
    create(company=company.tax_id, user=company_admin.email, expires="2099-12-31")

    row = ApiKey.objects.get()
    assert timezone.localtime(row.expires_at) == end_of_day(datetime.date(2099, 12, 31))
    assert row.last_day == datetime.date(2099, 12, 31)


def test_without_user_the_command_fails(company):
    with pytest.raises(CommandError, match="--user"):
        create(company=company.tax_id)
    assert not ApiKey.objects.exists()


def test_a_user_who_is_not_an_admin_of_the_company_is_refused(company, other_company, purchaser):
    other_admin = UserFactory(email="other-admin@other.example")
    add_member(other_company, other_admin, "admin")

    for email in (purchaser.email, other_admin.email, "nobody@example.org"):
        with pytest.raises(CommandError, match="admin"):
            create(company=company.tax_id, user=email)
    assert not ApiKey.objects.exists()


def test_an_unknown_company_scope_or_date_is_refused(company, company_admin):
    with pytest.raises(CommandError):
        create(company="0000000000000", user=company_admin.email)
    with pytest.raises(CommandError):
        create(company=company.tax_id, user=company_admin.email, scopes="read,write")
    with pytest.raises(CommandError):
        create(company=company.tax_id, user=company_admin.email, expires="31/12/2099")
    with pytest.raises(CommandError):
        create(company=company.tax_id, user=company_admin.email, expires="2000-01-01")
    assert not ApiKey.objects.exists()


def test_the_command_exits_non_zero_without_an_admin(company, purchaser):
    utility = ManagementUtility(["manage.py", "create_api_key", "--company", company.tax_id, "--user", purchaser.email])
    with pytest.raises(SystemExit) as exit_:
        utility.execute()

    assert exit_.value.code != 0
