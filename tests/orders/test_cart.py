"""The cart (orders.cart and the /cart/ pages): adding from the product page with the minimum order
and the available quantity checked, a visitor's cart merged into theirs at sign-in, the cart page
grouped by producer group, and adding from a product page served from the anonymous page cache."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from buyers.models import CompanyRole
from orders import cart as carts
from orders.models import Cart, CartItem
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.buyers import add_member
from tests.factories.orders import make_product
from tests.helpers import sign_in


def add(client, product, quantity):
    return client.post(reverse("cart:add", args=[product.pk]), {"quantity": quantity})


def items_of(user) -> dict:
    return {item.product_id: item.quantity for item in CartItem.objects.filter(cart__user=user)}


def english_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


# --- Adding ---------------------------------------------------------------------------------


def test_a_purchaser_adds_a_product_and_adding_again_adds_up(client, purchaser, rice):
    client.force_login(purchaser)

    first = add(client, rice, "10")
    second = add(client, rice, "2.5")

    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("cart:detail")
    assert items_of(purchaser) == {rice.pk: Decimal("12.5")}


def test_less_than_the_minimum_order_is_refused_with_the_minimum_in_the_message(client, purchaser, rice_group):
    product = make_product(rice_group, min_order_quantity=Decimal("5"))
    client.force_login(purchaser)

    response = add(client, product, "4")

    assert response.status_code == 400
    assert "the minimum order is 5 kilogram" in response.content.decode()
    assert items_of(purchaser) == {}


def test_more_than_is_available_is_refused_also_when_the_cart_already_holds_some(client, purchaser, rice_group):
    product = make_product(rice_group, available_quantity=Decimal("20"))
    client.force_login(purchaser)
    add(client, product, "15")

    response = add(client, product, "6")

    assert response.status_code == 400
    assert "only 20 kilogram available" in response.content.decode()
    assert items_of(purchaser) == {product.pk: Decimal("15")}


@pytest.mark.parametrize("typed", ["", "abc", "-1", "0", "1.2345"])
def test_a_quantity_that_is_not_a_positive_number_with_three_places_is_refused(client, purchaser, rice, typed):
    client.force_login(purchaser)

    response = add(client, rice, typed)

    assert response.status_code == 400
    assert items_of(purchaser) == {}


def test_thai_digits_are_understood(client, purchaser, rice):
    client.force_login(purchaser)

    add(client, rice, "๑๒")

    assert items_of(purchaser) == {rice.pk: Decimal("12")}


def test_a_product_that_is_not_live_cannot_be_added(client, purchaser, rice):
    rice.unpublish()
    client.force_login(purchaser)

    response = add(client, rice, "10")

    assert response.status_code == 404
    assert not CartItem.objects.exists()


def test_a_product_unpublished_after_it_was_added_leaves_the_cart_page_and_the_total(client, purchaser, rice, silk):
    client.force_login(purchaser)
    add(client, rice, "10")
    add(client, silk, "1")
    silk.unpublish()

    contents = carts.cart_contents(Cart.objects.get(user=purchaser))

    assert [line.product.pk for line in contents.lines] == [rice.pk]
    assert contents.total == Decimal("600.00")
    assert [item.product_id for item in contents.unavailable] == [silk.pk]


# --- The cart page --------------------------------------------------------------------------


def test_the_cart_page_groups_lines_by_producer_group_with_subtotals_and_a_total(
    client, purchaser, rice, silk, rice_group, silk_group
):
    broken_rice = make_product(rice_group, title="ข้าวหัก", price=Decimal("25.50"))
    client.force_login(purchaser)
    add(client, rice, "10")  # 10 × 60.00 = 600.00
    add(client, broken_rice, "3")  # 3 × 25.50 = 76.50
    add(client, silk, "2")  # 2 × 3,500.00 = 7,000.00

    response = client.get(reverse("cart:detail"))

    contents = response.context["contents"]
    assert [group.group for group in contents.groups] == [rice_group, silk_group]
    assert [group.subtotal for group in contents.groups] == [Decimal("676.50"), Decimal("7000.00")]
    assert contents.total == Decimal("7676.50")
    page = response.content.decode()
    assert "฿7,676.50" in page and "฿676.50" in page and 'id="checkout-form"' in page


def test_updating_and_removing_lines(client, purchaser, rice, silk):
    client.force_login(purchaser)
    add(client, rice, "10")
    add(client, silk, "2")

    client.post(reverse("cart:update", args=[rice.pk]), {"quantity": "30"})
    client.post(reverse("cart:update", args=[silk.pk]), {"quantity": "0"})

    assert items_of(purchaser) == {rice.pk: Decimal("30")}
    client.post(reverse("cart:remove", args=[rice.pk]))
    assert items_of(purchaser) == {}


def test_an_update_beyond_what_is_available_is_refused_and_the_line_kept(client, purchaser, rice):
    client.force_login(purchaser)
    add(client, rice, "10")

    response = client.post(reverse("cart:update", args=[rice.pk]), {"quantity": "501"})

    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "“ข้าวหอมมะลิอินทรีย์”: only 500 kilogram available."
    )
    assert items_of(purchaser) == {rice.pk: Decimal("10")}


def test_a_visitor_cannot_touch_a_line_of_someone_elses_cart(client, purchaser, rice):
    client.force_login(purchaser)
    add(client, rice, "10")

    response = english_client().post(reverse("cart:update", args=[rice.pk]), {"quantity": "1"})

    assert response.status_code == 404
    assert items_of(purchaser) == {rice.pk: Decimal("10")}


def test_a_signed_in_users_cart_survives_signing_out_and_in_again(purchaser, rice):
    first = english_client()
    first.force_login(purchaser)
    add(first, rice, "10")
    first.post(reverse("account_logout"))

    elsewhere = english_client()
    elsewhere.force_login(purchaser)

    assert elsewhere.get(reverse("cart:detail")).context["contents"].total == Decimal("600.00")


def test_the_header_shows_company_members_how_many_products_their_cart_holds(client, purchaser, rice, silk):
    client.force_login(purchaser)
    add(client, rice, "10")
    add(client, silk, "1")

    page = client.get(reverse("cart:detail")).content.decode()

    assert re.search(r"data-cart-count>2<", page)


def test_users_outside_any_company_get_no_cart_link_and_are_told_to_join_one(client, rice):
    user = UserFactory()
    client.force_login(user)
    add(client, rice, "10")

    page = client.get(reverse("cart:detail")).content.decode()

    assert "data-cart-count" not in page
    assert "Only members of a partner company can buy" in page and 'id="checkout-form"' not in page


# --- Anonymous visitors and sign-in ---------------------------------------------------------


def test_an_anonymous_visitor_adds_from_a_cached_product_page_twice(rice, django_assert_num_queries):
    """The product page reaches anonymous visitors from the shared page cache, which must not hold
    a CSRF token: its form GETs the add page, which asks with the visitor's own token."""
    first_visit = english_client()
    page = first_visit.get(rice.url).content.decode()
    action = re.search(r'<form[^>]*id="add-to-cart-form"[^>]*action="([^"]+)"[^>]*method="get"', page)
    assert action, page
    assert "csrfmiddlewaretoken" not in page

    # Visitor one follows the form: the add page, then the POST with their token.
    visitor = Client(enforce_csrf_checks=True)
    visitor.cookies["django_language"] = "en"
    ask = visitor.get(action.group(1), {"quantity": "10"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', ask.content.decode()).group(1)
    added = visitor.post(action.group(1), {"quantity": "10", "csrfmiddlewaretoken": token})
    assert added.status_code == 302

    # Visitor two is served the same page from the cache and can add too.
    second = Client(enforce_csrf_checks=True)
    second.cookies["django_language"] = "en"
    with django_assert_num_queries(0):
        cached = second.get(rice.url).content.decode()
    assert re.search(r'id="add-to-cart-form"[^>]*action="([^"]+)"', cached).group(1) == action.group(1)
    ask = second.get(action.group(1), {"quantity": "5"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', ask.content.decode()).group(1)
    assert second.post(action.group(1), {"quantity": "5", "csrfmiddlewaretoken": token}).status_code == 302

    carts_made = sorted(Cart.objects.filter(user__isnull=True).values_list("items__quantity", flat=True))
    assert carts_made == [Decimal("5"), Decimal("10")]


def test_a_signed_in_visitors_product_page_posts_with_their_token(client, purchaser, rice):
    client.force_login(purchaser)

    page = client.get(rice.url).content.decode()

    form = re.search(r'<form[^>]*id="add-to-cart-form".*?</form>', page, re.S).group(0)
    assert 'method="post"' in form and "csrfmiddlewaretoken" in form


def test_a_visitors_cart_joins_the_users_cart_at_sign_in_capped_by_what_is_available(rice_group, company):
    user = UserFactory(email="buyer@company.example")
    add_member(company, user, CompanyRole.PURCHASER)
    rice = make_product(rice_group, title="ข้าวกล้อง", available_quantity=Decimal("30"))
    beans = make_product(rice_group, title="ถั่วเขียว")
    signed_in = english_client()
    signed_in.force_login(user)
    add(signed_in, rice, "20")
    visitor = english_client()
    add(visitor, rice, "15")
    add(visitor, beans, "4")

    response = sign_in(visitor, user.email, PASSWORD)

    assert response.status_code == 302
    assert items_of(user) == {rice.pk: Decimal("30"), beans.pk: Decimal("4")}
    assert Cart.objects.count() == 1
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "“ข้าวกล้อง”: only 30 kilogram available, so your cart holds that much." in notes
