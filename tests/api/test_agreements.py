"""GET /agreements and /agreements/{code}: the key's company's agreements only, with each line's
committed, ordered, delivered, accepted, invoiced, paid and remaining quantities."""

from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.factories.orders import AgreementFactory, active_agreement, add_line, confirmed_call_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(company):
    return active_agreement(company=company, code="KSU-MOU-2569-001", committed="100")


def test_the_list_shows_the_companys_activated_agreements(api_client, company, agreement, other_company):
    active_agreement(company=other_company, code="OTHER-001")
    draft = AgreementFactory(company=company, code="DRAFT-001")
    add_line(draft)

    response = api_client.get("agreements")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert [item["code"] for item in body["items"]] == ["KSU-MOU-2569-001"]
    assert body["count"] == 1 and body["next_page"] is None
    item = body["items"][0]
    assert item["state"] == "active" and item["title"] == agreement.title
    assert item["valid_to"] == agreement.valid_to.isoformat()


def test_one_agreement_has_its_lines_quantities(api_client, agreement, purchaser):
    line = agreement.lines.get()
    confirmed_call_off(agreement, {line: "30"}, placed_by=purchaser)

    response = api_client.get("agreements/KSU-MOU-2569-001")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "KSU-MOU-2569-001" and body["delivery_terms"] == agreement.delivery_terms
    [out] = body["lines"]
    assert out["id"] == line.pk and out["product_id"] == line.product_id
    quantities = {name: Decimal(out[name]) for name in ("committed", "ordered", "delivered", "accepted")}
    assert quantities == {"committed": 100, "ordered": 30, "delivered": 0, "accepted": 0}
    assert Decimal(out["invoiced"]) == 0 and Decimal(out["paid"]) == 0
    assert Decimal(out["remaining"]) == 70
    assert Decimal(out["unit_price"]) == line.unit_price


def test_another_companys_agreement_is_not_found(api_client, other_client, agreement):
    assert api_client.get("agreements/KSU-MOU-2569-001").status_code == 200

    body = assert_problem(other_client.get("agreements/KSU-MOU-2569-001"), 404, "not-found")
    assert "KSU" not in body.get("detail", "")
    assert other_client.get("agreements").json()["count"] == 0


def test_a_draft_or_unknown_agreement_is_not_found(api_client, company):
    draft = AgreementFactory(company=company, code="DRAFT-002")
    add_line(draft)

    assert_problem(api_client.get("agreements/DRAFT-002"), 404, "not-found")
    assert_problem(api_client.get("agreements/NO-SUCH-CODE"), 404, "not-found")


def test_agreement_pages_are_limited(api_client, agreement):
    assert api_client.get("agreements", {"page_size": 100}).status_code == 200
    assert_problem(api_client.get("agreements", {"page_size": 101}), 422, "validation")
    assert api_client.get("agreements", {"page": 9}).json()["items"] == []


def test_agreements_need_the_read_scope(company, agreement):
    from tests.api.conftest import ApiClient, make_key

    _, key = make_key(company, ("order",))

    assert_problem(ApiClient(key).get("agreements/KSU-MOU-2569-001"), 403, "forbidden")
