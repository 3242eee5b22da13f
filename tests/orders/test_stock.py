"""Stock (orders.stock and the “Update stock” admin view): who may correct the figure, what the
page shows, and that a page revision never brings an old figure back."""

from decimal import Decimal

import pytest
from django.urls import reverse

from buyers.models import CompanyRole
from cms.models import ProductPage
from marketplace.models import AuditEvent
from orders import cart as carts
from orders import stock
from orders.models import Cart, Checkout
from orders.stripe_fake import FAKE
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member
from tests.factories.households import assign
from tests.helpers import give_totp


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield
    FAKE.reset()


def stock_url(product) -> str:
    return reverse("orders_admin:stock_update", args=[product.pk])


def stock_of(product) -> Decimal:
    return ProductPage.objects.values_list("available_quantity", flat=True).get(pk=product.pk)


def test_the_groups_manager_sets_the_stock_with_a_reason(client, rice_manager, rice):
    client.force_login(rice_manager)

    response = client.post(stock_url(rice), {"quantity": "120.5", "reason": "Counted at the storehouse"})

    assert response.status_code == 302
    assert stock_of(rice) == Decimal("120.5")
    event = AuditEvent.objects.get(action="product.stock_set")
    assert event.actor == rice_manager
    assert event.details == {"from": "500.000", "to": "120.5", "reason": "Counted at the storehouse"}


def test_a_reason_is_required_and_a_negative_figure_refused(client, rice_manager, rice):
    client.force_login(rice_manager)

    no_reason = client.post(stock_url(rice), {"quantity": "10", "reason": ""})
    negative = client.post(stock_url(rice), {"quantity": "-1", "reason": "typo"})

    assert no_reason.status_code == negative.status_code == 200
    assert stock_of(rice) == Decimal("500")


def test_a_coordinator_of_the_area_may_update_the_stock(client, coordinator_user, rice):
    client.force_login(coordinator_user)

    assert client.get(stock_url(rice)).status_code == 200


@pytest.mark.parametrize("who", ["silk_manager", "other_area_coordinator", "treasurer"])
def test_others_in_the_admin_get_a_404(client, who, rice, rice_group, silk_manager):
    from producers import services as producer_services
    from producers.models import GroupMembership

    if who == "silk_manager":
        user = silk_manager
    elif who == "other_area_coordinator":
        user = UserFactory()
        assign(user, province_code="45")
        give_totp(user)
    else:
        user = UserFactory()
        producer_services.membership_grant(user=user, group=rice_group, role=GroupMembership.Role.TREASURER)
    client.force_login(user)

    assert client.get(stock_url(rice)).status_code == 404
    assert client.post(stock_url(rice), {"quantity": "1", "reason": "x"}).status_code == 404
    assert stock_of(rice) == Decimal("500")


def test_a_company_user_cannot_reach_the_admin_view(client, purchaser, rice):
    client.force_login(purchaser)

    response = client.post(stock_url(rice), {"quantity": "1", "reason": "x"})

    assert response.status_code in (302, 403, 404)
    assert stock_of(rice) == Decimal("500")


def test_the_page_shows_the_current_figure_and_what_open_checkouts_hold(client, rice_manager, rice, company, purchaser):
    from orders.checkout import checkout_start

    cart = Cart.objects.create(user=purchaser)
    carts.cart_add(cart=cart, product=rice, quantity=Decimal("30"))
    checkout_start(
        cart=cart,
        company=company,
        user=purchaser,
        success_url_builder=lambda c: "https://shop.example/ok/",
        cancel_url_builder=lambda c: "https://shop.example/cancel/",
    )
    client.force_login(rice_manager)

    response = client.get(stock_url(rice))

    assert response.context["current"] == Decimal("470")
    assert response.context["reserved"] == Decimal("30")
    stock.release_checkout(Checkout.objects.get())
    assert client.get(stock_url(rice)).context["reserved"] == Decimal("0")


def test_the_product_header_offers_update_stock_to_those_allowed_only(rice_manager, silk_manager, rice, silk):
    from orders.wagtail_hooks import stock_button

    def urls(page, user):
        return [button.url for button in stock_button(page, user, "edit")]

    assert urls(rice, rice_manager) == [stock_url(rice)]
    assert urls(rice, silk_manager) == []
    assert urls(rice.get_parent(), rice_manager) == []  # the group's page is not a product


def test_publishing_an_older_revision_does_not_bring_back_its_stock(rice, rice_manager):
    old_revision = rice.save_revision()  # drafted while 500 were there
    stock.take(rice.pk, Decimal("120"))  # then a checkout took 120

    old_revision.publish()

    assert stock_of(rice) == Decimal("380")
    assert old_revision.as_object().available_quantity == Decimal("500")  # the revision keeps its copy
    assert ProductPage.objects.get(pk=rice.pk).with_content_json(old_revision.content).available_quantity == Decimal(
        "380"
    )


def test_saving_a_stale_page_object_keeps_the_stock_the_database_has(rice):
    stale = ProductPage.objects.get(pk=rice.pk)
    stock.stock_set(product=rice, quantity=Decimal("42"), actor=None, reason="counted")

    stale.title = "ข้าวหอมมะลิอินทรีย์ ใหม่"
    stale.save()

    assert stock_of(rice) == Decimal("42")


def test_a_company_member_adding_beyond_new_stock_is_refused(client, rice, rice_manager, company):
    user = UserFactory()
    add_member(company, user, CompanyRole.PURCHASER)
    stock.stock_set(product=rice, quantity=Decimal("5"), actor=rice_manager, reason="sold at the market")
    client.force_login(user)

    response = client.post(reverse("cart:add", args=[rice.pk]), {"quantity": "6"})

    assert response.status_code == 400
