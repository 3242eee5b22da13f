"""GET /impact: the company's statement, suppressed as in the portal, with the suppression explicit."""

from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.factories.orders import active_agreement
from tests.income.test_company_impact import LIFTS, earn, households, paid_call_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(company):
    return active_agreement(company=company, code="KSU-MOU-IMPACT-1")


def test_an_empty_statement_shows_zero_not_suppressed(api_client, company):
    response = api_client.get("impact")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["households_reached"] == {"value": 0, "suppressed": False, "display": "0"}
    assert Decimal(body["purchase_value"]) == 0
    assert body["share_reached_percent"]["value"] is None
    assert body["share_reached_percent"]["suppressed"] is False


def test_fewer_than_five_households_are_suppressed(api_client, agreement):
    delivery_line = paid_call_off(agreement)
    for household in households(3, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)

    body = api_client.get("impact").json()

    suppressed = {"value": None, "suppressed": True, "display": "<5"}
    assert body["households_reached"] == suppressed
    assert body["paid_to_households"] == suppressed
    assert body["share_reached_percent"] == suppressed
    assert body["crossed_poverty_line"] == suppressed
    # The company's own purchases are always shown.
    assert Decimal(body["purchase_value"]) == Decimal("160000.00")


def test_five_or_more_households_are_shown(api_client, agreement):
    delivery_line = paid_call_off(agreement)
    for household in households(6, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)

    body = api_client.get("impact", {"agreement": "KSU-MOU-IMPACT-1"}).json()

    assert body["households_reached"] == {"value": 6, "suppressed": False, "display": "6"}
    assert Decimal(body["paid_to_households"]["value"]) == LIFTS * 6
    assert body["agreement"] == "KSU-MOU-IMPACT-1"
    assert api_client.get("impact", {"agreement": "marketplace"}).json()["households_reached"]["value"] == 0


def test_another_companys_agreement_is_not_found(other_client, agreement):
    assert_problem(other_client.get("impact", {"agreement": "KSU-MOU-IMPACT-1"}), 404, "not-found")


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-02-30"},
        {"date_to": "0001-01-01"},
        {"date_from": "yesterday"},
    ],
)
def test_bad_periods_are_validation_problems(api_client, query):
    assert_problem(api_client.get("impact", query), 422, "validation")
