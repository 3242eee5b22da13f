"""#18 on a phone: the area research manager verifies a household and refers its need; the agency
accepts and resolves it; the area's figures move. Every page fits 390 px."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from producers.models import Household
from referrals.models import Referral
from tests.e2e.helpers import give_totp, no_sideways_scroll, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def shot(page, name: str) -> None:
    no_sideways_scroll(page)
    screenshot(page, name)


def figure(page, name: str) -> str:
    return page.locator(f"[data-figure='{name}']").inner_text()


@pytest.mark.parametrize("width", [390, 1366])
def test_verify_refer_accept_resolve_and_the_figures_move(live_server, browser, width):
    call_command("seed_demo", force=True)
    give_totp("fieldmanager@demo.example")
    give_totp("agency@demo.example")
    field = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844}).new_page()
    field.set_default_timeout(15_000)
    sign_in(field, live_server.url, "fieldmanager@demo.example", totp=True)

    field.goto(live_server.url + "/field/analysis/?province=46")
    before = {name: figure(field, name) for name in ("verified-percent", "referred-percent", "resolved-percent")}
    shot(field, "field-analysis-before")

    field.goto(live_server.url + "/field/")
    shot(field, "field-queue")
    expect(field.locator("#queue [data-verification='unverified']").first).to_be_visible()
    # A household nobody has assessed yet, so its need adds to what is referred.
    household = (
        Household.objects.filter(province_code="46", verification_status="unverified", needs_assessments__isnull=True)
        .order_by("code")
        .first()
    )
    field.goto(f"{live_server.url}/field/households/{household.pk}/")
    expect(field.locator("h1")).to_contain_text(household.code)
    shot(field, "field-household")

    field.locator("#verify-form input[value='verified']").check()
    field.locator("#verify-form select[name='method']").select_option("home_visit")
    field.locator("#verify-form button[type=submit]").click()
    expect(field).to_have_url(re.compile(r"/field/$"))
    household.refresh_from_db()
    assert household.verification_status == "verified"

    field.goto(f"{live_server.url}/field/households/{household.pk}/")
    if field.locator("[data-referral-consent='no']").count():
        field.locator("#consent-form button").click()
    expect(field.locator("[data-referral-consent='yes']")).to_be_visible()
    field.locator("#needs-form input[name='need_health']").check()
    field.locator("#needs-form select[name='severity_health']").select_option("3")
    field.locator("#needs-form input[name='text_health']").fill("ต้องการรถเข็น")
    field.locator("#needs-form button[type=submit]").click()
    need = field.locator("[data-need-dimension='health']")
    need.locator("select[name$='agency']").select_option(index=1)
    need.locator("button[type=submit]").click()
    expect(need.locator("[data-referral-state='referred']")).to_be_visible()
    referral = Referral.objects.filter(household=household).order_by("-pk").first()  # the one just made
    shot(field, "field-household-referred")

    agency = browser.new_context(locale="th-TH", viewport={"width": width, "height": 844}).new_page()
    agency.set_default_timeout(15_000)
    sign_in(agency, live_server.url, "agency@demo.example", totp=True)
    agency.goto(live_server.url + "/agency/")
    shot(agency, "agency-home")
    agency.locator(f"[data-referral='{referral.number}'] a").click()
    expect(agency.locator("[data-household-name]")).to_have_text(household.head_name)
    agency.locator("#answer-form button[value='accepted']").click()
    expect(agency.locator("dd[data-referral-state]")).to_have_attribute("data-referral-state", "accepted")
    agency.locator("#answer-form textarea[name='reason']").fill("จัดหารถเข็นให้แล้ว")
    agency.locator("#answer-form button[value='resolved']").click()
    expect(agency.locator("dd[data-referral-state]")).to_have_attribute("data-referral-state", "resolved")
    shot(agency, "agency-referral")

    field.goto(live_server.url + "/field/analysis/?province=46")
    after = {name: figure(field, name) for name in before}
    assert all(after[name] != before[name] for name in before), (before, after)
    shot(field, "field-analysis-after")
