import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import AgreementLine, Order, PurchaseAgreement
from tests.e2e.helpers import give_totp, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def remaining(page, line_pk: int) -> Decimal:
    text = page.locator(f"li[data-line='{line_pk}'] [data-figure='remaining']").inner_text()
    return Decimal(re.sub(r"[^0-9.]", "", text.replace(",", "")))


def test_the_purchaser_places_a_call_off_and_the_manager_confirms_it(live_server, page, browser):
    call_command("seed_demo", force=True)
    agreement = PurchaseAgreement.objects.get(code="KSU-MOU-2569-001")
    line = AgreementLine.objects.filter(agreement=agreement, product__sku__startswith="PW-").first()

    sign_in(page, live_server.url, "purchaser@demo.example")
    page.goto(f"{live_server.url}/buyer/agreements/{agreement.pk}/")
    before = remaining(page, line.pk)

    page.goto(f"{live_server.url}/buyer/agreements/{agreement.pk}/call-off/")
    for field in page.locator("#call-off-form input[name^=line_]").all():
        field.fill("0")
    page.locator(f"input[name=line_{line.pk}]").fill("2")
    page.locator("#place-call-off-button").click()
    expect(page).to_have_url(re.compile(rf"/buyer/agreements/{agreement.pk}/$"))
    assert remaining(page, line.pk) == before - 2

    order = Order.objects.filter(lines__agreement_line=line).order_by("-pk").first()
    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    give_totp("manager@demo.example")
    sign_in(manager, live_server.url, "manager@demo.example", totp=True)
    manager.goto(f"{live_server.url}/admin/offtake/orders/{order.pk}/")
    manager.locator("#confirm-order-form button").click()
    manager.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.status == "confirmed"

    page.goto(f"{live_server.url}/buyer/orders/{order.pk}/")
    expect(page.locator("[data-order-status]")).to_have_attribute("data-order-status", "confirmed")
