"""POST /api/v1/agreements/{code}/calloffs: placing, idempotency, over-commit and refusals."""

import json
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyRecord
from orders import services
from orders.models import AgreementLine, Order, OrderLine, OrderStatus
from tests.api.conftest import ApiClient, assert_problem, make_key
from tests.factories.households import GroupFactory
from tests.factories.orders import AgreementFactory, active_agreement, add_line, make_product


@pytest.fixture
def key_pair(company, purchaser):
    """A read+order key made by the purchaser: call-offs are placed in the purchaser's name."""
    return make_key(company, ("read", "order"), created_by=purchaser)


def english(client: ApiClient) -> ApiClient:
    """Refusals carry the services' messages in the request's language (Thai unless chosen)."""
    client.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def client(key_pair):
    return english(ApiClient(key_pair[1]))


@pytest.fixture
def agreement(company):
    """Rice 100 kg (10–60 per call-off) from one group and silk 20 m from another."""
    agreement = AgreementFactory(company=company, code="KSU-MOU-2569-001")
    add_line(
        agreement,
        make_product(GroupFactory(code="KAL-RICE"), title="ข้าวหอมมะลิอินทรีย์"),
        committed="100",
        price="55.00",
        min_per_call_off="10",
        max_per_call_off="60",
    )
    add_line(agreement, make_product(GroupFactory(code="KAL-SILK"), title="ผ้าไหมแพรวา", unit="metre"), committed="20")
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def lines(agreement):
    rice, silk = agreement.lines.order_by("pk")
    return rice, silk


def url(agreement) -> str:
    return f"agreements/{agreement.code}/calloffs"


def call_off(client, agreement, body, key="po-4711", **kwargs):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url(agreement), body, headers=headers, **kwargs)


def remaining(line) -> Decimal:
    return AgreementLine.objects.with_quantities().get(pk=line.pk).remaining_quantity


# --- Placing --------------------------------------------------------------------------------


def test_a_call_off_places_one_order_per_producer_group(client, agreement, lines, purchaser):
    rice, silk = lines

    response = call_off(
        client,
        agreement,
        {"lines": [{"line_id": rice.pk, "quantity": "25.5"}, {"line_id": silk.pk, "quantity": 2}], "note": "Dock 3"},
    )

    assert response.status_code == 201, response.content
    orders = response.json()["orders"]
    assert [order["group"]["code"] for order in orders] == ["KAL-RICE", "KAL-SILK"]
    rice_order = orders[0]
    assert rice_order["number"].startswith("CO-")
    assert (rice_order["kind"], rice_order["status"], rice_order["payment_status"]) == ("contract", "placed", "unpaid")
    assert rice_order["agreement"] == "KSU-MOU-2569-001" and rice_order["note"] == "Dock 3"
    [line] = rice_order["lines"]
    assert (line["quantity"], line["unit_price"], line["line_total"], line["delivered"]) == (
        "25.500",
        "55.00",
        "1402.50",
        "0.000",
    )
    assert line["agreement_line_id"] == rice.pk and rice_order["total"] == "1402.50"
    placed = Order.objects.filter(agreement=agreement)
    assert placed.count() == 2 and {order.placed_by for order in placed} == {purchaser}
    assert remaining(rice) == Decimal("74.5") and remaining(silk) == Decimal("18")


def test_the_placed_call_off_reads_the_same_from_the_orders_endpoint(client, agreement, lines):
    rice, _ = lines

    [order] = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": 10}]}).json()["orders"]

    assert client.get(f"orders/{order['number']}").json() == order


# --- Idempotency ----------------------------------------------------------------------------


def test_the_same_key_and_body_answers_the_first_response_without_placing_again(client, agreement, lines):
    rice, _ = lines
    body = {"lines": [{"line_id": rice.pk, "quantity": "20"}], "note": "PO 4711"}
    first = call_off(client, agreement, body)

    # the same JSON, written differently (key order, spacing): the same request
    again = call_off(client, agreement, None, raw=json.dumps({"note": "PO 4711", "lines": body["lines"]}, indent=2))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Order.objects.filter(agreement=agreement).count() == 1
    assert remaining(rice) == Decimal("80")
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.response_status, record.response_body) == ("po-4711", 201, first.json())


def test_the_same_key_with_another_body_is_refused(client, agreement, lines):
    rice, _ = lines
    call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "20"}]})

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "30"}]})

    assert_problem(response, 409, "conflict")
    assert Order.objects.filter(agreement=agreement).count() == 1 and remaining(rice) == Decimal("80")


def test_a_call_off_without_an_idempotency_key_is_refused(client, agreement, lines):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "20"}]}, key=None)

    body = assert_problem(response, 400, "validation")
    assert "Idempotency-Key" in body["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("bad_key", ["x" * 256, "two words", "ข้าว"])
def test_a_malformed_idempotency_key_is_refused(client, agreement, lines, bad_key):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "20"}]}, key=bad_key)

    assert_problem(response, 400, "validation")
    assert not Order.objects.exists()


def test_idempotency_keys_belong_to_one_api_key(client, company, agreement, lines):
    rice, _ = lines
    second_client = ApiClient(make_key(company, name="second ERP")[1])
    body = {"lines": [{"line_id": rice.pk, "quantity": "20"}]}

    first = call_off(client, agreement, body, key="shared-key")
    second = call_off(second_client, agreement, body, key="shared-key")

    assert first.status_code == second.status_code == 201
    assert first.json()["orders"][0]["number"] != second.json()["orders"][0]["number"]
    assert Order.objects.count() == 2 and IdempotencyRecord.objects.count() == 2


def test_a_refused_call_off_leaves_no_record_so_its_key_can_be_sent_again(client, agreement, lines):
    rice, _ = lines
    refused = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "5"}]})  # below the minimum

    fixed = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "15"}]})

    assert_problem(refused, 409, "refused")
    assert fixed.status_code == 201 and remaining(rice) == Decimal("85")
    assert IdempotencyRecord.objects.get().response_status == 201


# --- Over-commit and other refusals ---------------------------------------------------------


def test_over_commit_answers_409_with_the_remaining_quantity_per_line(client, agreement, lines):
    rice, silk = lines
    call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "60"}]}, key="first")

    response = call_off(
        client,
        agreement,
        {"lines": [{"line_id": rice.pk, "quantity": "50"}, {"line_id": silk.pk, "quantity": "5"}]},
        key="second",
    )

    body = assert_problem(response, 409, "over-commit")
    assert body["lines"] == [
        {"line_id": rice.pk, "requested": "50.000", "remaining": "40.000", "over_committed": True},
        {"line_id": silk.pk, "requested": "5.000", "remaining": "20.000", "over_committed": False},
    ]
    assert "only 40 kilogram remaining" in body["detail"]
    assert Order.objects.count() == 1 and remaining(rice) == Decimal("40")


@pytest.mark.parametrize(("quantity", "message"), [("5", "at least 10"), ("61", "at most 60")])
def test_quantities_outside_the_agreement_terms_are_refused(client, agreement, lines, quantity, message):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": quantity}]})

    body = assert_problem(response, 409, "refused")
    assert message in body["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "0.000", "-3", 0, -3])
def test_a_quantity_of_zero_or_less_does_not_match_the_schema(client, agreement, lines, quantity):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": quantity}]})

    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["loc"][-1] == "quantity"
    assert not Order.objects.exists()


def test_a_line_of_another_agreement_is_refused(client, company, agreement, lines):
    foreign_line = active_agreement(company=company).lines.get()

    response = call_off(client, agreement, {"lines": [{"line_id": foreign_line.pk, "quantity": "10"}]})

    body = assert_problem(response, 409, "refused")
    assert "not part of the agreement" in body["detail"]


def test_a_line_named_twice_is_refused(client, agreement, lines):
    rice, _ = lines

    response = call_off(
        client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}, {"line_id": rice.pk, "quantity": "10"}]}
    )

    assert_problem(response, 409, "refused")
    assert not Order.objects.exists()


def test_a_terminated_agreement_refuses_call_offs(client, agreement, lines):
    rice, _ = lines
    services.agreement_terminate(agreement=agreement, actor=None, reason="Company stopped buying")

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}]})

    body = assert_problem(response, 409, "refused")
    assert "active agreement" in body["detail"]


def test_an_expired_agreement_refuses_call_offs(client, agreement, lines):
    rice, _ = lines
    agreement.valid_from = timezone.localdate() - timezone.timedelta(days=30)
    agreement.valid_to = timezone.localdate() - timezone.timedelta(days=1)
    agreement.save(update_fields=["valid_from", "valid_to"])

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}]})

    assert_problem(response, 409, "refused")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "1.2345", "1e400", None, [], "12345678901"])
def test_a_quantity_that_is_not_a_decimal_is_invalid_input(client, agreement, lines, bad):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": bad}]})

    assert_problem(response, 422, "validation")
    assert not Order.objects.exists()


def test_a_note_with_a_nul_character_is_invalid_input(client, agreement, lines):
    rice, _ = lines

    response = call_off(client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}], "note": "a\x00b"})

    assert_problem(response, 422, "validation")


# --- Scope and access -----------------------------------------------------------------------


def test_another_companys_agreement_answers_404(other_client, agreement, lines):
    rice, _ = lines

    response = call_off(other_client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}]})

    assert_problem(response, 404, "not-found")
    assert not Order.objects.exists()


def test_a_draft_agreement_answers_404(client, company):
    draft = AgreementFactory(company=company)
    line = add_line(draft)

    response = call_off(client, draft, {"lines": [{"line_id": line.pk, "quantity": "10"}]})

    assert_problem(response, 404, "not-found")


def test_a_read_only_key_cannot_place_call_offs(read_client, agreement, lines):
    rice, _ = lines

    response = call_off(read_client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}]})

    assert_problem(response, 403, "forbidden")
    assert not Order.objects.exists()


def test_no_key_answers_401(anonymous_client, agreement, lines):
    rice, _ = lines

    response = call_off(anonymous_client, agreement, {"lines": [{"line_id": rice.pk, "quantity": "10"}]})

    assert_problem(response, 401, "unauthorized")


# --- Races (PostgreSQL) ---------------------------------------------------------------------


def _race(contenders: int, send) -> list:
    """Run `send(i)` in `contenders` threads released together; returns [(i, response)]."""
    start = threading.Barrier(contenders)
    results, crashed = [], []

    def run(i):
        try:
            start.wait()
            results.append((i, send(i)))
        except Exception as error:
            crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashed == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_call_offs_with_different_keys_never_order_past_the_committed_quantity(company, purchaser):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections ordering at once")
    agreement = active_agreement(company=company, committed="50")
    line = agreement.lines.get()
    _, key = make_key(company, created_by=purchaser)
    contenders = 8  # each wants 10 of the last 50: exactly 5 win

    results = _race(
        contenders,
        lambda i: english(ApiClient(key)).post(
            url(agreement),
            {"lines": [{"line_id": line.pk, "quantity": "10"}]},
            headers={"Idempotency-Key": f"race-{i}"},
        ),
    )

    statuses = sorted(response.status_code for _, response in results)
    assert statuses == [201] * 5 + [409] * 3
    for _, response in results:
        if response.status_code == 409:
            body = response.json()
            assert body["type"].endswith("/over-commit")
            assert body["lines"] == [
                {"line_id": line.pk, "requested": "10.000", "remaining": "0.000", "over_committed": True}
            ]
    ordered = sum(OrderLine.objects.filter(agreement_line=line).values_list("quantity", flat=True))
    assert ordered == Decimal("50") and remaining(line) == Decimal("0")
    assert IdempotencyRecord.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_place_once_and_share_the_answer(company, purchaser):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections ordering at once")
    agreement = active_agreement(company=company, committed="100")
    line = agreement.lines.get()
    _, key = make_key(company, created_by=purchaser)

    results = _race(
        6,
        lambda i: ApiClient(key).post(
            url(agreement),
            {"lines": [{"line_id": line.pk, "quantity": "10"}]},
            headers={"Idempotency-Key": "one-purchase-order"},
        ),
    )

    assert [response.status_code for _, response in results] == [201] * 6
    assert len({response.content for _, response in results}) == 1
    assert sum(1 for _, response in results if response.get("Idempotent-Replayed") == "true") == 5
    assert Order.objects.filter(agreement=agreement, status=OrderStatus.PLACED).count() == 1
    assert remaining(line) == Decimal("90")
