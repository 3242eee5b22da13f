"""The public catalogue at /products/: filters, sorting, pages of 24, cards, queries, sitemap."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models.signals import post_save
from django.utils import timezone, translation
from factory.django import mute_signals

from cms.models import ProductPage
from tests.factories.catalogue import (
    CategoryFactory,
    CertificationFactory,
    make_group_page,
    make_image,
    make_product,
)
from tests.factories.households import GroupFactory

pytestmark = pytest.mark.django_db

URL = "/products/"


def thai(message: str) -> str:
    with translation.override("th"):
        return translation.gettext(message)


def titles(response) -> list[str]:
    """Product names on the page, in the order shown."""
    return re.findall(r'class="product-card__title"><a href="[^"]*">([^<]*)</a>', response.content.decode())


@pytest.fixture
def kalasin():
    return make_group_page(GroupFactory(name_th="กลุ่มทอผ้าไหมบ้านโพน", name_en="Ban Phon Silk Weavers"))


@pytest.fixture
def roi_et():
    return make_group_page(
        GroupFactory(name_th="กลุ่มจักสานบ้านหนองแวง", province_code="45", district_code="4501", subdistrict_code="450101")
    )


def test_lists_every_live_product_of_every_group_with_its_card(client, kalasin, roi_et):
    make_product(kalasin, title="ผ้าไหมแพรวา", price=Decimal("3500.00"), unit="metre")
    make_product(roi_et, title="กระติบข้าว", available_quantity=Decimal("0"))
    make_product(kalasin, title="สินค้าร่าง", publish=False, live=False)

    response = client.get(URL)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["กระติบข้าว", "ผ้าไหมแพรวา"]
    html = response.content.decode()
    with translation.override("th"):
        count = translation.ngettext("%(counter)s product", "%(counter)s products", 2) % {"counter": 2}
    assert count in html
    assert "กลุ่มทอผ้าไหมบ้านโพน" in html
    assert "กาฬสินธุ์" in html and "ร้อยเอ็ด" in html
    assert "฿3,500.00" in html
    assert thai("In stock") in html and thai("Made to order") in html


def test_cards_are_in_english_for_english_readers(client, kalasin):
    make_product(kalasin, title="ข้าวหอมมะลิอินทรีย์", title_en="Organic jasmine rice")
    client.post("/i18n/setlang/", {"language": "en", "next": URL})

    html = client.get(URL).content.decode()

    assert "Organic jasmine rice" in html
    assert "Kalasin" in html
    assert "kilogram" in html


def test_card_photo_is_a_webp_rendition_with_a_srcset(client, kalasin):
    make_product(kalasin, title="ผ้าไหม", photos=[make_image()])

    html = client.get(URL).content.decode()

    image = re.search(r'<img[^>]*class="product-card__image"[^>]*>', html).group(0)
    assert re.search(r'src="[^"]+\.webp"', image)
    assert re.search(r'srcset="[^"]+\.webp 400w, [^"]+\.webp 800w"', image)
    assert 'alt="ภาพ ผ้าไหม"' in image
    assert 'loading="lazy"' in image


def test_filters_by_category(client, kalasin):
    silk = CategoryFactory(slug="silk", name="ผ้าไหม")
    rice = CategoryFactory(slug="rice", name="ข้าว")
    make_product(kalasin, title="ผ้าไหมแพรวา", category=silk)
    make_product(kalasin, title="ข้าวหอมมะลิ", category=rice)

    assert titles(client.get(URL, {"category": "rice"})) == ["ข้าวหอมมะลิ"]


def test_filters_by_the_province_of_the_producer_group(client, kalasin, roi_et):
    make_product(kalasin, title="ผ้าไหมแพรวา")
    make_product(roi_et, title="กระติบข้าว")

    assert titles(client.get(URL, {"province": "45"})) == ["กระติบข้าว"]
    assert titles(client.get(URL, {"province": "46"})) == ["ผ้าไหมแพรวา"]


def test_province_choices_are_the_provinces_with_groups(client, kalasin, roi_et):
    html = client.get(URL).content.decode()

    options = re.findall(r'<option value="(\d\d)"', html)
    assert sorted(options) == ["45", "46"]


def test_filters_by_certification(client, kalasin):
    organic = CertificationFactory(slug="organic-thailand", name="Organic Thailand")
    make_product(kalasin, title="ข้าวอินทรีย์", certifications=[organic])
    make_product(kalasin, title="ข้าวทั่วไป")

    assert titles(client.get(URL, {"certification": "organic-thailand"})) == ["ข้าวอินทรีย์"]


def test_filters_by_price_range(client, kalasin):
    for price in ("50.00", "150.00", "900.00"):
        make_product(kalasin, title=f"ราคา {price}", price=Decimal(price))

    assert titles(client.get(URL, {"price_min": "100", "price_max": "900"})) == ["ราคา 900.00", "ราคา 150.00"]
    assert titles(client.get(URL, {"price_max": "100"})) == ["ราคา 50.00"]


def test_filters_products_available_now(client, kalasin):
    make_product(kalasin, title="มีของ", available_quantity=Decimal("5"))
    make_product(kalasin, title="หมด", available_quantity=Decimal("0"))

    assert titles(client.get(URL, {"in_stock": "on"})) == ["มีของ"]


def test_a_price_that_is_not_a_number_is_left_out_with_a_message_in_thai(client, kalasin):
    make_product(kalasin, title="ผ้าไหม", price=Decimal("3500.00"))
    make_product(kalasin, title="ข้าว", price=Decimal("60.00"))

    response = client.get(URL, {"price_min": "abc", "price_max": "100"})

    assert response.status_code == 200
    html = response.content.decode()
    assert thai("Enter a number.") in html
    assert 'role="alert"' in html
    assert titles(response) == ["ข้าว"]  # the valid filter still applies


@pytest.mark.parametrize("price", ["NaN", "Infinity", "1e999999", "-5", "9" * 40, "１๐๐"])
def test_no_price_can_break_the_page(client, kalasin, price):
    make_product(kalasin)

    response = client.get(URL, {"price_min": price, "price_max": price})

    assert response.status_code == 200


def test_lowest_price_above_highest_is_explained_and_ignored(client, kalasin):
    make_product(kalasin, title="ผ้าไหม", price=Decimal("3500.00"))

    response = client.get(URL, {"price_min": "5000", "price_max": "100"})

    message = thai("The lowest price is above the highest price, so neither was used.")
    assert message in response.content.decode()
    assert titles(response) == ["ผ้าไหม"]


def test_an_unknown_category_is_explained_and_ignored(client, kalasin):
    make_product(kalasin, title="ผ้าไหม")

    response = client.get(URL, {"category": "no-such-thing", "sort": "cheapest-first"})

    assert response.status_code == 200
    message = thai("Select a valid choice. %(value)s is not one of the available choices.")
    assert message % {"value": "no-such-thing"} in response.content.decode()
    assert titles(response) == ["ผ้าไหม"]


def test_newest_first_by_default(client, kalasin):
    now = timezone.now()
    for days_ago, title in [(3, "เก่า"), (1, "ใหม่"), (2, "กลาง")]:
        product = make_product(kalasin, title=title)
        ProductPage.objects.filter(pk=product.pk).update(first_published_at=now - datetime.timedelta(days=days_ago))

    assert titles(client.get(URL)) == ["ใหม่", "กลาง", "เก่า"]


def test_sorts_by_price_both_ways(client, kalasin):
    for price in ("150.00", "50.00", "900.00"):
        make_product(kalasin, title=f"ราคา {price}", price=Decimal(price))

    assert titles(client.get(URL, {"sort": "price"})) == ["ราคา 50.00", "ราคา 150.00", "ราคา 900.00"]
    assert titles(client.get(URL, {"sort": "-price"})) == ["ราคา 900.00", "ราคา 150.00", "ราคา 50.00"]


def many_products(group_page, count: int, *, photo=None) -> None:
    """Live products, fast: no revisions, and no search indexing (post_save muted)."""
    start = timezone.now()
    with mute_signals(post_save):
        for n in range(count):
            make_product(
                group_page,
                publish=False,
                title=f"สินค้า {n:03d}",
                first_published_at=start - datetime.timedelta(minutes=n),
                photos=[photo] if photo else [],
            )


def test_shows_24_products_a_page_and_links_the_next(client, kalasin):
    many_products(kalasin, 30)

    first = client.get(URL)
    second = client.get(URL, {"page": "2"})

    assert titles(first) == [f"สินค้า {n:03d}" for n in range(24)]
    assert titles(second) == [f"สินค้า {n:03d}" for n in range(24, 30)]
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert "30" in first.content.decode()


@pytest.mark.parametrize(("page", "expected_first"), [("abc", 0), ("0", 24), ("-1", 24), ("999", 24), ("", 0)])
def test_a_page_number_out_of_range_gives_the_first_or_last_page(client, kalasin, page, expected_first):
    many_products(kalasin, 30)

    response = client.get(URL, {"page": page})

    assert response.status_code == 200
    assert titles(response)[0] == f"สินค้า {expected_first:03d}"


def test_page_links_keep_the_filters(client, kalasin):
    many_products(kalasin, 30)

    html = client.get(URL, {"in_stock": "on", "sort": "newest"}).content.decode()

    assert 'href="?in_stock=on&amp;sort=newest&amp;page=2"' in html


def test_the_filter_form_is_a_plain_get_form_with_no_script(client, kalasin):
    make_product(kalasin)

    html = client.get(URL).content.decode()

    assert re.search(r'<form class="filters" method="get" action="/products/"', html)
    # No inline script; the one script is the site's own file (a phone's menu and filter drawer),
    # and the form works without it.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/marketplace/js/site.js" defer>']


def test_the_search_box_combines_with_the_filters(client, kalasin, roi_et):
    make_product(kalasin, title="ผ้าไหมแพรวาย้อมคราม")
    make_product(roi_et, title="ผ้าไหมมัดหมี่")
    make_product(roi_et, title="กระติบข้าว")

    assert sorted(titles(client.get(URL, {"q": "ผ้าไหม"}))) == ["ผ้าไหมมัดหมี่", "ผ้าไหมแพรวาย้อมคราม"]
    assert titles(client.get(URL, {"q": "ผ้าไหม", "province": "45"})) == ["ผ้าไหมมัดหมี่"]
    assert titles(client.get(URL, {"q": "ผ้าไหม", "province": "45", "sort": "-price"})) == ["ผ้าไหมมัดหมี่"]


def test_breadcrumbs_lead_home(client):
    html = client.get(URL).content.decode()

    assert re.search(r'<a href="/">ตลาดชุมชนพ้นจน</a>.*<span aria-current="page">สินค้าชุมชน</span>', html, re.S)


# Counted with every cache empty: Wagtail finds the site and its specific root page (2), routes to
# the page (2), which is then loaded once more to be remembered (1); the view restrictions (1); the
# filter form's categories, certifications and provinces (3); the count and the ids of the page of
# products (2); the cards' products, groups, photos and renditions (4); the site's root paths (1)
# and breadcrumbs (2). None of them grows with the number of products. (With the data caches
# filled, none at all: see tests/cms/test_fragments.py.)
QUERY_BOUND = 18


def test_the_listing_takes_as_many_queries_for_500_products_as_for_24(
    client, kalasin, roi_et, django_assert_max_num_queries
):
    photo = make_image()
    many_products(kalasin, 12, photo=photo)
    many_products(roi_et, 12, photo=photo)
    client.get(URL)  # makes the renditions once

    cache.clear()
    with django_assert_max_num_queries(QUERY_BOUND) as small:
        assert len(titles(client.get(URL))) == 24

    many_products(kalasin, 238, photo=photo)
    many_products(roi_et, 238, photo=photo)
    cache.clear()
    with django_assert_max_num_queries(QUERY_BOUND) as large:
        assert len(titles(client.get(URL, {"page": "21"}))) == 20  # 500 = 20 × 24 + 20

    assert ProductPage.objects.live().count() == 500
    assert len(large.captured_queries) == len(small.captured_queries)


def test_sitemap_lists_live_pages_and_products(client, kalasin):
    product = make_product(kalasin, slug="phrae-wa")
    make_product(kalasin, slug="draft-only", publish=False, live=False)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    xml = response.content.decode()
    assert f"<loc>http://localhost{product.url}</loc>" in xml or product.url in xml
    assert "/products/" in xml and "/producers/" in xml
    assert "draft-only" not in xml
