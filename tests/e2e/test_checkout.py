"""A purchaser buys from two producer groups in one checkout, pays by PromptPay on the offline
payment page, and the goods are delivered and accepted."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cms.models import ProductPage
from orders.models import Checkout, Order
from orders.stripe_fake import FAKE
from producers.models import GroupMembership
from tests.e2e.helpers import give_totp, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def in_stock_product(**group_filter) -> ProductPage:
    products = ProductPage.objects.live().filter(available_quantity__gte=20).order_by("pk")
    for product in products:
        group = product.get_parent().specific.group
        if all(getattr(group, key) == value for key, value in group_filter.items()):
            return product
    raise AssertionError(f"no demo product in stock for {group_filter}")


def test_a_purchaser_pays_two_groups_by_promptpay_and_accepts_a_delivery(live_server, page, browser):
    FAKE.reset()
    call_command("seed_demo", force=True)
    manager_group = GroupMembership.objects.get(user__email="manager@demo.example", role="manager").group
    ours = in_stock_product(pk=manager_group.pk)
    theirs = next(
        product
        for product in ProductPage.objects.live().filter(available_quantity__gte=20).order_by("pk")
        if product.get_parent().specific.group.pk != manager_group.pk
    )

    sign_in(page, live_server.url, "purchaser@demo.example")
    for product in (ours, theirs):
        page.goto(live_server.url + product.url)
        page.locator("#add-to-cart-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/cart/"))
    page.goto(live_server.url + "/cart/")
    page.locator("#checkout-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/payments/demo/checkout/cs_"))
    page.locator("a[href='?method=promptpay']").click()
    page.locator("button[value=promptpay]").click()

    expect(page).to_have_url(re.compile(r"/cart/checkouts/CK-"))
    expect(page.locator("[data-checkout-status]")).to_have_attribute("data-checkout-status", "paid")
    checkout = Checkout.objects.order_by("-pk").first()
    orders = list(checkout.orders.order_by("pk"))
    assert len(orders) == 2
    assert {order.group_id for order in orders} == {manager_group.pk, theirs.get_parent().specific.group.pk}
    assert all(order.payment_status == "paid" and order.status == "placed" for order in orders)
    assert checkout.payment_method == "promptpay"

    order = Order.objects.get(checkout=checkout, group=manager_group)
    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    give_totp("manager@demo.example")
    sign_in(manager, live_server.url, "manager@demo.example", totp=True)
    manager.goto(f"{live_server.url}/admin/offtake/orders/{order.pk}/")
    manager.locator("#confirm-order-form button").click()
    expect(manager.locator("[data-order-status]")).to_have_attribute("data-order-status", "confirmed")
    manager.locator("#delivery-form button[type=submit]").click()
    # Step 2: who supplied it (pre-filled), saved; back on the order, delivered in full.
    expect(manager.locator("[data-step='2']")).to_be_visible()
    manager.locator("button[name=action][value=save]").click()
    expect(manager.locator("[data-fulfilment-status]")).to_have_attribute("data-fulfilment-status", "delivered")

    page.goto(f"{live_server.url}/buyer/orders/{order.pk}/")
    delivery = order.deliveries.get()
    page.locator(f"#delivery-{delivery.pk} form.acceptance-form button[type=submit]").click()
    expect(page.locator(f"#delivery-{delivery.pk}")).to_have_attribute("data-delivery-status", "accepted")
    order.refresh_from_db()
    assert order.status == "completed"
