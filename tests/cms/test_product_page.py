"""The public pages of the page tree: a product, its producer group, the producers index, stories."""

import datetime
import html as html_lib
import json
import re
from decimal import Decimal

import pytest
from django.utils import translation

from cms.models import ProducersIndexPage, StoriesIndexPage, StoryPage
from tests.factories.catalogue import CategoryFactory, CertificationFactory, make_group_page, make_image, make_product
from tests.factories.households import GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_page():
    return make_group_page(
        GroupFactory(name_th="กลุ่มทอผ้าไหมบ้านโพน", name_en="Ban Phon Silk Weavers", code="BAN-PHON"),
        title_en="Ban Phon Silk Weavers",
        profile="กลุ่มแม่บ้านทอผ้าไหมแพรวา สืบทอดลายโบราณ",
        profile_en="Village women weaving Phrae Wa silk in the old patterns.",
        photo=make_image("ภาพกลุ่ม", colour="navy"),
    )


@pytest.fixture
def product(group_page):
    return make_product(
        group_page,
        title="ผ้าไหมแพรวาย้อมคราม",
        title_en="Indigo-dyed Phrae Wa silk",
        slug="phrae-wa-indigo",
        sku="BP-SILK-001",
        category=CategoryFactory(slug="silk", name="ผ้าไหม", name_en="Silk"),
        description="<p>ทอมือด้วยไหมไทยพื้นบ้าน <b>ย้อมคราม</b>ธรรมชาติ</p>",
        description_en="<p>Hand-woven Thai silk, dyed with natural indigo.</p>",
        unit="metre",
        price=Decimal("3500.00"),
        min_order_quantity=Decimal("2.500"),
        available_quantity=Decimal("40.000"),
        monthly_capacity=Decimal("120.000"),
        lead_time_days=14,
        seasonal_months=[11, 12, 1],
        certifications=[
            CertificationFactory(kind="otop", stars=5, slug="otop-5", name="OTOP 5 ดาว", name_en="OTOP 5 stars")
        ],
        fda_number="12-1-23456-2-0001",
        shelf_life_days=365,
        storage="เก็บในที่แห้ง",
        photos=[make_image("ผ้าไหมผืนแรก"), make_image("ผ้าไหมผืนที่สอง", colour="teal")],
    )


def thai(message: str, plural: str = "", n: int = 1) -> str:
    with translation.override("th"):
        return translation.ngettext(message, plural, n) if plural else translation.gettext(message)


def page_html(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def json_ld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', html)
    assert match, prop
    return html_lib.unescape(match.group(1))


def test_the_product_page_shows_what_a_buyer_needs(client, product):
    html = page_html(client, product)

    assert "<h1>ผ้าไหมแพรวาย้อมคราม</h1>" in html
    assert "฿3,500.00" in html
    assert f"2.5 {thai('metre')}" in html  # minimum order, without trailing zeros
    assert "40 " in html and "120 " in html  # available now, monthly capacity
    assert thai("%(days)s day", "%(days)s days", 14) % {"days": 14} in html
    assert thai("November") in html
    assert "OTOP 5 ดาว" in html
    assert "12-1-23456-2-0001" in html
    assert thai("%(days)s day", "%(days)s days", 365) % {"days": 365} in html
    assert "เก็บในที่แห้ง" in html
    assert "ทอมือด้วยไหมไทยพื้นบ้าน <b>ย้อมคราม</b>ธรรมชาติ" in html
    assert thai("In stock") in html


def test_the_group_card_links_the_group_and_says_where_it_is(client, product, group_page):
    html = page_html(client, product)

    card = re.search(r'<aside class="group-card".*?</aside>', html, re.S).group(0)
    assert f'href="{group_page.url}"' in card
    assert "กลุ่มทอผ้าไหมบ้านโพน" in card
    assert "เมืองกาฬสินธุ์" in card and "กาฬสินธุ์" in card
    assert "กลุ่มแม่บ้านทอผ้าไหมแพรวา" in card


def test_breadcrumbs_go_home_then_to_the_catalogue_then_the_group(client, product, group_page):
    html = page_html(client, product)

    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', crumbs)
    assert links == [("/", "ตลาดชุมชนพ้นจน"), ("/products/", "สินค้าชุมชน"), (group_page.url, "กลุ่มทอผ้าไหมบ้านโพน")]
    assert '<span aria-current="page">ผ้าไหมแพรวาย้อมคราม</span>' in crumbs


def test_the_gallery_is_responsive_webp(client, product):
    html = page_html(client, product)

    gallery = re.search(r'<div class="product__gallery">.*?</div>', html, re.S).group(0)
    images = re.findall(r"<img [^>]*>", gallery)
    assert len(images) == 2
    for image in images:
        assert re.search(r'srcset="[^"]+\.webp 480w, [^"]+\.webp 960w, [^"]+\.webp 1440w"', image)
    assert 'alt="ภาพ ผ้าไหมแพรวาย้อมคราม"' in images[0]


def test_json_ld_describes_the_product_and_its_offer(client, product):
    data = json_ld(page_html(client, product))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["name"] == "ผ้าไหมแพรวาย้อมคราม"
    assert data["description"] == "ทอมือด้วยไหมไทยพื้นบ้าน ย้อมครามธรรมชาติ"
    assert data["sku"] == "BP-SILK-001"
    assert data["url"] == "http://localhost/producers/ban-phon/phrae-wa-indigo/"
    assert data["brand"]["name"] == data["manufacturer"]["name"] == "กลุ่มทอผ้าไหมบ้านโพน"
    assert data["manufacturer"]["address"]["addressRegion"] == "กาฬสินธุ์"
    assert data["offers"]["priceCurrency"] == "THB"
    assert Decimal(data["offers"]["price"]) == Decimal("3500.00")
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert len(data["image"]) == 2
    assert all(re.match(r"http://testserver/media/images/.+\.webp$", url) for url in data["image"])


def test_json_ld_says_out_of_stock(client, group_page):
    product = make_product(group_page, available_quantity=Decimal("0"))

    assert json_ld(page_html(client, product))["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_a_product_name_cannot_break_out_of_the_json_ld_block(client, group_page):
    name = '</script><script>alert("x")</script><!-- & \u2028'
    product = make_product(group_page, title=name, slug="naughty")

    html = page_html(client, product)

    assert "<script>alert" not in html
    assert json_ld(html)["name"] == name


def test_the_page_runs_no_inline_script(client, product):
    html = page_html(client, product)

    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/marketplace/js/site.js" defer>',  # the site's own file, not inline
        '<script type="application/ld+json">',
    ]


def test_open_graph_tags_make_a_link_preview(client, product):
    html = page_html(client, product)

    assert meta(html, "og:type") == "product"
    assert meta(html, "og:title") == "ผ้าไหมแพรวาย้อมคราม"
    assert meta(html, "og:description") == "ทอมือด้วยไหมไทยพื้นบ้าน ย้อมครามธรรมชาติ"
    assert re.match(r"http://testserver/media/images/.+\.jpg$", meta(html, "og:image"))
    assert meta(html, "og:url") == "http://localhost/producers/ban-phon/phrae-wa-indigo/"
    assert meta(html, "product:price:currency") == "THB"


def test_english_readers_get_the_english_page(client, product):
    client.post("/i18n/setlang/", {"language": "en", "next": product.url})

    html = page_html(client, product)

    assert "<h1>Indigo-dyed Phrae Wa silk</h1>" in html
    assert "Hand-woven Thai silk" in html
    assert "Ban Phon Silk Weavers" in html
    assert "Kalasin" in html
    assert json_ld(html)["name"] == "Indigo-dyed Phrae Wa silk"


def test_an_unpublished_product_is_not_found(client, product):
    product.unpublish()

    assert client.get("/producers/ban-phon/phrae-wa-indigo/").status_code == 404


def test_the_group_page_shows_profile_story_photos_and_products(client, group_page, product):
    group_page.story = [("paragraph", "<p>เริ่มทอตั้งแต่ปี 2530</p>"), ("quote", "ผ้าทุกผืนมีเรื่องเล่า")]
    group_page.save_revision().publish()
    make_product(group_page, title="ผ้าไหมร่าง", publish=False, live=False)

    html = page_html(client, group_page)

    assert "<h1>กลุ่มทอผ้าไหมบ้านโพน</h1>" in html
    assert "กลุ่มแม่บ้านทอผ้าไหมแพรวา" in html
    assert "เริ่มทอตั้งแต่ปี 2530" in html and "ผ้าทุกผืนมีเรื่องเล่า" in html
    assert "เมืองกาฬสินธุ์, กาฬสินธุ์" in html
    assert re.search(r'<div class="photo-strip">.*?\.webp', html, re.S)
    assert f'href="{product.url}"' in html
    assert "ผ้าไหมร่าง" not in html


def test_the_producers_index_lists_live_groups(client, group_page):
    html = page_html(client, ProducersIndexPage.objects.get())

    assert f'<a href="{group_page.url}">กลุ่มทอผ้าไหมบ้านโพน</a>' in html
    assert "เมืองกาฬสินธุ์" in html


def test_stories_are_listed_newest_first_and_read_in_full(client, group_page):
    index = StoriesIndexPage.objects.get()
    for day, title in [(1, "ลงนาม MOU กับ 13 บริษัท"), (20, "ผ้าไหมบ้านโพนขึ้นห้าง")]:
        story = StoryPage(
            title=title,
            slug=f"story-{day}",
            date=datetime.date(2026, 3, day),
            intro="เรื่องย่อ",
            body=[("paragraph", f"<p>เนื้อเรื่อง {day}</p>")],
            related_group=group_page.group,
        )
        index.add_child(instance=story)
        story.save_revision().publish()

    listing = page_html(client, index)
    story_html = page_html(client, story)

    assert listing.index("ผ้าไหมบ้านโพนขึ้นห้าง") < listing.index("ลงนาม MOU กับ 13 บริษัท")
    assert "20 มีนาคม พ.ศ. 2569" in listing
    assert "เนื้อเรื่อง 20" in story_html
    assert f'href="{group_page.url}"' in story_html


def test_the_home_page_links_the_catalogue_and_the_search(client):
    html = client.get("/").content.decode()

    assert 'href="/products/"' in html
    assert 'action="/search/"' in html


def test_an_editor_previews_unsaved_changes_with_new_photos(product):
    from cms.models import ProductPhoto

    product.price = Decimal("1990.00")
    product.gallery.add(ProductPhoto(image=make_image("ภาพใหม่"), alt_text="ภาพที่ยังไม่ได้บันทึก"))

    response = product.make_preview_request()

    assert response.status_code == 200
    html = response.content.decode()
    assert "฿1,990.00" in html
    assert 'alt="ภาพที่ยังไม่ได้บันทึก"' in html
