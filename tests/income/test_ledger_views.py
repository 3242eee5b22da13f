# ruff: noqa: F811 (the ledger fixtures are imported from test_ledger_services and used as arguments)
"""The ledger's admin pages: recording who supplied a delivery, payouts, the printable household
statement and the poverty status on the household page — contents, access and audit."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from income.ledger.models import Contribution, Payout
from marketplace.models import AuditEvent
from producers import services as producer_services
from producers.models import GroupMembership, IncomeSurvey, PovertySource
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, HouseholdFactory, assign
from tests.helpers import give_totp

# The ledger fixtures (a rice group with three consenting households, a paid marketplace delivery…)
from tests.income.test_ledger_services import (  # noqa: F401
    _english_and_fake_stripe,
    accept,
    company,
    contribute,
    earned,
    group,
    households,
    manager,
    market_delivery,
    rice,
    treasurer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def coordinator(group):
    user = UserFactory(email="coordinator@example.org")
    assign(user, province_code=group.province_code)
    give_totp(user)
    return user


@pytest.fixture
def other_manager(db):
    other = GroupFactory(code="ROI-RICE", province_code="45", district_code="4501", subdistrict_code="450101")
    user = UserFactory(email="other.manager@example.org")
    producer_services.membership_grant(user=user, group=other, role=GroupMembership.Role.MANAGER)
    return user


@pytest.fixture
def delivery(company, rice, manager):
    return market_delivery(company, rice, manager)


def contributions_url(delivery):
    return reverse("ledger:delivery_contributions", args=[delivery.pk])


def q(delivery, household):
    return f"q_{delivery.lines.get().pk}_{household.pk}"


# --- Contributions --------------------------------------------------------------------------


def test_the_order_page_links_each_delivery_to_its_contributions(client, manager, delivery):
    client.force_login(manager)
    html = client.get(reverse("orders_admin:order_detail", args=[delivery.order_id])).content.decode()
    assert contributions_url(delivery) in html


def test_a_manager_records_who_supplied_a_delivery(client, manager, delivery, households):
    client.force_login(manager)
    page = client.get(contributions_url(delivery))
    assert page.status_code == 200
    assert households[0].head_name in page.content.decode()
    assert AuditEvent.objects.filter(action="contributions.viewed", actor=manager).exists()

    response = client.post(
        contributions_url(delivery),
        {"action": "save", q(delivery, households[0]): "4", q(delivery, households[1]): "6"},
    )

    assert response.status_code == 302
    assert sorted(Contribution.objects.values_list("household__code", "quantity")) == [
        ("HH-RICE-1", Decimal("4.000")),
        ("HH-RICE-2", Decimal("6.000")),
    ]


def test_a_wrong_sum_is_shown_and_nothing_saved(client, manager, delivery, households):
    client.force_login(manager)
    response = client.post(contributions_url(delivery), {"action": "save", q(delivery, households[0]): "4"})
    assert response.status_code == 200
    assert "add up to 4 kilogram, but 10 kilogram were delivered" in response.content.decode()
    assert not Contribution.objects.exists()


def test_quick_fills_propose_quantities_without_saving(client, manager, company, rice, delivery, households):
    client.force_login(manager)
    line = delivery.lines.get()
    picks = {f"pick_{line.pk}_{h.pk}": "on" for h in households}

    response = client.post(contributions_url(delivery), {"action": f"equal:{line.pk}", **picks})

    form = response.context["form"]
    assert [form[q(delivery, h)].value() for h in households] == ["3.334", "3.333", "3.333"]
    assert not Contribution.objects.exists()

    contribute(delivery, [(households[1], "10")], manager)
    later = market_delivery(company, rice, manager, quantity="7")
    response = client.post(contributions_url(later), {"action": f"last:{later.lines.get().pk}"})
    form = response.context["form"]
    assert [form[q(later, h)].value() for h in households] == ["", "7.000", ""]


def test_coordinators_read_and_other_groups_get_nothing(client, coordinator, other_manager, delivery, households):
    client.force_login(coordinator)
    assert client.get(contributions_url(delivery)).status_code == 200
    assert client.post(contributions_url(delivery), {"action": "save"}).status_code in (302, 403)

    client.force_login(other_manager)
    assert client.get(contributions_url(delivery)).status_code == 404


# --- Payouts --------------------------------------------------------------------------------


def payouts_url(household):
    return reverse("ledger:household_payouts", args=[household.pk])


def test_the_treasurer_records_a_payout(client, earned, group, treasurer):
    client.force_login(treasurer)
    data = {"group": group.pk, "amount": "400.00", "method": "cash", "paid_on": timezone.localdate().isoformat()}

    response = client.post(payouts_url(earned), data)

    assert response.status_code == 302
    assert Payout.objects.get().amount == Decimal("400.00")
    page = client.get(payouts_url(earned)).content.decode()
    assert "฿56.00" in page

    over = client.post(payouts_url(earned), {**data, "amount": "56.01"})
    assert over.status_code == 200
    assert Payout.objects.count() == 1
    assert AuditEvent.objects.filter(action="household.payouts").count() >= 3


def test_a_manager_does_not_record_payouts_where_there_is_a_treasurer(client, earned, group, manager, treasurer):
    client.force_login(manager)
    page = client.get(payouts_url(earned))
    assert page.status_code == 200 and page.context["form"] is None
    data = {"group": group.pk, "amount": "1.00", "method": "cash", "paid_on": timezone.localdate().isoformat()}
    assert client.post(payouts_url(earned), data).status_code in (302, 403)  # the admin's "permission denied"
    assert not Payout.objects.exists()


# --- Statement ------------------------------------------------------------------------------


def statement_url(household, **params):
    url = reverse("ledger:household_statement", args=[household.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_statement_lists_income_and_payouts_in_thai(client, earned, group, treasurer):
    from income.ledger import services as ledger

    ledger.payout_record(
        household=earned,
        group=group,
        amount=Decimal("100.00"),
        method=Payout.Method.BANK_TRANSFER,
        reference="TRF-778",
        paid_on=timezone.localdate(),
        actor=treasurer,
    )
    client.force_login(treasurer)

    response = client.get(statement_url(earned))

    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.localdate()
    assert f"{today.year + 543}" in html  # Buddhist era
    assert "฿456.00" in html and "฿100.00" in html and "฿356.00" in html
    assert "TRF-778" in html
    assert "สามร้อยห้าสิบหกบาทถ้วน" in html  # the balance in words
    assert "สี่ร้อยห้าสิบหกบาทถ้วน" in html  # earned in words
    statement = response.context["statement"]
    assert [row.balance for row in statement.rows] == [Decimal("456.00"), Decimal("356.00")]
    event = AuditEvent.objects.get(action="household.statement")
    assert (event.actor, event.object_id) == (treasurer, str(earned.pk))


def test_the_statement_period_brings_the_balance_forward(client, earned, treasurer):
    client.force_login(treasurer)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.get(statement_url(earned, date_from=tomorrow.isoformat(), date_to=tomorrow.isoformat()))
    statement = response.context["statement"]
    assert statement.rows == [] and statement.opening == Decimal("456.00") and statement.closing == Decimal("456.00")


def test_another_groups_manager_gets_no_statement(client, earned, other_manager):
    client.force_login(other_manager)
    assert client.get(statement_url(earned)).status_code == 404
    assert client.get(payouts_url(earned)).status_code == 404
    assert not AuditEvent.objects.filter(action__in=["household.statement", "household.payouts"]).exists()


def test_a_coordinator_of_the_area_reads_the_statement(client, earned, coordinator):
    client.force_login(coordinator)
    assert client.get(statement_url(earned)).status_code == 200


# --- Poverty status on the household page ---------------------------------------------------


def test_the_household_page_shows_the_status_and_the_crossing(client, coordinator, group, earned):
    # Given a poor household at baseline (฿120,000 a year for 4) surveyed above the line later
    IncomeSurvey.objects.create(
        household=earned,
        surveyed_on=timezone.localdate() - datetime.timedelta(days=30),
        annual_income=Decimal("160000"),
        members=4,
        source=PovertySource.BMN,
    )
    still_poor = HouseholdFactory(code="HH-STILL", group=group)
    client.force_login(coordinator)

    response = client.get(reverse("producers_admin:household_detail", args=[earned.pk]))

    html = response.content.decode()
    assert 'data-current-status="above"' in html and 'data-crossed-line="yes"' in html
    poverty = response.context["poverty"]
    assert poverty["crossed_line"] is True
    assert [row.status for row in poverty["history"]] == ["poor", "above"]
    # now = the survey plus the marketplace income earned after it: (160,000 + 456) / 12 / 4
    assert poverty["current_monthly"] == Decimal("3342.83")
    assert poverty["income_by_year"] == [(timezone.localdate().year, Decimal("456.00"))]
    assert statement_url(earned) in html and payouts_url(earned) in html

    other = client.get(reverse("producers_admin:household_detail", args=[still_poor.pk])).content.decode()
    assert 'data-current-status="poor"' in other and 'data-crossed-line="no"' in other
