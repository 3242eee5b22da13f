import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cms.models import ProductPage
from tests.e2e.helpers import give_totp, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def press(page, selector: str) -> None:
    """Click a submit button that Wagtail keeps inside a closed dropdown, as the browser would."""
    page.locator(selector).first.evaluate("button => button.click()")


def test_a_manager_edits_a_product_and_the_coordinator_approves_it(live_server, page, browser):
    call_command("seed_demo", force=True)
    product = ProductPage.objects.get(sku="PW-001")
    coordinator = give_totp("coordinator@demo.example")
    give_totp("manager@demo.example")

    # The group's manager changes the price and submits it for approval: it is not live yet.
    sign_in(page, live_server.url, "manager@demo.example", totp=True)
    page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    page.locator("input[name=price]").fill("3600.00")
    press(page, "button[name=action-submit]")
    expect(page).to_have_url(re.compile(r"/admin/"))
    product.refresh_from_db()
    assert product.price == Decimal("3500.00")
    assert product.has_unpublished_changes

    # The coordinator of the area approves it from the page editor; the new price goes live.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    coordinator_page = context.new_page()
    sign_in(coordinator_page, live_server.url, coordinator.email, totp=True)
    coordinator_page.goto(live_server.url + "/admin/")
    expect(coordinator_page.locator("main")).to_contain_text("ผ้าไหมแพรวาย้อมคราม")
    coordinator_page.goto(f"{live_server.url}/admin/pages/{product.pk}/edit/")
    press(coordinator_page, "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])")
    coordinator_page.wait_for_load_state("networkidle")
    for _attempt in range(50):  # the approval is a form post; wait for the server to publish
        product.refresh_from_db()
        if product.price == Decimal("3600.00"):
            break
        coordinator_page.wait_for_timeout(200)
    assert product.price == Decimal("3600.00")
    assert not product.has_unpublished_changes
    context.close()

    page.goto(live_server.url + product.url)
    expect(page.locator("main")).to_contain_text("฿3,600.00")
