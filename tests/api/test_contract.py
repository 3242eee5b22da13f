"""The API's contract since 1.1.0 (api/schemas.py, api/base.py): money is a string with exactly 2
decimals and a quantity a string with exactly 3 in every response of every endpoint; problems
are in Thai unless `Accept-Language` asks for English, with the same `type` either way and
`Content-Language` saying which; and the schema's constraints are exactly what the code accepts
for the operations schemathesis once found disagreeing (products, impact, orders, call-offs,
acceptances)."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from orders import fulfilment
from producers import services as producer_services
from producers.models import GroupMembership
from tests.api.conftest import ApiClient, assert_problem, make_key
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import make_group_page, make_product
from tests.factories.orders import active_agreement, confirmed_call_off
from tests.income.test_company_impact import LIFTS, earn, households, paid_call_off

MONEY = re.compile(r"^-?\d+\.\d{2}$")
QUANTITY = re.compile(r"^-?\d+\.\d{3}$")
PERCENT = re.compile(r"^-?\d+\.\d$")
MONEY_FIELDS = {"price", "unit_price", "line_total", "amount", "total", "purchase_value"}
QUANTITY_FIELDS = {
    "min_order_quantity",
    "available_quantity",
    "min_per_call_off",
    "max_per_call_off",
    "committed",
    "ordered",
    "delivered",
    "accepted",
    "invoiced",
    "paid",
    "remaining",
    "quantity",
    "rejected",
    "requested",
}
# Figures of the impact statement: {"value": …} whose format depends on the figure.
MONEY_FIGURES = {"paid_to_households"}
PERCENT_FIGURES = {"share_reached_percent", "crossed_poverty_line_percent"}
PERCENT_FIELDS = {"percent_fulfilled"}


def formatted_fields(body, seen: set[str], path: str = "") -> None:
    """Walk a response body: every money field a 2-decimal string, every quantity a 3-decimal
    string, every percentage a 1-decimal string (or null where the schema allows it), and no JSON
    number with a fraction anywhere. Records in `seen` the fields met."""
    if isinstance(body, dict):
        for name, value in body.items():
            where = f"{path}.{name}"
            if name in MONEY_FIGURES | PERCENT_FIGURES:
                pattern = MONEY if name in MONEY_FIGURES else PERCENT
                assert value["value"] is None or pattern.match(value["value"]), (where, value)
                seen.add(name)
            elif name in MONEY_FIELDS | QUANTITY_FIELDS | PERCENT_FIELDS and not isinstance(value, dict | list):
                pattern = MONEY if name in MONEY_FIELDS else QUANTITY if name in QUANTITY_FIELDS else PERCENT
                assert value is None or (isinstance(value, str) and pattern.match(value)), (where, value)
                seen.add(name)
            formatted_fields(value, seen, where)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            formatted_fields(item, seen, f"{path}[{index}]")
    else:
        assert not isinstance(body, float), (path, body)


@pytest.fixture
def client(company, purchaser):
    return ApiClient(make_key(company, ("read", "order"), created_by=purchaser)[1])


@pytest.fixture
def world(company, purchaser):
    """Products, an agreement with a call-off delivered, accepted in part and invoiced, another
    placed, and an impact statement with households reached."""
    product = make_product(make_group_page(), price=Decimal("60.5"), available_quantity=Decimal("12.25"))
    agreement = active_agreement(company=company, committed="100", code="KSU-MOU-2569-900")
    line = agreement.lines.get()
    manager = UserFactory(email="contract.manager@example.org")
    producer_services.membership_grant(user=manager, group=line.group, role=GroupMembership.Role.MANAGER)
    order = confirmed_call_off(agreement, {line: "30.5"}, placed_by=purchaser, manager=manager)
    delivery = fulfilment.delivery_record(
        order=order,
        quantities={order.lines.get().pk: Decimal("20")},
        delivered_on=timezone.localdate(),
        actor=manager,
    )
    fulfilment.delivery_accept(
        delivery=delivery,
        decisions={
            delivery.lines.get().pk: fulfilment.LineDecision(
                accepted=Decimal("19.5"), rejected=Decimal("0.5"), reason="wet"
            )
        },
        actor=purchaser,
    )
    awaiting = fulfilment.delivery_record(
        order=order,
        quantities={order.lines.get().pk: Decimal("10.5")},
        delivered_on=timezone.localdate(),
        actor=manager,
    )
    impact_agreement = active_agreement(company=company, code="KSU-MOU-2569-901")
    delivery_line = paid_call_off(impact_agreement)
    for household in households(6, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)
    return {"product": product, "agreement": agreement, "line": line, "order": order, "awaiting": awaiting}


# --- Formats --------------------------------------------------------------------------------


def test_every_money_field_has_2_decimals_and_every_quantity_3_in_every_endpoint(client, world):
    line = world["line"]
    bodies = [
        client.get("products").json(),
        client.get(f"products/{world['product'].pk}").json(),
        client.get("agreements").json(),
        client.get(f"agreements/{world['agreement'].code}").json(),
        client.get("orders").json(),
        client.get(f"orders/{world['order'].number}").json(),
        client.get("impact").json(),
        client.get("impact", {"agreement": "KSU-MOU-2569-901"}).json(),
    ]
    placed = client.post(
        f"agreements/{world['agreement'].code}/calloffs",
        {"lines": [{"line_id": line.pk, "quantity": 12.5}]},
        headers={"Idempotency-Key": "contract-1"},
    )
    over = client.post(
        f"agreements/{world['agreement'].code}/calloffs",
        {"lines": [{"line_id": line.pk, "quantity": "99"}]},
        headers={"Idempotency-Key": "contract-2"},
    )
    cancelled = client.post(f"orders/{placed.json()['orders'][0]['number']}/cancel", {"note": "dup"})
    assert placed.status_code == 201 and cancelled.status_code == 200
    bodies += [placed.json(), assert_problem(over, 409, "over-commit"), cancelled.json()]

    seen: set[str] = set()
    for body in bodies:
        formatted_fields(body, seen)

    expected = MONEY_FIELDS | QUANTITY_FIELDS | MONEY_FIGURES | PERCENT_FIGURES | PERCENT_FIELDS
    assert seen == expected, expected - seen


def test_values_are_written_exactly(client, world):
    product = client.get(f"products/{world['product'].pk}").json()
    [line] = client.get(f"agreements/{world['agreement'].code}").json()["lines"]
    order = client.get(f"orders/{world['order'].number}").json()

    assert (product["price"], product["available_quantity"]) == ("60.50", "12.250")
    assert (line["committed"], line["ordered"], line["delivered"], line["accepted"]) == (
        "100.000",
        "30.500",
        "30.500",
        "19.500",
    )
    assert line["percent_fulfilled"] == "30.5"
    assert order["lines"][0]["quantity"] == "30.500"
    assert order["deliveries"][0]["lines"][0]["rejected"] == "0.500"
    assert MONEY.match(order["invoices"][0]["amount"]) and MONEY.match(order["total"])


def test_the_schema_declares_money_and_quantities_as_patterned_strings(anonymous_client):
    components = anonymous_client.get("openapi.json").json()["components"]["schemas"]

    price = components["ProductOut"]["properties"]["price"]
    committed = components["AgreementLineOut"]["properties"]["committed"]
    total = components["OrderOut"]["properties"]["total"]

    for schema, pattern in ((price, MONEY), (committed, QUANTITY), (total, MONEY)):
        assert schema["type"] == "string"
        assert schema["pattern"] == pattern.pattern
        assert all(pattern.match(example) for example in schema["examples"])


def test_the_schema_has_the_new_version(anonymous_client):
    assert anonymous_client.get("openapi.json").json()["info"]["version"] == "1.1.0"


# --- Problems in the client's language ------------------------------------------------------


def raw_get(path: str, key: str | None, **headers):
    all_headers = dict(headers)
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"
    return Client().get(f"/api/v1/{path}", headers=all_headers)


@pytest.mark.parametrize(
    ("path", "status", "type_name", "thai_title", "english_title"),
    [
        ("orders/CO-NONE-1", 404, "not-found", "ไม่พบ", "Not found"),
        ("products?page_size=101", 422, "validation", "ข้อมูลไม่ถูกต้อง", "Invalid input"),
        ("no-such-endpoint", 404, "not-found", "ไม่พบ", "Not found"),
    ],
)
def test_problems_are_thai_by_default_and_english_when_asked(
    api_key_pair, path, status, type_name, thai_title, english_title
):
    key = api_key_pair[1]

    thai = raw_get(path, key)
    english = raw_get(path, key, **{"Accept-Language": "en-US,en;q=0.9"})

    thai_body, english_body = assert_problem(thai, status, type_name), assert_problem(english, status, type_name)
    assert thai_body["type"] == english_body["type"]
    assert (thai_body["title"], english_body["title"]) == (thai_title, english_title)
    assert thai_body["detail"] != english_body["detail"]
    assert re.search("[\u0e00-\u0e7f]", thai_body["detail"]) and english_body["detail"].isascii()
    assert (thai["Content-Language"], english["Content-Language"]) == ("th", "en")
    assert "Accept-Language" in english["Vary"]


def test_the_key_problems_are_translated_too(db):
    thai = raw_get("orders", None)
    english = raw_get("orders", None, **{"Accept-Language": "en"})

    thai_body, english_body = assert_problem(thai, 401, "unauthorized"), assert_problem(english, 401, "unauthorized")
    assert (thai_body["title"], english_body["title"]) == ("ไม่ได้ยืนยันตัวตน", "Unauthorized")
    assert english_body["detail"] == "Send an API key as 'Authorization: Bearer <key>'."
    assert re.search("[\u0e00-\u0e7f]", thai_body["detail"])


def test_a_refused_call_off_is_in_the_asked_language(client, world):
    line = world["line"]
    body = {"lines": [{"line_id": line.pk, "quantity": "99"}]}
    url = f"agreements/{world['agreement'].code}/calloffs"

    thai = client.post(url, body, headers={"Idempotency-Key": "lang-1", "Accept-Language": "th"})
    english = client.post(url, body, headers={"Idempotency-Key": "lang-2", "Accept-Language": "en"})

    assert assert_problem(thai, 409, "over-commit")["title"] != assert_problem(english, 409, "over-commit")["title"]
    assert english.json()["title"] == "Over-commit"
    assert re.search("[\u0e00-\u0e7f]", thai.json()["title"] + thai.json()["detail"])


@pytest.mark.parametrize("header", ["", "fr", "*", "en;q=0", "zz-ZZ, th;q=0.1"])
def test_thai_without_an_accept_language_for_english(api_key_pair, header):
    response = raw_get("orders/CO-NONE-1", api_key_pair[1], **({"Accept-Language": header} if header else {}))

    assert assert_problem(response, 404, "not-found")["title"] == "ไม่พบ"
    assert response["Content-Language"] == "th"


def test_neither_the_language_cookie_nor_the_saved_preference_overrides_accept_language(
    api_key_pair, purchaser, settings
):
    purchaser.preferred_language = "en"
    purchaser.save(update_fields=["preferred_language"])
    browser = Client()
    browser.force_login(purchaser)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = browser.get("/api/v1/orders/CO-NONE-1", headers={"Authorization": f"Bearer {api_key_pair[1]}"})

    assert assert_problem(response, 404, "not-found")["title"] == "ไม่พบ"
    assert response["Content-Language"] == "th"


# --- Schema constraints are the code's ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"price_min": "abc"},
        {"price_min": "1e3"},
        {"price_min": "1.234"},
        {"price_min": "-1"},
        {"province": "99"},
        {"category": "not a slug"},
        {"sort": "cheapest"},
        {"q": "rice\x00"},
    ],
)
def test_products_refuse_what_the_schema_forbids(api_client, query):
    assert_problem(api_client.get("products", query), 422, "validation")


@pytest.mark.parametrize(
    "query",
    [
        {"price_min": "", "price_max": ""},
        {"price_min": "0", "price_max": "9999999999.99"},
        {"province": "10", "sort": ""},
        {"price_min": "10", "price_max": "5"},
    ],
)
def test_products_accept_what_the_schema_allows(api_client, query, db):
    response = api_client.get("products", query)

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("impact", {"date_from": "1999-12-31"}),
        ("impact", {"date_to": "0"}),
        ("impact", {"date_from": ""}),
        ("orders", {"placed_to": "0"}),
        ("orders", {"placed_from": "2026-1-1"}),
        ("orders", {"status": ""}),
        ("orders", {"page": "1000001"}),
    ],
)
def test_dates_and_pages_outside_the_schema_are_refused(api_client, path, query):
    assert_problem(api_client.get(path, query), 422, "validation")


def test_an_inverted_period_is_an_empty_statement_not_an_error(api_client):
    response = api_client.get("impact", {"date_from": "2026-03-01", "date_to": "2026-02-01"})

    assert response.status_code == 200
    assert response.json()["households_reached"]["value"] == 0


@pytest.mark.parametrize("quantity", ["12.5", "12.500", 12.5, 12, "0.001", 0.0014])
def test_a_call_off_quantity_the_schema_allows_is_accepted(client, world, quantity):
    response = client.post(
        f"agreements/{world['agreement'].code}/calloffs",
        {"lines": [{"line_id": world["line"].pk, "quantity": quantity}]},
        headers={"Idempotency-Key": f"q-{quantity!r}"},
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("quantity", ["0", "0.000", 0, 0.0004, "-1", "1e3", "012", "1.2345", True, "1234567890", 1e10])
def test_a_call_off_quantity_the_schema_forbids_is_invalid(client, world, quantity):
    response = client.post(
        f"agreements/{world['agreement'].code}/calloffs",
        {"lines": [{"line_id": world["line"].pk, "quantity": quantity}]},
        headers={"Idempotency-Key": "q-bad"},
    )

    assert_problem(response, 422, "validation")


def test_a_well_formed_call_off_the_agreement_does_not_allow_is_refused_not_invalid(client, world, company):
    foreign = active_agreement(company=company, code="KSU-MOU-2569-902").lines.get()

    response = client.post(
        f"agreements/{world['agreement'].code}/calloffs",
        {"lines": [{"line_id": foreign.pk, "quantity": "1"}]},
        headers={"Idempotency-Key": "foreign"},
    )

    body = assert_problem(response, 409, "refused")
    assert body["errors"][0]["loc"] == ["body", "lines"]


def test_the_same_call_off_written_differently_is_one_request(client, world):
    url = f"agreements/{world['agreement'].code}/calloffs"
    line_id = world["line"].pk

    first = client.post(url, {"lines": [{"line_id": line_id, "quantity": "12.5"}]}, headers={"Idempotency-Key": "k"})
    again = client.post(
        url, {"note": "", "lines": [{"quantity": 12.5, "line_id": line_id}]}, headers={"Idempotency-Key": "k"}
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content


def test_a_well_formed_acceptance_the_delivery_does_not_allow_is_refused_not_invalid(client, world):
    url = f"deliveries/{world['awaiting'].pk}/acceptance"

    response = client.post(url, {"lines": [{"delivery_line_id": 987654, "accepted": "1"}]})

    assert_problem(response, 409, "refused")


@pytest.mark.parametrize("accepted", ["-1", "1.2345", "", None, "1e2"])
def test_an_acceptance_quantity_the_schema_forbids_is_invalid(client, world, accepted):
    url = f"deliveries/{world['awaiting'].pk}/acceptance"
    line_id = world["awaiting"].lines.get().pk

    response = client.post(url, {"lines": [{"delivery_line_id": line_id, "accepted": accepted}]})

    assert_problem(response, 422, "validation")
