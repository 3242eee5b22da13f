"""Checkout (orders.checkout and the /cart/ checkout pages): one order per producer group under
one checkout and one Stripe Checkout Session, stock reserved in the same transaction and given
back when Stripe refuses, who may check out, who may see a checkout, and no oversell when many
check out at once (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
import stripe
from django.db import connection
from django.urls import reverse
from django.utils import translation

from buyers.models import CompanyRole
from cms.models import ProductPage
from marketplace.models import AuditEvent
from orders import cart as carts
from orders import gateway
from orders.checkout import CheckoutRefused, checkout_start
from orders.models import Cart, Checkout, Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from orders.stripe_fake import FAKE
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.orders import make_product


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


def stock_of(product) -> Decimal:
    return ProductPage.objects.values_list("available_quantity", flat=True).get(pk=product.pk)


def fill_cart(user, *lines) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    for product, quantity in lines:
        carts.cart_add(cart=cart, product=product, quantity=Decimal(quantity))
    return cart


def start(cart, company, user):
    return checkout_start(
        cart=cart,
        company=company,
        user=user,
        success_url_builder=lambda c: f"https://shop.example/cart/checkouts/{c.reference}/",
        cancel_url_builder=lambda c: f"https://shop.example/cart/checkouts/{c.reference}/cancel/",
    )


def session_requests():
    return [request for request in FAKE.requests if request.path == "/v1/checkout/sessions"]


# --- The happy path ---------------------------------------------------------------------------


def test_checkout_makes_one_order_per_group_under_one_checkout_and_one_session(
    company, purchaser, rice, silk, rice_group, silk_group
):
    broken_rice = make_product(rice_group, title="ข้าวหัก", price=Decimal("25.50"))
    cart = fill_cart(purchaser, (rice, "10"), (silk, "2"), (broken_rice, "3"))

    checkout = start(cart, company, purchaser)

    assert checkout.reference.startswith("CK-") and checkout.total == Decimal("7676.50")
    assert checkout.status == Checkout.Status.OPEN and checkout.stripe_session_id.startswith("cs_")
    assert checkout.stripe_session_url and checkout.expires_at is not None
    orders = list(checkout.orders.order_by("group_id"))
    assert [order.group for order in orders] == [rice_group, silk_group]
    for order in orders:
        assert order.number.startswith("MO-") and order.kind == Order.Kind.MARKETPLACE
        assert (order.status, order.payment_status) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.UNPAID)
        assert order.company == company and order.placed_by == purchaser
        assert list(order.events.values_list("from_status", "to_status")) == [("", OrderStatus.PENDING_PAYMENT)]
    assert [order.total for order in orders] == [Decimal("676.50"), Decimal("7000.00")]
    rice_lines = list(orders[0].lines.values_list("product_name", "unit", "unit_price", "quantity"))
    assert rice_lines == [
        ("ข้าวหอมมะลิอินทรีย์", "kg", Decimal("60.00"), Decimal("10")),
        ("ข้าวหัก", "kg", Decimal("25.50"), Decimal("3")),
    ]
    # One session, for the whole cart, in satang.
    [request] = session_requests()
    assert request.idempotency_key == f"checkout-{checkout.reference}"
    params = request.params
    assert params["currency"] == "thb" and params["metadata"] == {"checkout": checkout.reference}
    assert sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in params["line_items"]) == 767650
    assert params["success_url"] == f"https://shop.example/cart/checkouts/{checkout.reference}/"
    assert AuditEvent.objects.filter(action="checkout.created").count() == 1
    assert AuditEvent.objects.filter(action="order.placed").count() == 2


def test_checkout_reserves_the_stock_and_empties_the_cart(company, purchaser, rice, silk):
    cart = fill_cart(purchaser, (rice, "10"), (silk, "2"))
    rice_before, silk_before = stock_of(rice), stock_of(silk)

    start(cart, company, purchaser)

    assert stock_of(rice) == rice_before - 10 and stock_of(silk) == silk_before - 2
    assert not cart.items.exists()


def test_the_checkout_view_sends_the_buyer_to_the_payment_page(client, company, purchaser, rice):
    fill_cart(purchaser, (rice, "10"))
    client.force_login(purchaser)

    response = client.post(reverse("cart:checkout"))

    checkout = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"] == checkout.stripe_session_url
    request = session_requests()[0]
    assert request.params["success_url"].endswith(reverse("cart:checkout_detail", args=[checkout.reference]))
    page = client.get(reverse("cart:checkout_detail", args=[checkout.reference]))
    assert page.status_code == 200
    assert 'data-checkout-status="open"' in page.content.decode()
    order = checkout.orders.get()
    assert reverse("buyers:order_detail", args=[order.pk]) in page.content.decode()


def test_a_user_with_several_companies_chooses_the_one_to_buy_for(client, company, purchaser, rice):
    second = CompanyFactory()
    add_member(second, purchaser, CompanyRole.ADMIN)
    fill_cart(purchaser, (rice, "10"))
    client.force_login(purchaser)

    unchosen = client.post(reverse("cart:checkout"))
    assert unchosen.status_code == 200 and not Checkout.objects.exists()
    assert unchosen.context["procurement"].errors["company"]

    client.post(reverse("cart:checkout"), {"company": second.pk})
    assert Checkout.objects.get().company == second


def test_cancelling_on_the_payment_page_brings_the_goods_back_to_the_cart(client, company, purchaser, rice):
    fill_cart(purchaser, (rice, "10"))
    client.force_login(purchaser)
    client.post(reverse("cart:checkout"))
    checkout = Checkout.objects.get()

    response = client.get(reverse("cart:checkout_cancel", args=[checkout.reference]))

    assert response["Location"] == reverse("cart:detail")
    assert list(Cart.objects.get(user=purchaser).items.values_list("product_id", "quantity")) == [
        (rice.pk, Decimal("10"))
    ]


# --- Refusals ---------------------------------------------------------------------------------


def test_a_user_without_a_company_is_refused_and_told_to_join_one(client, rice):
    user = UserFactory()
    fill_cart(user, (rice, "10"))
    client.force_login(user)

    response = client.post(reverse("cart:checkout"), follow=True)

    assert "Only members of a partner company can buy" in response.content.decode()
    assert not Checkout.objects.exists() and stock_of(rice) == Decimal("500")


def test_a_viewer_cannot_buy_for_their_company(company, viewer, rice):
    cart = fill_cart(viewer, (rice, "10"))

    with pytest.raises(CheckoutRefused):
        start(cart, company, viewer)

    assert not Checkout.objects.exists()


def test_a_line_that_no_longer_fits_stops_the_whole_checkout(company, purchaser, rice, silk):
    cart = fill_cart(purchaser, (rice, "10"), (silk, "2"))
    ProductPage.objects.filter(pk=silk.pk).update(available_quantity=Decimal("1"))

    with pytest.raises(CheckoutRefused) as refused:
        start(cart, company, purchaser)

    assert refused.value.messages == ["“ผ้าไหมแพรวา”: only 1 metre available."]
    assert not Checkout.objects.exists() and not Order.objects.exists()
    assert stock_of(rice) == Decimal("500") and cart.items.count() == 2


def test_when_someone_else_took_the_stock_first_nothing_is_reserved(company, purchaser, rice, silk, monkeypatch):
    """The stock is taken after the orders are written: a take that fails rolls everything back."""
    cart = fill_cart(purchaser, (rice, "10"), (silk, "2"))
    real_take = __import__("orders.stock", fromlist=["take"]).take

    def take(product_id, quantity):
        if product_id == silk.pk:
            ProductPage.objects.filter(pk=silk.pk).update(available_quantity=Decimal("1"))
        return real_take(product_id, quantity)

    monkeypatch.setattr("orders.stock.take", take)

    with pytest.raises(CheckoutRefused) as refused:
        start(cart, company, purchaser)

    assert "ผ้าไหมแพรวา" in refused.value.messages[0] and "only 1 metre" in refused.value.messages[0]
    assert not Checkout.objects.exists() and not Order.objects.exists() and not OrderLine.objects.exists()
    assert stock_of(rice) == Decimal("500")
    assert not session_requests()


def test_a_total_under_ten_baht_fails_releases_the_stock_and_keeps_the_cart(company, purchaser, rice_group):
    candy = make_product(rice_group, title="ลูกอม", price=Decimal("2.00"), min_order_quantity=Decimal("1"))
    cart = fill_cart(purchaser, (candy, "3"))

    with pytest.raises(CheckoutRefused) as refused:
        start(cart, company, purchaser)

    assert any("at least ฿10.00" in message for message in refused.value.messages)
    checkout = Checkout.objects.get()
    assert checkout.status == Checkout.Status.FAILED and checkout.stock_released_at is not None
    order = checkout.orders.get()
    assert order.status == OrderStatus.CANCELLED
    assert list(order.events.values_list("to_status", flat=True)) == [
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
    ]
    assert stock_of(candy) == Decimal("500")
    assert list(cart.items.values_list("product_id", "quantity")) == [(candy.pk, Decimal("3"))]


def test_stripe_being_unreachable_fails_the_checkout_and_shows_why(client, company, purchaser, rice, monkeypatch):
    class Down:
        def create_checkout_session(self, **kwargs):
            raise stripe.APIConnectionError("Could not connect to Stripe")

    monkeypatch.setattr(gateway, "get_gateway", lambda: Down())
    fill_cart(purchaser, (rice, "10"))
    client.force_login(purchaser)

    response = client.post(reverse("cart:checkout"), follow=True)

    assert "The payment page could not be opened" in response.content.decode()
    assert Checkout.objects.get().status == Checkout.Status.FAILED
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert stock_of(rice) == Decimal("500")
    assert Cart.objects.get(user=purchaser).items.count() == 1


# --- Who sees a checkout ----------------------------------------------------------------------


def test_company_a_cannot_see_company_bs_checkout(client, company, purchaser, rice):
    checkout = start(fill_cart(purchaser, (rice, "10")), company, purchaser)
    stranger = UserFactory()
    add_member(CompanyFactory(), stranger, CompanyRole.ADMIN)
    client.force_login(stranger)

    assert client.get(reverse("cart:checkout_detail", args=[checkout.reference])).status_code == 404
    assert client.get(reverse("cart:checkout_cancel", args=[checkout.reference])).status_code == 404


def test_a_colleague_sees_the_checkout_and_its_orders(client, company, purchaser, viewer, rice, silk):
    checkout = start(fill_cart(purchaser, (rice, "10"), (silk, "1")), company, purchaser)
    client.force_login(viewer)

    response = client.get(reverse("cart:checkout_detail", args=[checkout.reference]))

    assert response.status_code == 200
    assert [order.number for order in response.context["orders"]] == list(
        checkout.orders.order_by("pk").values_list("number", flat=True)
    )


# --- Races (PostgreSQL) -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_checkouts_never_sell_more_than_the_stock(rice_group):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections checking out at once")
    FAKE.reset()
    company = CompanyFactory()
    product = make_product(rice_group, title="ข้าวเหนียว", available_quantity=Decimal("50"))
    other = make_product(rice_group, title="ข้าวกล้อง", available_quantity=Decimal("1000"))
    contenders = 8  # each wants 10 of the 50 (and some of the other product): exactly 5 win
    buyers = []
    for n in range(contenders):
        user = UserFactory(email=f"racer{n}@company.example")
        add_member(company, user, CompanyRole.PURCHASER)
        # Half take the products in the other order, to show the takes cannot deadlock.
        lines = [(product, "10"), (other, "5")] if n % 2 else [(other, "5"), (product, "10")]
        buyers.append((user, fill_cart(user, *lines)))
    start_line = threading.Barrier(contenders)
    won, lost, crashed = [], [], []

    def check_out(user, cart):
        try:
            translation.activate("en")
            start_line.wait()
            try:
                won.append(start(cart, company, user))
            except CheckoutRefused as error:
                lost.append(error.messages)
        except Exception as error:
            crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=check_out, args=buyer) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashed == []
    assert len(won) == 5 and len(lost) == contenders - 5
    assert stock_of(product) == Decimal("0")
    assert stock_of(other) == Decimal("1000") - 5 * 5
    assert all("ข้าวเหนียว" in messages[0] for messages in lost)
    assert Checkout.objects.count() == 5 and OrderLine.objects.filter(product=product).count() == 5
    assert len(session_requests()) == 5
    FAKE.reset()


def test_order_events_of_a_checkout_name_the_buyer(company, purchaser, rice):
    checkout = start(fill_cart(purchaser, (rice, "10")), company, purchaser)

    assert OrderEvent.objects.get(order__checkout=checkout).actor == purchaser
