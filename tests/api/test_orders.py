"""GET /api/v1/orders, GET /orders/{number}, POST /orders/{number}/cancel and
POST /deliveries/{id}/acceptance."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from orders import fulfilment, services
from orders.models import AgreementLine, Delivery, Invoice, Order, OrderStatus
from producers import services as producer_services
from producers.models import GroupMembership
from tests.api.conftest import ApiClient, assert_problem, make_key
from tests.factories.accounts import UserFactory
from tests.factories.orders import active_agreement, confirmed_call_off


@pytest.fixture
def client(company, purchaser):
    client = ApiClient(make_key(company, ("read", "order"), created_by=purchaser)[1])
    client.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # refusals in English
    return client


@pytest.fixture
def agreement(company):
    return active_agreement(company=company, committed="100", code="KSU-MOU-2569-010")


@pytest.fixture
def line(agreement):
    return agreement.lines.get()


@pytest.fixture
def manager(line):
    user = UserFactory(email="group.manager@example.org")
    producer_services.membership_grant(user=user, group=line.group, role=GroupMembership.Role.MANAGER)
    return user


def place(agreement, line, quantity, purchaser) -> Order:
    [order] = services.call_off_place(agreement=agreement, quantities={line.pk: Decimal(quantity)}, placed_by=purchaser)
    return order


@pytest.fixture
def delivered(agreement, line, purchaser, manager):
    """A confirmed call-off of 30 kg, 20 of them delivered and awaiting acceptance."""
    order = confirmed_call_off(agreement, {line: "30"}, placed_by=purchaser, manager=manager)
    order_line = order.lines.get()
    delivery = fulfilment.delivery_record(
        order=order, quantities={order_line.pk: Decimal("20")}, delivered_on=timezone.localdate(), actor=manager
    )
    return order, delivery


def remaining(line) -> Decimal:
    return AgreementLine.objects.with_quantities().get(pk=line.pk).remaining_quantity


# --- List -----------------------------------------------------------------------------------


def test_the_list_shows_only_the_companys_orders_newest_first(client, agreement, line, purchaser, other_company):
    older = place(agreement, line, "10", purchaser)
    newer = place(agreement, line, "12", purchaser)
    other_agreement = active_agreement(company=other_company)
    place(other_agreement, other_agreement.lines.get(), "10", None)

    response = client.get("orders")

    assert response.status_code == 200
    body = response.json()
    assert [item["number"] for item in body["items"]] == [newer.number, older.number]
    assert (body["count"], body["page"], body["next_page"]) == (2, 1, None)


def test_the_list_filters_by_status_agreement_and_placed_date(client, company, agreement, line, purchaser):
    cancelled = place(agreement, line, "10", purchaser)
    fulfilment.order_cancel_by_buyer(order=cancelled, actor=purchaser)
    placed = place(agreement, line, "10", purchaser)
    other_agreement = active_agreement(company=company, code="KSU-MOU-2569-011")
    elsewhere = place(other_agreement, other_agreement.lines.get(), "10", purchaser)
    last_month = timezone.now() - datetime.timedelta(days=31)
    Order.objects.filter(pk=elsewhere.pk).update(placed_at=last_month)
    today = timezone.localdate()

    def numbers(**params):
        response = client.get("orders", params)
        assert response.status_code == 200, response.content
        return {item["number"] for item in response.json()["items"]}

    assert numbers(status="cancelled") == {cancelled.number}
    assert numbers(status="placed") == {placed.number, elsewhere.number}
    assert numbers(agreement="KSU-MOU-2569-011") == {elsewhere.number}
    assert numbers(placed_from=today.isoformat()) == {cancelled.number, placed.number}
    assert numbers(placed_to=(today - datetime.timedelta(days=1)).isoformat()) == {elsewhere.number}
    assert numbers(status="placed", placed_from=today.isoformat(), agreement=agreement.code) == {placed.number}


def test_the_list_is_paginated_with_a_maximum_page_size(client, agreement, line, purchaser):
    for _ in range(3):
        place(agreement, line, "10", purchaser)

    first = client.get("orders", {"page_size": 2}).json()
    second = client.get("orders", {"page_size": 2, "page": 2}).json()

    assert (len(first["items"]), first["next_page"], first["count"]) == (2, 2, 3)
    assert (len(second["items"]), second["next_page"]) == (1, None)
    assert_problem(client.get("orders", {"page_size": 101}), 422, "validation")
    assert_problem(client.get("orders", {"page": 0}), 422, "validation")


@pytest.mark.parametrize("params", [{"status": "lost"}, {"placed_from": "yesterday"}, {"agreement": "KSU MOU"}])
def test_bad_filters_are_invalid_input(client, params):
    assert_problem(client.get("orders", params), 422, "validation")


def test_the_list_reads_each_relation_once_however_many_orders(
    client, agreement, line, purchaser, django_assert_max_num_queries
):
    for _ in range(5):
        place(agreement, line, "10", purchaser)

    with django_assert_max_num_queries(12):
        response = client.get("orders")

    assert len(response.json()["items"]) == 5


# --- Detail ---------------------------------------------------------------------------------


def test_an_order_shows_lines_deliveries_and_invoices_with_money_and_quantities_as_strings(client, delivered):
    order, delivery = delivered
    delivery_line = delivery.lines.get()
    decision = fulfilment.LineDecision(accepted=Decimal("18"), rejected=Decimal("2"), reason="wet")
    fulfilment.delivery_accept(delivery=delivery, decisions={delivery_line.pk: decision}, actor=None)

    response = client.get(f"orders/{order.number}")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["fulfilment_status"], body["total"]) == ("confirmed", "partial", "1650.00")
    [line] = body["lines"]
    assert (line["quantity"], line["unit_price"], line["delivered"], line["accepted"]) == (
        "30.000",
        "55.00",
        "20.000",
        "18.000",
    )
    [shown_delivery] = body["deliveries"]
    assert (shown_delivery["id"], shown_delivery["number"], shown_delivery["status"]) == (
        delivery.pk,
        delivery.number,
        "accepted",
    )
    assert shown_delivery["lines"] == [
        {
            "id": delivery_line.pk,
            "order_line_id": delivery_line.order_line_id,
            "name": delivery_line.order_line.product_name,
            "quantity": "20.000",
            "accepted": "18.000",
            "rejected": "2.000",
            "reason": "wet",
        }
    ]
    [invoice] = body["invoices"]
    assert (invoice["amount"], invoice["status"]) == ("990.00", "draft")
    assert invoice["number"] == Invoice.objects.get().number


def test_another_companys_order_answers_404(client, other_company):
    other_agreement = active_agreement(company=other_company)
    foreign = place(other_agreement, other_agreement.lines.get(), "10", None)

    assert_problem(client.get(f"orders/{foreign.number}"), 404, "not-found")
    assert_problem(client.get("orders/CO-0000-000000"), 404, "not-found")


def test_an_order_can_be_read_with_a_read_only_key_but_not_without_a_key(
    read_client, anonymous_client, agreement, line, purchaser
):
    order = place(agreement, line, "10", purchaser)

    assert read_client.get(f"orders/{order.number}").status_code == 200
    assert_problem(anonymous_client.get(f"orders/{order.number}"), 401, "unauthorized")


# --- Cancel ---------------------------------------------------------------------------------


def test_a_placed_order_can_be_cancelled_and_its_quantity_returns(client, agreement, line, purchaser):
    order = place(agreement, line, "40", purchaser)

    response = client.post(f"orders/{order.number}/cancel", {"note": "Duplicate PO"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.get(to_status="cancelled").note == "Duplicate PO"
    assert remaining(line) == Decimal("100")


def test_a_cancel_without_a_body_is_accepted(client, agreement, line, purchaser):
    order = place(agreement, line, "40", purchaser)

    response = client.post(f"orders/{order.number}/cancel", raw="")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


def test_a_confirmed_order_cannot_be_cancelled_by_the_buyer(client, agreement, line, purchaser, manager):
    order = confirmed_call_off(agreement, {line: "30"}, placed_by=purchaser, manager=manager)

    response = client.post(f"orders/{order.number}/cancel", {})

    body = assert_problem(response, 409, "conflict")
    assert "only cancel an order the group has not confirmed" in body["detail"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_cancelling_another_companys_order_answers_404(client, other_company):
    other_agreement = active_agreement(company=other_company)
    foreign = place(other_agreement, other_agreement.lines.get(), "10", None)

    assert_problem(client.post(f"orders/{foreign.number}/cancel", {}), 404, "not-found")
    foreign.refresh_from_db()
    assert foreign.status == OrderStatus.PLACED


def test_a_read_only_key_cannot_cancel(read_client, agreement, line, purchaser):
    order = place(agreement, line, "10", purchaser)

    assert_problem(read_client.post(f"orders/{order.number}/cancel", {}), 403, "forbidden")
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


# --- Acceptance -----------------------------------------------------------------------------


def test_a_delivery_is_accepted_with_rejected_goods_and_a_reason(client, delivered, purchaser):
    order, delivery = delivered
    delivery_line = delivery.lines.get()

    response = client.post(
        f"deliveries/{delivery.pk}/acceptance",
        {"lines": [{"delivery_line_id": delivery_line.pk, "accepted": "18.5", "rejected": 1.5, "reason": "Wet"}]},
    )

    assert response.status_code == 200, response.content
    assert response.json()["number"] == order.number
    delivery.refresh_from_db()
    delivery_line.refresh_from_db()
    assert (delivery.status, delivery.accepted_by) == (Delivery.Status.ACCEPTED, purchaser)
    assert (delivery_line.accepted_quantity, delivery_line.rejected_quantity) == (Decimal("18.5"), Decimal("1.5"))
    assert Invoice.objects.get(order=order).amount == Decimal("1017.50")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"accepted": "15", "rejected": "0"}, "must add up to the 20"),
        ({"accepted": "15", "rejected": "5"}, "say why goods are rejected"),
    ],
)
def test_an_acceptance_that_does_not_add_up_is_invalid(client, delivered, answer, message):
    _, delivery = delivered

    response = client.post(
        f"deliveries/{delivery.pk}/acceptance", {"lines": [{"delivery_line_id": delivery.lines.get().pk, **answer}]}
    )

    body = assert_problem(response, 409, "refused")
    assert message in body["detail"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.AWAITING


def test_a_negative_quantity_in_an_acceptance_does_not_match_the_schema(client, delivered):
    _, delivery = delivered
    answer = {"delivery_line_id": delivery.lines.get().pk, "accepted": "-1", "rejected": "21", "reason": "x"}

    body = assert_problem(client.post(f"deliveries/{delivery.pk}/acceptance", {"lines": [answer]}), 422, "validation")

    assert body["errors"][0]["loc"][-1] == "accepted"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.AWAITING


def test_an_acceptance_must_answer_every_line_of_that_delivery(client, delivered):
    _, delivery = delivered

    response = client.post(
        f"deliveries/{delivery.pk}/acceptance", {"lines": [{"delivery_line_id": 987654, "accepted": "20"}]}
    )

    body = assert_problem(response, 409, "refused")
    assert "Answer every line" in body["detail"]


def test_a_delivery_line_answered_twice_is_invalid(client, delivered):
    _, delivery = delivered
    answer = {"delivery_line_id": delivery.lines.get().pk, "accepted": "20"}

    assert_problem(client.post(f"deliveries/{delivery.pk}/acceptance", {"lines": [answer, answer]}), 409, "refused")


def test_a_delivery_already_answered_is_a_conflict(client, delivered):
    _, delivery = delivered
    body = {"lines": [{"delivery_line_id": delivery.lines.get().pk, "accepted": "20"}]}
    assert client.post(f"deliveries/{delivery.pk}/acceptance", body).status_code == 200

    assert_problem(client.post(f"deliveries/{delivery.pk}/acceptance", body), 409, "conflict")


def test_another_companys_delivery_answers_404(other_client, delivered):
    _, delivery = delivered
    body = {"lines": [{"delivery_line_id": delivery.lines.get().pk, "accepted": "20"}]}

    assert_problem(other_client.post(f"deliveries/{delivery.pk}/acceptance", body), 404, "not-found")
    assert_problem(other_client.post("deliveries/999999/acceptance", body), 404, "not-found")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.AWAITING


def test_a_read_only_key_cannot_accept(read_client, delivered):
    _, delivery = delivered
    body = {"lines": [{"delivery_line_id": delivery.lines.get().pk, "accepted": "20"}]}

    assert_problem(read_client.post(f"deliveries/{delivery.pk}/acceptance", body), 403, "forbidden")
