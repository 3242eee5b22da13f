"""The buyer portal and the public site as procurement users and phone visitors meet them (#17):
the purchaser's home says what to do, a delivery is accepted and its invoice paid on the offline
payment page; public and portal pages fit a phone and pass axe-core with no serious or critical
violation; a purchaser meets no API-key menu and a Thai 403 page."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from buyers.models import CompanyMembership, DeliveryAddress
from cms.models import ProductPage
from orders.cart import cart_add
from orders.models import Cart, Checkout, Delivery, Invoice, PurchaseAgreement
from tests.e2e.helpers import no_sideways_scroll, screenshot, sign_in
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.households import assign
from tests.helpers import current_totp

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Axe()


def serious_violations(page) -> list:
    results = AXE.run(page)
    return [
        (violation["id"], [node["target"] for node in violation["nodes"][:3]])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_purchaser_accepts_a_delivery_and_pays_its_invoice_from_the_home_page(live_server, browser, width):
    call_command("seed_demo", force=True)
    context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "purchaser@demo.example")

    page.goto(live_server.url + "/buyer/")
    expect(page.locator("#portal-todo")).to_contain_text("การส่งมอบที่รอตรวจรับ")
    assert page.locator("[data-todo-key='accept']").get_attribute("data-count") == "1"
    no_sideways_scroll(page)
    page.locator("[data-todo-key='accept'] a").click()
    page.locator(".card .button").first.click()  # "Check and accept"
    delivery = Delivery.objects.get(status=Delivery.Status.AWAITING)
    page.locator(f"#delivery-{delivery.pk} form.acceptance-form button[type=submit]").click()
    expect(page.locator(f"#delivery-{delivery.pk}")).to_have_attribute("data-delivery-status", "accepted")

    # Accepted: its invoice is to pay; the home page counts it and the invoices page pays it.
    invoice = Invoice.objects.get(delivery=delivery)
    page.goto(live_server.url + "/buyer/")
    assert page.locator("[data-todo-key='accept']").get_attribute("data-count") == "0"
    assert page.locator("[data-todo-key='invoices']").get_attribute("data-count") == "1"
    page.locator("[data-todo-key='invoices'] a").click()
    no_sideways_scroll(page)
    page.locator(f"[data-invoice='{invoice.number}'] a", has_text="ชำระเงินตอนนี้").click()
    expect(page).to_have_url(re.compile(r"/payments/demo/invoice/"))
    page.locator("button[value=pay]").click()
    for _attempt in range(50):
        invoice.refresh_from_db()
        if invoice.status == Invoice.Status.PAID:
            break
        page.wait_for_timeout(200)
    assert invoice.status == Invoice.Status.PAID
    page.goto(live_server.url + "/buyer/invoices/?state=paid")
    expect(page.locator(f"[data-invoice='{invoice.number}']")).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_a_purchaser_meets_no_api_key_menu_and_a_thai_403(live_server, browser, width):
    call_command("seed_demo", force=True)
    context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844})
    page = context.new_page()
    sign_in(page, live_server.url, "purchaser@demo.example")
    page.goto(live_server.url + "/buyer/")
    expect(page.locator("a[href='/buyer/api-keys/']")).to_have_count(0)
    response = page.goto(live_server.url + "/buyer/api-keys/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("คุณไม่สามารถเปิดหน้านี้ได้")
    expect(page.locator("main a[href='/']")).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_public_and_portal_pages_fit_and_pass_axe(live_server, browser, width):
    call_command("seed_demo", force=True)
    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    product = ProductPage.objects.live().filter(available_quantity__gte=20).order_by("pk").first()
    cart, _created = Cart.objects.get_or_create(user=purchaser)
    cart_add(cart=cart, product=product, quantity=product.min_order_quantity)
    company = CompanyMembership.objects.get(user=purchaser).company
    agreement = PurchaseAgreement.objects.filter(company=company).order_by("pk").first()

    # Axe needs to inject its script: the context lets it past the page's CSP (the pages' own
    # policy is tested elsewhere).
    context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    pages = ["/", "/products/", product.url, "/producers/", "/search/?q=ผ้าไหม"]
    for path in pages:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        if width < 400:
            no_sideways_scroll(page)
            # The header menu is folded away on a phone: the page starts near the top.
            expect(page.locator("#site-nav")).to_be_hidden()
        assert serious_violations(page) == [], path

    sign_in(page, live_server.url, purchaser.email)
    portal = [
        "/cart/",
        "/buyer/",
        "/buyer/orders/",
        "/buyer/invoices/",
        f"/buyer/agreements/{agreement.pk}/",
        f"/buyer/agreements/{agreement.pk}/call-off/",
        "/buyer/companies/",
        f"/buyer/companies/{company.pk}/addresses/",
    ]
    for path in portal:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        if width < 400:
            no_sideways_scroll(page)
        assert serious_violations(page) == [], path
        screenshot(page, "portal" + path.rstrip("/").replace("/", "-"))
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_checkout_with_a_po_number_and_a_delivery_address(live_server, browser, width):
    """The cart asks for the PO number, offers the company's addresses (the default chosen) and a
    required-by date; the payment page and the paid checkout fit the phone and pass axe; the order
    carries what was typed."""
    call_command("seed_demo", force=True)
    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    product = ProductPage.objects.live().filter(available_quantity__gte=20).order_by("pk").first()
    cart, _created = Cart.objects.get_or_create(user=purchaser)
    cart_add(cart=cart, product=product, quantity=product.min_order_quantity)
    shop = DeliveryAddress.objects.get(label="ร้านสาขาขอนแก่น")
    context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, purchaser.email)

    page.goto(live_server.url + "/cart/")
    expect(page.locator("#id_delivery_address")).to_have_value(
        str(DeliveryAddress.objects.get(label="คลังสินค้าบางนา").pk)
    )
    page.get_by_label("เลขที่ใบสั่งซื้อ (PO) ของคุณ").fill("PO-E2E-2569")
    page.get_by_label("ส่งไปที่").select_option(str(shop.pk))
    page.get_by_label("ต้องการภายในวันที่").fill("2099-01-31")
    if width < 400:
        no_sideways_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "cart-checkout-form")
    page.locator("#checkout-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/payments/demo/checkout/cs_"))
    if width < 400:
        no_sideways_scroll(page)
    assert serious_violations(page) == [], "payment page"
    page.locator("button[value=card]").click()
    expect(page).to_have_url(re.compile(r"/cart/checkouts/CK-"))
    expect(page.locator("[data-checkout-status]")).to_have_attribute("data-checkout-status", "paid")
    if width < 400:
        no_sideways_scroll(page)
    assert serious_violations(page) == [], "checkout page"

    order = Checkout.objects.order_by("-pk").first().orders.get()
    assert order.po_number == "PO-E2E-2569" and order.delivery_address.startswith("ร้านสาขาขอนแก่น")
    assert order.required_by.isoformat() == "2099-01-31"
    page.goto(f"{live_server.url}/buyer/orders/{order.pk}/")
    expect(page.locator("[data-po-number]")).to_have_text("PO-E2E-2569")
    screenshot(page, "order-with-po")
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_a_coordinator_first_sign_in_reaches_the_admin_in_one_pass(live_server, browser, width):
    """Sign in → set up the authenticator app → recovery codes → Continue to the admin, with no
    second password prompt on the way."""
    coordinator = UserFactory(email="new.coordinator@example.org")
    assign(coordinator, province_code="46")
    context = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    page.goto(live_server.url + "/admin/")
    page.locator("input[name=login]").fill(coordinator.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    if width < 400:
        no_sideways_scroll(page)
    screenshot(page, "recovery-codes")
    page.locator("#mfa-continue").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#todo-panel, .w-dashboard, main").first).to_be_visible()
    assert not [url for url in visited if "reauthenticate" in url], visited
    context.close()
