import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from marketplace.demo import DEMO_PASSWORD

# serialized_rollback: the home page comes from a data migration and must survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_home_in_thai_switch_to_english_and_sign_in_as_the_demo_purchaser(live_server, page):
    call_command("seed_demo", force=True)

    # An English-speaking phone still gets Thai first.
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.get_by_role("heading", level=1)).to_have_text("ตลาดชุมชนพ้นจน")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community Offtake Marketplace")

    # On a phone the menu is folded behind "Menu": open it, then sign in.
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill("purchaser@demo.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()

    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_pages_run_no_inline_script_under_the_content_security_policy(live_server, page):
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations == []
