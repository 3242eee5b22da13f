# ruff: noqa: F811 (the ledger fixtures are imported from test_ledger_services and used as arguments)
"""Every admin page a producer group manager or treasurer reaches is in Thai: our strings all
translated, Wagtail's own completed where Wagtail 8.0 ships them untranslated
(locale_wagtail/th). What is left in Latin letters must be data (codes, numbers) or a name that is
not translated (listed below, each with why)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from cms import services as cms_services
from cms.models import ProducerGroupPage
from income.ledger import services as ledger
from income.todo import MANAGER_KEYS, list_url
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

# Latin words that stay on a Thai admin page, and why.
ALLOWED = {
    "Wagtail",  # the product's name ("Wagtail 8.0 editor guide", the logo's alt text)
    "JavaScript",  # a technology's name, in Wagtail's "JavaScript is required" notice
    "PDPA",  # the law's usual name in Thai writing
    "PromptPay",  # the payment scheme's name
    "SKU",  # the stock-keeping unit, written so in Thai shops
    "URL",
    "URLs",
    "OTOP",  # certification names
    "Thai GAP",
    "Organic Thailand",
    "JPEG, PNG",  # file formats
    "PDF, JPEG",
    "JPEG, PNG, WebP",
    "WebP",
    "AVIF, GIF, JPG, JPEG, PNG, WEBP",
    # Examples in Wagtail's own help texts (a slug, a URL): not words to translate.
    "my-slug",
    "slug",
    "http",
    "domain.com",
    "blog",
    "footer",
    # Wagtail 8.0 writes these in its templates without gettext, so no catalogue can translate
    # them: the header's aria-label="Actions" (wagtailadmin/shared/headers/_actions.html) and
    # the screen-reader prefixes "Status:" and "Locking:" of the page's status side panel.
    "Actions",
    "Status",
    "Locking",
    # The side panel's hidden comment counter, in which Wagtail 8.0 prints Python's None.
    "None",
}


class _Text(HTMLParser):
    """The text a reader sees or hears: element text and titles, labels, placeholders, alt."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "svg", "option"):
            self.skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "svg", "option"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def english_in(html: str, data: set[str]) -> set[str]:
    parser = _Text()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        for text in data:
            part = part.replace(text, " ")
        for run in re.findall(r"[A-Za-z][A-Za-z’'\-]+(?:[ ,.:…]+[A-Za-z][A-Za-z’'\-]+)*", part):
            if len(run) > 2 and run not in ALLOWED and not re.fullmatch(r"[A-Z]{2,}-?[A-Z0-9-]*", run):
                found.add(run)
    return found


@pytest.fixture
def world(company, rice, group, manager, treasurer, households):
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, zip(households, ["4", "3", "3"], strict=True), manager)
    accept(delivery)
    payout = ledger.payout_record(
        household=households[0],
        group=group,
        amount=ledger.household_balance(households[0], group),
        method="promptpay",
        reference="PP-001",
        paid_on=delivery.delivered_on,
        actor=treasurer,
    )
    waiting = market_delivery(company, rice, manager)  # who supplied it: not said yet
    return {"delivery": delivery, "waiting": waiting, "payout": payout, "household": households[0]}


def manager_pages(world, rice, group):
    # The group's page, its editors and its workflow, as a group gets them when it is saved.
    cms_services.ensure_group_page(group)
    group_page = ProducerGroupPage.objects.get(group=group)
    pages = [
        reverse("wagtailadmin_home"),
        *[list_url(key) for key in MANAGER_KEYS],
        reverse("incoming_orders:index"),
        reverse("orders_admin:order_detail", args=[world["waiting"].order_id]),
        reverse("ledger:delivery_contributions", args=[world["waiting"].pk]),
        reverse("ledger:delivery_contributions", args=[world["delivery"].pk]),
        reverse("households:index"),
        reverse("enrolments:index"),
        reverse("consents:index"),
        reverse("income_surveys:index"),
        reverse("producer_groups:index"),
        reverse("producers_admin:household_detail", args=[world["household"].pk]),
        reverse("ledger:household_payouts", args=[world["household"].pk]),
        reverse("ledger:payout_slip", args=[world["payout"].pk]),
        reverse("orders_admin:stock_update", args=[rice.pk]),
        reverse("wagtailadmin_explore", args=[group_page.pk]),
        reverse("wagtailadmin_pages:edit", args=[rice.pk]),
        reverse("wagtailimages:index"),
        reverse("cms_quick_product_list"),
        reverse("cms_quick_product_add"),
        reverse("cms_quick_product_edit", args=[rice.pk]),
    ]
    return pages


def test_every_admin_page_a_manager_reaches_is_thai(client, world, rice, group, manager, households, company):
    data = {
        rice.title,
        rice.sku,
        group.name_th,
        group.code,
        company.name_th,
        *(h.code for h in households),
        *(h.head_name for h in households),
        manager.email,
        "rice.treasurer@example.org",
        world["delivery"].order.number,
        world["waiting"].order.number,
    }
    client.force_login(manager)
    client.cookies.pop("django_language", None)
    problems = {}
    with translation.override("th"):
        for path in manager_pages(world, rice, group):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")  # a phone set to English reads Thai
            assert response.status_code == 200, path
            english = english_in(response.content.decode(), data)
            if english:
                problems[path] = sorted(english)
    assert problems == {}, "\n".join(f"{path}: {words}" for path, words in problems.items())


def test_the_treasurers_pages_are_thai(client, world, rice, group, treasurer, households, company):
    client.force_login(treasurer)
    data = {group.name_th, group.code, company.name_th, *(h.code for h in households), treasurer.email}
    data |= {h.head_name for h in households}
    for path in [
        reverse("wagtailadmin_home"),
        list_url("payouts"),
        reverse("ledger:household_payouts", args=[world["household"].pk]),
        reverse("ledger:payout_slip", args=[world["payout"].pk]),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert english_in(response.content.decode(), data) == set(), path
