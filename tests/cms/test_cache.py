"""The anonymous page cache (cms.cache): the catalogue, product pages and search are served from
the cache to visitors who are not signed in, and a publish shows at once."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from cms import cache as page_cache
from tests.factories.catalogue import make_group_page, make_product
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return make_product(make_group_page(), title="ผ้าไหมแพรวา", slug="phrae-wa", price=Decimal("3500.00"))


@pytest.fixture
def page_cache_hits(monkeypatch):
    """How many responses the anonymous page cache answered. (Counting queries no longer tells:
    a page built afresh reads its route, page and fragments from the data caches.)"""
    hits = []
    answer = page_cache._from_cache

    def counted(entry):
        hits.append(entry)
        return answer(entry)

    monkeypatch.setattr(page_cache, "_from_cache", counted)
    return hits


CACHED_URLS = ["/products/", "/products/?sort=price&page=1", "/search/?q=ผ้าไหม", "PRODUCT"]


def url_of(name: str, product) -> str:
    return product.url if name == "PRODUCT" else name


@pytest.mark.parametrize("name", CACHED_URLS)
def test_the_second_anonymous_visit_is_served_without_a_query(client, product, name, django_assert_num_queries):
    url = url_of(name, product)
    first = client.get(url)

    with django_assert_num_queries(0):
        second = Client().get(url)

    assert first.status_code == second.status_code == 200
    assert "ผ้าไหมแพรวา" in second.content.decode()
    assert "Cookie" in second["Vary"]


def test_publishing_a_change_shows_at_once(client, product):
    client.get(product.url)
    client.get("/products/")

    product.price = Decimal("2900.00")
    product.save_revision().publish()

    assert "฿2,900.00" in client.get(product.url).content.decode()
    assert "฿2,900.00" in client.get("/products/").content.decode()


def test_a_new_product_appears_in_the_cached_catalogue_and_search_when_published(client, product):
    client.get("/products/")
    client.get("/search/", {"q": "ผ้าไหม"})

    make_product(product.get_parent().specific, title="ผ้าไหมมัดหมี่")

    assert "ผ้าไหมมัดหมี่" in client.get("/products/").content.decode()
    assert "ผ้าไหมมัดหมี่" in client.get("/search/", {"q": "ผ้าไหม"}).content.decode()


def test_unpublishing_and_deleting_take_the_product_away_at_once(client, product):
    other = make_product(product.get_parent().specific, title="กระติบข้าว")
    client.get("/products/")
    client.get(product.url)

    product.unpublish()
    assert client.get(product.url).status_code == 404
    assert "ผ้าไหมแพรวา" not in client.get("/products/").content.decode()

    other.delete()
    assert "กระติบข้าว" not in client.get("/products/").content.decode()


def test_renaming_a_category_shows_at_once(client, product):
    client.get(product.url)

    category = product.category
    category.name = "ผ้าทอมือ"
    category.save()

    assert "ผ้าทอมือ" in client.get(product.url).content.decode()


def test_a_signed_in_visitor_is_never_served_from_or_into_the_cache(client, user, product, page_cache_hits):
    sign_in(client, user.email, "correct-horse-battery-2569")
    with translation.override("th"):
        sign_out = translation.gettext("Sign out")
    assert sign_out in client.get(product.url).content.decode()

    # The signed-in page was not stored for anonymous visitors ...
    assert sign_out not in Client().get(product.url).content.decode()
    # ... and a stored anonymous page is not served to the signed-in visitor.
    again = client.get(product.url)
    assert sign_out in again.content.decode()
    hits = len(page_cache_hits)
    client.get(product.url)
    assert len(page_cache_hits) == hits


def test_a_visitor_with_a_session_or_messages_is_not_served_from_the_cache(client, product, page_cache_hits):
    Client().get(product.url)  # stored

    for cookie in ("sessionid", "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "anything"
        assert visitor.get(product.url).status_code == 200
    assert page_cache_hits == []


def test_a_cached_page_carries_no_csrf_token_or_cookie_and_anonymous_visitors_switch_language_by_get(product):
    Client().get(product.url)  # stored
    visitor = Client(enforce_csrf_checks=True)

    hit = visitor.get(product.url)
    html = hit.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert not hit.cookies
    switcher = re.search(r'<form class="language-switcher" action="([^"]+)" method="get">', html)
    assert switcher

    response = visitor.get(switcher.group(1), {"language": "en", "next": product.url})
    assert response.status_code == 302
    assert response["Location"] == product.url
    assert visitor.get(product.url)["Content-Language"] == "en"


def test_the_language_switch_by_get_goes_nowhere_but_this_site_and_ignores_unknown_languages(client):
    response = client.get("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies


def test_a_cache_hit_keeps_the_headers_of_the_page(product):
    first = Client().get(product.url)
    hit = Client().get(product.url)

    for header in ("Content-Type", "Content-Language", "Content-Security-Policy", "X-Frame-Options", "Vary"):
        assert hit[header] == first[header]
    assert hit.content == first.content


def test_the_query_string_is_part_of_the_key(client, product):
    make_product(product.get_parent().specific, title="กระติบข้าว", price=Decimal("100.00"))
    cheap_first = client.get("/products/", {"sort": "price"}).content.decode()
    dear_first = client.get("/products/", {"sort": "-price"}).content.decode()

    assert cheap_first.index("กระติบข้าว") < cheap_first.index("ผ้าไหมแพรวา")
    assert dear_first.index("ผ้าไหมแพรวา") < dear_first.index("กระติบข้าว")


def test_a_request_with_credentials_in_a_header_is_not_served_from_the_cache(product, page_cache_hits):
    Client().get(product.url)  # stored

    Client().get(product.url, HTTP_AUTHORIZATION="Bearer something")
    assert page_cache_hits == []


def test_thai_and_english_readers_get_their_own_copies(client, product):
    product.title_en = "Phrae Wa silk"
    product.save_revision().publish()
    Client().get(product.url)

    client.post("/i18n/setlang/", {"language": "en", "next": product.url})

    assert "<h1>Phrae Wa silk</h1>" in client.get(product.url).content.decode()
    assert "<h1>ผ้าไหมแพรวา</h1>" in Client().get(product.url).content.decode()


def test_only_successful_pages_are_stored(client, product, page_cache_hits):
    client.get("/producers/no-such-group/")

    assert client.get("/producers/no-such-group/").status_code == 404
    assert page_cache_hits == []


def test_pages_not_marked_cacheable_are_not_stored(client, page_cache_hits):
    client.get("/")

    client.get("/")
    assert page_cache_hits == []


def test_the_generation_survives_losing_its_key(product):
    first = page_cache.generation()
    page_cache.invalidate()
    assert page_cache.generation() > first

    from django.core.cache import cache

    cache.delete(page_cache.GENERATION_KEY)
    assert page_cache.generation() not in (first, first + 1)


# --- The data caches under the generation: on for visitors the page cache does not serve -------


@pytest.fixture
def visitor():
    """A visitor the page cache never serves (a pending message), like a signed-in one."""
    visitor = Client()
    visitor.cookies["messages"] = "anything"
    return visitor


def test_a_renamed_group_shows_on_the_cards_at_once(visitor, product):
    assert "กลุ่มทดสอบ" not in visitor.get("/products/").content.decode()
    group_page = product.get_parent().specific

    group_page.title = "กลุ่มทดสอบเปลี่ยนชื่อ"
    group_page.save_revision().publish()

    assert "กลุ่มทดสอบเปลี่ยนชื่อ" in visitor.get("/products/").content.decode()
    assert "กลุ่มทดสอบเปลี่ยนชื่อ" in visitor.get("/search/", {"q": "ผ้าไหม"}).content.decode()


def test_the_count_of_results_follows_publishing(visitor, product):
    with translation.override("th"):
        one, two = (
            translation.ngettext("%(counter)s product", "%(counter)s products", n) % {"counter": n} for n in (1, 2)
        )
    assert one in visitor.get("/products/").content.decode()

    make_product(product.get_parent().specific, title="กระติบข้าว")

    assert two in visitor.get("/products/").content.decode()


def test_a_remembered_route_follows_unpublishing_and_a_new_slug(visitor, product):
    old_url = product.url
    assert visitor.get(old_url).status_code == 200

    product.slug = "phrae-wa-indigo"
    product.save_revision().publish()
    product.refresh_from_db()
    assert product.url != old_url
    assert visitor.get(old_url).status_code == 404
    assert visitor.get(product.url).status_code == 200

    product.unpublish()
    assert visitor.get(product.url).status_code == 404


def test_a_renamed_catalogue_shows_in_the_product_breadcrumbs_at_once(visitor, product):
    from cms.models import CatalogueIndexPage

    assert visitor.get(product.url).status_code == 200
    catalogue = CatalogueIndexPage.objects.get()
    catalogue.title = "สินค้าทั้งหมด"
    catalogue.save_revision().publish()

    assert '<a href="/products/">สินค้าทั้งหมด</a>' in visitor.get(product.url).content.decode()


def test_changing_an_image_forgets_the_cached_pages(product):
    from wagtail.images import get_image_model

    from tests.factories.catalogue import make_image

    before = page_cache.generation()
    image = make_image()
    image.focal_point_x, image.focal_point_y, image.focal_point_width, image.focal_point_height = 10, 10, 20, 20
    image.save()

    assert page_cache.generation() > before
    assert isinstance(image, get_image_model())
