"""What a page built afresh reads from the data caches (cms.cache): the site, routes and routed pages,
view restrictions, and the parts of the catalogue, product pages and search that every reader
shares. The rest of the page (the header, messages, the buy box) is each visitor's own, and every
change a visitor could see shows at once."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation
from wagtail.models import PageViewRestriction, Site

from orders import stock
from tests.factories.catalogue import make_group_page, make_product
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# A messages cookie keeps the anonymous page cache away (cms.cache.request_is_cacheable): these
# requests reach the view every time, as the bench's "uncached" ones do.
UNCACHED = {"messages": "anything"}


@pytest.fixture
def product():
    return make_product(
        make_group_page(), title="ผ้าไหมแพรวา", slug="phrae-wa", price=Decimal("3500.00"), available_quantity=40
    )


def uncached_client() -> Client:
    client = Client()
    for name, value in UNCACHED.items():
        client.cookies[name] = value
    return client


def sign_out_label() -> str:
    with translation.override("th"):
        return translation.gettext("Sign out")


@pytest.mark.parametrize("url", ["/products/", "/search/?q=ผ้าไหม", "PRODUCT"])
def test_a_page_built_again_reads_everything_from_the_data_caches(product, url, django_assert_num_queries):
    url = product.url if url == "PRODUCT" else url
    uncached_client().get(url)

    with django_assert_num_queries(0):
        again = uncached_client().get(url)

    assert again.status_code == 200
    assert "ผ้าไหมแพรวา" in again.content.decode()


def test_shared_parts_never_carry_one_visitors_header_or_token_to_another(client, user, password, product):
    sign_in(client, user.email, password)
    signed_in = client.get(product.url).content.decode()  # the shared parts are made now

    anonymous = uncached_client().get(product.url).content.decode()

    assert sign_out_label() in signed_in
    assert 'id="add-to-cart-form"' in signed_in and "csrfmiddlewaretoken" in signed_in
    assert sign_out_label() not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous
    assert 'id="add-to-cart-form"' in anonymous


def test_a_signed_in_visitor_gets_their_own_token_on_a_page_built_from_shared_parts(client, user, password, product):
    uncached_client().get(product.url)  # the shared parts are made now, anonymously
    sign_in(client, user.email, password)

    html = client.get(product.url).content.decode()

    assert sign_out_label() in html
    assert 'method="post">' in html and "csrfmiddlewaretoken" in html


def test_a_stock_change_shows_at_once_in_the_page_and_its_buy_box(product, django_assert_max_num_queries):
    visitor = uncached_client()
    assert "40" in visitor.get(product.url).content.decode()

    stock.stock_set(product=product, quantity=Decimal("0"), actor=None)

    html = visitor.get(product.url).content.decode()
    assert 'id="add-to-cart-form"' not in html  # out of stock: no buy box
    assert "OutOfStock" in html


def test_a_price_published_shows_at_once_everywhere(product):
    visitor = uncached_client()
    for url in (product.url, "/products/", "/search/?q=ผ้าไหม"):
        visitor.get(url)

    product.price = Decimal("2900.00")
    product.save_revision().publish()

    for url in (product.url, "/products/", "/search/?q=ผ้าไหม"):
        assert "฿2,900.00" in visitor.get(url).content.decode(), url


def test_a_view_restriction_applies_at_once(product):
    visitor = uncached_client()
    assert visitor.get(product.url).status_code == 200

    PageViewRestriction.objects.create(page=product.get_parent(), restriction_type=PageViewRestriction.LOGIN)

    assert visitor.get(product.url).status_code == 302  # to sign in
    assert "ผ้าไหมแพรวา" not in visitor.get("/products/").content.decode()
    assert "ผ้าไหมแพรวา" not in visitor.get("/search/", {"q": "ผ้าไหม"}).content.decode()


def test_a_site_moved_to_another_root_is_followed_at_once(product):
    visitor = uncached_client()
    assert visitor.get(product.url).status_code == 200

    site = Site.objects.get(is_default_site=True)
    site.root_page = product.get_parent()
    site.save()

    assert visitor.get(product.url).status_code == 404


def test_a_preview_shows_the_draft_not_the_shared_parts(product):
    uncached_client().get(product.url)  # the shared parts are made now
    product.title = "ผ้าไหมฉบับร่าง"
    product.save_revision()

    draft = product.get_latest_revision_as_object()
    preview = draft.make_preview_request()

    assert "<h1>ผ้าไหมฉบับร่าง</h1>" in preview.render().content.decode()
    assert "ผ้าไหมฉบับร่าง" not in uncached_client().get(product.url).content.decode()
