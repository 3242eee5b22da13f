# ruff: noqa: F811 (the ledger fixtures are imported from test_ledger_services and used as arguments)
"""The admin home as a to-do list (income.todo, income.todo_views) and the flow from order to
payout it drives: confirm → deliver → who supplied it (pre-filled, shares in baht) → accepted and
paid → payout and its slip."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from income import todo
from income.ledger.models import Contribution, Payout
from marketplace.models import AuditEvent
from orders import services as order_services
from orders.models import OrderStatus
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, assign
from tests.factories.orders import make_product, paid_marketplace_order
from tests.helpers import give_totp
from tests.income.test_ledger_services import (  # noqa: F401
    _english_and_fake_stripe,
    accept,
    company,
    contribute,
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


def counts(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'data-todo-key="([a-z_]+)" data-count="(\d+)"', html)}


def home(client) -> str:
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_managers_home_counts_what_waits_and_each_count_opens_its_list(client, company, rice, manager, households):
    placed = paid_marketplace_order(company=company, lines=[(rice, "5")])
    confirmed = order_services.order_confirm(
        order=paid_marketplace_order(company=company, lines=[(rice, "4")]), actor=manager
    )
    delivery = market_delivery(company, rice, manager)  # delivered, nobody said who supplied it
    type(rice).objects.filter(pk=rice.pk).update(available_quantity=Decimal("0"))  # as stock.take leaves it

    client.force_login(manager)
    html = home(client)
    assert counts(html) == {
        "confirm": 1,
        "deliver": 1,
        "suppliers": 1,
        "acceptance": 1,
        "payouts": 0,
        "stock": 1,
        "approval": 0,
    }
    # Wagtail's "9 Pages, 11 Images" summary and its reports mean nothing here.
    assert "summary-item" not in html and 'href="/admin/reports/' not in html
    assert "guide.wagtail.org" not in html  # Wagtail's English editor guide: for the site's operators

    pages = {
        "confirm": placed.number,
        "deliver": confirmed.number,
        "suppliers": delivery.number,
        "acceptance": delivery.number,
        "stock": f'data-product="{rice.pk}"',
    }
    for key, marker in pages.items():
        page = client.get(todo.list_url(key, rice.get_parent().specific.group)).content.decode()
        assert marker in page, key
    assert "data-todo-empty" in client.get(todo.list_url("payouts")).content.decode()


def test_recording_a_delivery_goes_on_to_who_supplied_it_pre_filled_with_shares_in_baht(
    client, company, rice, group, manager, households
):
    order = order_services.order_confirm(
        order=paid_marketplace_order(company=company, lines=[(rice, "10")]), actor=manager
    )
    client.force_login(manager)
    line = order.lines.get()
    response = client.post(
        reverse("orders_admin:order_deliver", args=[order.pk]),
        {"delivered_on": datetime.date.today().isoformat(), f"line_{line.pk}": "10"},
    )
    delivery = order.deliveries.get()
    assert response["Location"] == reverse("ledger:delivery_contributions", args=[delivery.pk])

    page = client.get(response["Location"]).content.decode()
    assert 'data-step="2"' in page and 'data-proposed="equal"' in page and "data-todo-badge" in page
    # 10 kg shared by three households (3.334 / 3.333 / 3.333) of ฿600 less the group's 5%: ฿570,
    # split as the settlement will split it (to the satang, summing exactly).
    boxes = re.findall(r'name="q_\d+_\d+"[^>]*value="([^"]*)"', page)
    assert sorted(boxes) == ["3.333", "3.333", "3.334"]
    shares = re.findall(r"data-share>([^<]*)<", page)
    assert sorted(shares) == ["฿189.98", "฿189.98", "฿190.04"]
    assert Contribution.objects.count() == 0  # proposed, not saved

    # The manager corrects the split; the shares are shown before anything is saved.
    delivery_line = delivery.lines.get()
    data = {f"q_{delivery_line.pk}_{h.pk}": q for h, q in zip(households, ["5", "5", ""], strict=True)}
    preview = client.post(response["Location"], {**data, "action": "preview"}).content.decode()
    assert sorted(re.findall(r"data-share>([^<]*)<", preview)) == ["", "฿285.00", "฿285.00"]
    assert Contribution.objects.count() == 0

    saved = client.post(response["Location"], {**data, "action": "save"})
    assert saved["Location"] == reverse("orders_admin:order_detail", args=[order.pk])
    assert Contribution.objects.count() == 2
    assert "data-todo-badge" not in client.get(saved["Location"]).content.decode()
    assert counts(home(client))["suppliers"] == 0


def test_the_order_page_shows_a_to_do_badge_until_contributions_exist(client, company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    client.force_login(manager)
    url = reverse("orders_admin:order_detail", args=[delivery.order_id])
    assert "data-todo-badge" in client.get(url).content.decode()
    contribute(delivery, zip(households, ["4", "3", "3"], strict=True), manager)
    assert "data-todo-badge" not in client.get(url).content.decode()


def test_the_treasurer_pays_out_what_is_owed_and_gets_a_slip(client, company, rice, manager, treasurer, households):
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, zip(households, ["4", "3", "3"], strict=True), manager)
    accept(delivery)  # paid at checkout: now settled into the households' income
    client.force_login(treasurer)
    assert counts(home(client)) == {"payouts": 3, "acceptance": 0, "suppliers": 0}

    page = client.get(todo.list_url("payouts")).content.decode()
    first = households[0]  # 4 kg of 10: 0.4 × ฿570
    assert re.search(rf'data-household="{first.code}".*?data-balance><strong>฿228.00<', page, re.S)
    assert AuditEvent.objects.filter(action="todo.payouts.viewed").exists()

    payouts_url = reverse("ledger:household_payouts", args=[first.pk])
    form = client.get(payouts_url, {"group": rice.get_parent().specific.group.pk}).content.decode()
    assert 'value="228"' in form  # the whole balance is offered
    response = client.post(
        payouts_url,
        {
            "group": rice.get_parent().specific.group.pk,
            "amount": "228.00",
            "method": "promptpay",
            "reference": "PP-20261204-001",
            "paid_on": datetime.date.today().isoformat(),
        },
    )
    payout = Payout.objects.get()
    assert response["Location"] == reverse("ledger:payout_slip", args=[payout.pk])
    slip = client.get(response["Location"]).content.decode()
    assert "฿228.00" in slip and "PP-20261204-001" in slip and "data-amount-words" in slip
    assert first.head_name in slip
    assert counts(home(client))["payouts"] == 2


def test_a_manager_sees_only_their_groups_lists(client, company, rice, manager, households):
    paid_marketplace_order(company=company, lines=[(rice, "5")])
    other_group = GroupFactory(code="OTHER")
    stranger = UserFactory(email="other.manager@example.org")
    producer_services.membership_grant(user=stranger, group=other_group, role=GroupMembership.Role.MANAGER)
    client.force_login(stranger)
    assert counts(home(client))["confirm"] == 0
    assert "data-todo-empty" in client.get(todo.list_url("confirm")).content.decode()
    mine = rice.get_parent().specific.group
    assert client.get(todo.list_url("confirm", mine)).status_code == 404
    assert client.get(todo.list_url("confirm") + "?group=abc").status_code == 404
    assert client.get(reverse("todo:list", args=["overdue"])).status_code == 404  # not a group list
    # People who work for no group get no lists at all.
    client.force_login(UserFactory())
    assert client.get(todo.list_url("confirm")).status_code in (302, 403, 404)


def test_the_coordinator_home_shows_their_areas_work(client, company, rice, group, manager, households):
    market_delivery(company, rice, manager)
    coordinator = UserFactory(email="coordinator@example.org")
    assign(coordinator, province_code=group.province_code)
    give_totp(coordinator)
    client.force_login(coordinator)
    found = counts(home(client))
    assert found["area_suppliers"] == 1
    assert set(found) == {"verify_groups", "overdue", "area_suppliers", "no_consent"}
    assert "data-delivery" in client.get(todo.list_url("area_suppliers")).content.decode()


def test_a_declined_order_leaves_the_list(client, company, rice, manager):
    order = paid_marketplace_order(company=company, lines=[(rice, "5")])
    group_ids = [order.group_id]
    assert list(todo.orders_to_confirm(group_ids)) == [order]
    order = order_services.order_decline(order=order, actor=manager, reason="หมดสต็อก")
    assert order.status == OrderStatus.DECLINED
    assert list(todo.orders_to_confirm(group_ids)) == []


def test_a_product_with_stock_above_its_minimum_is_not_low(rice, manager):
    group_ids = [rice.get_parent().specific.group.pk]
    type(rice).objects.filter(pk=rice.pk).update(available_quantity=Decimal("100"))
    assert list(todo.products_low_on_stock(group_ids)) == []
    make_product(rice.get_parent().specific.group, title="ข้าวเหนียว", available_quantity=Decimal("0"))
    assert [p.title for p in todo.products_low_on_stock(group_ids)] == ["ข้าวเหนียว"]
