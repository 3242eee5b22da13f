import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from marketplace.demo import DEMO_PASSWORD
from tests.helpers import current_totp

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "households-example.csv"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def sign_in_with_totp(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(current_totp(SECRET))
    page.locator("input[name=code]").press("Enter")
    expect(page.locator("form[action='/accounts/logout/']")).to_be_attached()


def test_a_coordinator_imports_a_small_file_and_sees_the_households(live_server, page):
    call_command("seed_demo", force=True)
    coordinator = get_user_model().objects.get(email="coordinator@demo.example")
    TOTP.activate(coordinator, SECRET)

    sign_in_with_totp(page, live_server.url, coordinator.email)
    page.goto(live_server.url + "/admin/households/import/")
    page.locator("input[type=file][name=file]").set_input_files(str(EXAMPLE))
    page.locator("main form button[type=submit]").first.click()
    # The preview lists what would change; nothing is written until the coordinator confirms.
    expect(page.locator("main")).to_contain_text("EXAMPLE-4603-001")
    page.locator("main form[action$='/confirm/'] button[type=submit]").click()
    expect(page.locator("main form[action$='/confirm/']")).to_have_count(0)

    page.goto(live_server.url + "/admin/households/?q=EXAMPLE")
    listing = page.locator("main")
    expect(listing).to_contain_text("EXAMPLE-4603-001")
    expect(listing).to_contain_text("นางสมใจ ตัวอย่างหนึ่ง")
