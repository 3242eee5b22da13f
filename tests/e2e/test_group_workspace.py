"""The producer group's whole job on a 390 × 844 phone, in Thai, through the real pages: the
manager signs in with a code, works down the to-do list (confirm, deliver, who supplied it), lists a
new product with a photo that the coordinator approves; the treasurer pays a household and prints
the slip. No page scrolls sideways. Set E2E_SCREENSHOT_DIR to keep a screenshot of each page."""

import io
import os
import re

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from cms.models import ProductPage
from income.ledger.models import Payout
from orders.models import Delivery, Order
from tests.e2e.helpers import give_totp, no_sideways_scroll, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="th-TH", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def look(page, name: str) -> None:
    """Every page: fits the phone; kept as a screenshot when asked."""
    page.wait_for_load_state("networkidle")
    no_sideways_scroll(page)
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}-390.png"), full_page=True)


def count(page, key: str) -> int:
    return int(page.locator(f"[data-todo-key='{key}']").get_attribute("data-count"))


def test_the_manager_confirms_delivers_and_says_who_supplied_it_on_a_phone(live_server, phone):
    call_command("seed_demo", force=True)
    give_totp("manager@demo.example")
    sign_in(phone, live_server.url, "manager@demo.example", totp=True)

    phone.goto(live_server.url + "/admin/")
    expect(phone.locator("#todo-panel")).to_contain_text("คำสั่งซื้อรอยืนยัน")
    look(phone, "manager-home")
    to_confirm, without_suppliers = count(phone, "confirm"), count(phone, "suppliers")
    assert to_confirm >= 1

    phone.locator("[data-todo-key='confirm'] a").click()
    look(phone, "manager-orders-to-confirm")
    number = phone.locator(".work-card").first.get_attribute("data-order")
    phone.locator(".work-card .button").first.click()
    look(phone, "manager-order")
    phone.locator("#confirm-order-form button[type=submit]").click()
    expect(phone.locator("[data-order-status]")).to_have_attribute("data-order-status", "confirmed")

    # Record the delivery (the form offers what is still to deliver) …
    look(phone, "manager-order-confirmed")
    phone.locator("#delivery-form button[type=submit]").click()
    # … and step 2 follows: who supplied it, pre-filled, with each household's share in baht.
    expect(phone.locator("[data-step='2']")).to_be_visible()
    expect(phone.locator("[data-todo-badge]")).to_be_visible()
    expect(phone.locator("[data-share]").first).to_contain_text("฿")
    look(phone, "manager-who-supplied")
    phone.locator("button[name=action][value=save]").click()
    expect(phone).to_have_url(re.compile(r"/admin/offtake/orders/\d+/$"))
    order = Order.objects.get(number=number)
    delivery = Delivery.objects.get(order=order)
    expect(phone.locator(f"[data-delivery='{delivery.number}'] [data-todo-badge]")).to_have_count(0)

    phone.goto(live_server.url + "/admin/")
    assert count(phone, "confirm") == to_confirm - 1
    assert count(phone, "suppliers") == without_suppliers  # the new delivery left no to-do behind


def test_the_treasurer_pays_a_household_and_prints_the_slip(live_server, phone):
    call_command("seed_demo", force=True)
    give_totp("treasurer@demo.example")
    sign_in(phone, live_server.url, "treasurer@demo.example", totp=True)

    phone.goto(live_server.url + "/admin/")
    owed = count(phone, "payouts")
    assert owed >= 1
    look(phone, "treasurer-home")
    phone.locator("[data-todo-key='payouts'] a").click()
    look(phone, "treasurer-households-to-pay")
    phone.locator(".work-card .button").first.click()
    look(phone, "treasurer-payout-form")
    phone.locator("input[name=method][value=promptpay]").check()
    phone.locator("input[name=reference]").fill("PP-2569-0001")
    phone.locator("#payout-form button[type=submit]").click()

    expect(phone.locator("[data-document-title]")).to_be_visible()
    payout = Payout.objects.get(reference="PP-2569-0001")
    expect(phone.locator("[data-amount]")).to_contain_text(f"{payout.amount:,.2f}")
    expect(phone.locator("[data-print]")).to_be_visible()
    look(phone, "treasurer-slip")
    phone.goto(live_server.url + "/admin/")
    assert count(phone, "payouts") == owed - 1  # paid in full: off the list


def test_the_manager_lists_a_product_with_a_photo_and_the_coordinator_approves_it(live_server, phone, browser):
    call_command("seed_demo", force=True)
    give_totp("manager@demo.example")
    coordinator = give_totp("coordinator@demo.example")
    sign_in(phone, live_server.url, "manager@demo.example", totp=True)

    phone.goto(live_server.url + "/admin/")
    waiting = count(phone, "approval")
    phone.locator("#todo-panel a[href$='/admin/catalogue/products/new/']").first.click()
    look(phone, "manager-add-product")
    photo = io.BytesIO()
    Image.new("RGB", (3024, 4032), "#7b2d8e").save(photo, "JPEG")
    phone.locator("input[name=title]").fill("ผ้าไหมลายดอกแก้วจากมือถือ")
    phone.locator("select[name=category]").select_option(index=1)
    phone.locator("input[name=photo]").set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    phone.locator("input[name=price]").fill("1250")
    phone.locator("select[name=unit]").select_option("piece")
    phone.locator("input[name=available_quantity]").fill("8")
    phone.locator("textarea[name=description]").fill("ทอมือ ย้อมสีธรรมชาติ")
    phone.locator("#quick-product-form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/admin/$"))
    assert count(phone, "approval") == waiting + 1
    product = ProductPage.objects.get(title="ผ้าไหมลายดอกแก้วจากมือถือ")
    assert not product.live

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    desk = context.new_page()
    sign_in(desk, live_server.url, coordinator.email, totp=True)
    desk.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    desk.locator("button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])").first.evaluate(
        "button => button.click()"
    )
    desk.wait_for_load_state("networkidle")
    for _attempt in range(50):  # the approval is a form post; wait for the server to publish
        product.refresh_from_db()
        if product.live:
            break
        desk.wait_for_timeout(200)
    assert product.live
    context.close()


def workspace_pages() -> dict[str, list[str]]:
    """Every admin page the demo manager and treasurer use, with the demo's own records."""
    from cms.models import ProducerGroupPage
    from income import todo
    from producers.models import GroupMembership, Household

    group = GroupMembership.objects.get(user__email="manager@demo.example").group
    group_page = ProducerGroupPage.objects.get(group=group)
    product = ProductPage.objects.live().child_of(group_page).order_by("pk").first()
    order = todo.orders_to_confirm([group.pk]).first()
    delivery = todo.deliveries_without_suppliers([group.pk]).first()
    household = Household.objects.filter(enrolments__group=group).order_by("pk").first()
    payout = Payout.objects.filter(group=group).order_by("pk").first()
    household_pages = [
        f"/admin/producers/households/{household.pk}/",
        f"/admin/producers/households/{household.pk}/payouts/",
        f"/admin/producers/payouts/{payout.pk}/slip/",
    ]
    manager = [
        "/admin/",
        *[todo.list_url(key) for key in todo.MANAGER_KEYS],
        "/admin/incoming_orders/",
        f"/admin/offtake/orders/{order.pk}/",
        f"/admin/offtake/orders/{delivery.order_id}/",
        f"/admin/producers/deliveries/{delivery.pk}/contributions/",
        "/admin/households/",
        *household_pages,
        f"/admin/pages/{group_page.pk}/",
        f"/admin/pages/{product.pk}/edit/",
        f"/admin/offtake/products/{product.pk}/stock/",
        "/admin/images/",
        "/admin/catalogue/products/",
        "/admin/catalogue/products/new/",
        f"/admin/catalogue/products/{product.pk}/",
        "/admin/account/",
    ]
    treasurer = ["/admin/", *[todo.list_url(key) for key in todo.TREASURER_KEYS], *household_pages]
    return {"manager@demo.example": manager, "treasurer@demo.example": treasurer}


@pytest.mark.parametrize("width", [360, 390])
def test_no_page_of_the_group_workspace_scrolls_sideways_on_a_phone(live_server, browser, width):
    call_command("seed_demo", force=True)
    for email, paths in workspace_pages().items():
        give_totp(email)
        context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server.url, email, totp=True)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
            no_sideways_scroll(page)
        context.close()
