"""Signing in through the real allauth pages, with the second factor the admin asks of
coordinators and of producer group managers and treasurers."""

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from marketplace.demo import DEMO_PASSWORD
from tests.helpers import current_totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(email: str):
    """The account's authenticator app, as if its owner had set it up with SECRET."""
    from allauth.mfa.models import Authenticator

    user = get_user_model().objects.get(email=email)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, SECRET)
    return user


def sign_in(page, base_url: str, email: str, *, totp: bool = False) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    if totp:
        page.locator("input[name=code]").fill(current_totp(SECRET))
        page.locator("input[name=code]").press("Enter")
    expect(page.locator("form[action='/accounts/logout/']")).to_be_attached()


SIDEWAYS = """() => {
  const inner = window.innerWidth;
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > inner) found.push(`page ${page}px`);
  // Boxes that scroll sideways inside the page (a table in an overflow-x container) count too.
  for (const el of document.querySelectorAll("main *")) {
    const style = getComputedStyle(el);
    if (!["auto", "scroll"].includes(style.overflowX) || el.clientWidth === 0) continue;
    if (el.closest("[hidden], [aria-hidden=true]")) continue;
    if (el.scrollWidth > el.clientWidth + 2) {
      found.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  return found;
}"""


def no_sideways_scroll(page) -> None:
    """The page fits the phone's width: neither the page nor anything in it scrolls sideways."""
    found = page.evaluate(SIDEWAYS)
    assert not found, f"{page.url} scrolls sideways at {page.viewport_size['width']}px: {found}"


def screenshot(page, name: str) -> None:
    """With E2E_SCREENSHOT_DIR set, save the whole page as NAME-WIDTH.png there (to look at)."""
    import os
    from pathlib import Path

    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-{page.viewport_size['width']}.png", full_page=True)
