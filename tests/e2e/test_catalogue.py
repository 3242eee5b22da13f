import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo_site(live_server):
    call_command("seed_demo", force=True)
    return live_server.url


def test_browse_filter_search_in_thai_and_open_a_product(demo_site, page):
    page.goto(demo_site + "/products/")
    cards = page.locator("article.product-card")
    expect(cards.first).to_be_visible()
    assert cards.count() == 24  # a full first page of the demo's ~60 products

    # Filter: silk only, in stock, cheapest first.
    page.locator("select[name=category]").select_option("silk")
    page.locator("input[name=in_stock]").check()
    page.locator("select[name=sort]").select_option("price")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"category=silk"))
    titles = cards.locator(".product-card__title").all_inner_texts()
    assert titles and all("ผ้า" in title for title in titles)
    prices = [
        float(text.replace("฿", "").replace(",", "").split()[0])
        for text in cards.locator(".product-card__price").all_inner_texts()
    ]
    assert prices == sorted(prices)

    # Thai search: a word inside an unspaced compound name.
    page.goto(demo_site + "/products/")
    page.locator("input[name=q]").fill("ผ้าไหม")
    page.locator("form.filters button[type=submit]").click()
    expect(cards.first).to_be_visible()
    expect(page.locator("main")).to_contain_text("ผ้าไหมแพรวาย้อมคราม")

    page.get_by_role("link", name="ผ้าไหมแพรวาย้อมคราม").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ผ้าไหมแพรวาย้อมคราม")
    expect(page.locator("main")).to_contain_text("฿3,500.00")
    expect(page.locator("script[type='application/ld+json']")).to_have_count(1)
