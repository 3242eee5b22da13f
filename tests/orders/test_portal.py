import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.models import AgreementLine, Order, OrderStatus
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member
from tests.factories.orders import active_agreement


@pytest.fixture
def active(agreement):
    return services.agreement_activate(agreement=agreement, actor=None)


def test_a_purchaser_sees_the_agreement_with_its_performance(client, purchaser, active):
    client.force_login(purchaser)

    page = client.get(reverse("buyers:agreement_detail", args=[active.pk])).content.decode()

    assert active.code in page and "ข้าวหอมมะลิอินทรีย์" in page
    assert 'data-agreement-state="active"' in page
    assert 'id="place-call-off"' in page


def test_the_call_off_form_starts_empty_and_fills_what_remains_within_the_maximum(client, purchaser, active):
    rice_line, silk_line = active.lines.order_by("pk")
    client.force_login(purchaser)
    url = reverse("buyers:call_off", args=[active.pk])

    response = client.get(url)
    form = response.context["form"]
    assert form[f"line_{rice_line.pk}"].value() in (None, "")  # a careless submit orders nothing
    page = response.content.decode()
    assert "data-total>฿0.00<" in page and "<progress" in page

    # "Fill what remains" without JavaScript: the form again with the line filled, nothing ordered.
    response = client.post(url, {"fill": str(rice_line.pk), f"line_{silk_line.pk}": "2"})
    assert response.status_code == 200 and not Order.objects.exists()
    form = response.context["form"]
    assert form[f"line_{rice_line.pk}"].value() == "60"  # 100 remain, at most 60 per call-off
    assert form[f"line_{silk_line.pk}"].value() == "2"
    # 60 kg × ฿55 + 2 m × ฿3,200
    assert "data-total>฿9,700.00<" in response.content.decode()


def test_submitting_the_empty_form_orders_nothing(client, purchaser, active):
    client.force_login(purchaser)
    response = client.post(reverse("buyers:call_off", args=[active.pk]), {"note": ""})
    assert response.status_code == 200 and not Order.objects.exists()


def test_placing_a_call_off_from_the_portal(client, purchaser, active, rice_manager):
    rice_line, silk_line = active.lines.order_by("pk")
    client.force_login(purchaser)

    response = client.post(
        reverse("buyers:call_off", args=[active.pk]),
        {f"line_{rice_line.pk}": "๒๐", f"line_{silk_line.pk}": "0", "note": "ส่งก่อนสิ้นเดือน"},
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.lines.get().quantity == Decimal("20") and order.buyer_note == "ส่งก่อนสิ้นเดือน"
    page = client.get(reverse("buyers:agreement_detail", args=[active.pk])).content.decode()
    assert order.number in page
    assert AgreementLine.objects.with_quantities().get(pk=rice_line.pk).remaining_quantity == Decimal("80")


def test_the_form_shows_why_a_call_off_is_refused(client, purchaser, active):
    rice_line, silk_line = active.lines.order_by("pk")
    client.force_login(purchaser)

    response = client.post(
        reverse("buyers:call_off", args=[active.pk]), {f"line_{rice_line.pk}": "0", f"line_{silk_line.pk}": "21"}
    )

    assert response.status_code == 200
    assert "“ผ้าไหมแพรวา”: only 20 metre remaining." in response.content.decode()
    assert not Order.objects.exists()


def test_a_viewer_cannot_place_call_offs(client, viewer, active):
    rice_line, _ = active.lines.order_by("pk")
    client.force_login(viewer)

    page = client.get(reverse("buyers:agreement_detail", args=[active.pk])).content.decode()
    assert 'id="place-call-off"' not in page
    assert client.get(reverse("buyers:call_off", args=[active.pk])).status_code == 404
    assert client.post(reverse("buyers:call_off", args=[active.pk]), {f"line_{rice_line.pk}": "10"}).status_code == 404
    assert not Order.objects.exists()


def test_company_a_gets_404_on_company_b_agreements_and_orders(client, purchaser, other_company):
    theirs = active_agreement(company=other_company)
    their_buyer = UserFactory()
    add_member(other_company, their_buyer, "purchaser")
    [their_order] = services.call_off_place(
        agreement=theirs, quantities={theirs.lines.get().pk: Decimal("5")}, placed_by=their_buyer
    )
    client.force_login(purchaser)

    for url in (
        reverse("buyers:agreement_detail", args=[theirs.pk]),
        reverse("buyers:agreement_csv", args=[theirs.pk]),
        reverse("buyers:call_off", args=[theirs.pk]),
        reverse("buyers:order_detail", args=[their_order.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("buyers:order_cancel", args=[their_order.pk])).status_code == 404
    assert their_order.number not in client.get(reverse("buyers:order_list")).content.decode()
    assert theirs.code not in client.get(reverse("buyers:agreement_list")).content.decode()
    their_order.refresh_from_db()
    assert their_order.status == OrderStatus.PLACED


def test_drafts_are_not_shown_to_buyers(client, purchaser, agreement):
    client.force_login(purchaser)
    assert client.get(reverse("buyers:agreement_detail", args=[agreement.pk])).status_code == 404


def test_a_purchaser_cancels_before_confirmation(client, purchaser, active):
    rice_line, _ = active.lines.order_by("pk")
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("10")}, placed_by=purchaser)
    client.force_login(purchaser)
    assert 'id="cancel-order-form"' in client.get(reverse("buyers:order_detail", args=[order.pk])).content.decode()

    client.post(reverse("buyers:order_cancel", args=[order.pk]), {"note": "เปลี่ยนใจ"})

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert AgreementLine.objects.with_quantities().get(pk=rice_line.pk).remaining_quantity == Decimal("100")


def test_a_viewer_cannot_cancel(client, purchaser, viewer, active):
    rice_line, _ = active.lines.order_by("pk")
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("10")}, placed_by=purchaser)
    client.force_login(viewer)

    assert client.post(reverse("buyers:order_cancel", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_the_performance_csv(client, purchaser, active):
    rice_line, _ = active.lines.order_by("pk")
    services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("25.5")}, placed_by=purchaser)
    client.force_login(purchaser)

    response = client.get(reverse("buyers:agreement_csv", args=[active.pk]))

    rows = [line.split(",") for line in response.content.decode("utf-8-sig").strip().splitlines()]
    assert rows[0][:5] == ["product", "unit", "unit_price", "committed", "ordered"]
    assert rows[1] == [
        "ข้าวหอมมะลิอินทรีย์",
        "kg",
        "55.00",
        "100.000",
        "25.500",
        "0.000",
        "0.000",
        "0.000",
        "0.000",
        "74.500",
        "0.0",
    ]


def test_the_agreement_page_query_count_is_bounded(client, purchaser, active, django_assert_max_num_queries):
    for line in active.lines.all():
        services.call_off_place(agreement=active, quantities={line.pk: Decimal("10")}, placed_by=purchaser)
    client.force_login(purchaser)
    with django_assert_max_num_queries(30):
        client.get(reverse("buyers:agreement_detail", args=[active.pk]))


# --- Deliveries, acceptance and invoices in the portal ----------------------------------------


@pytest.fixture
def delivered(active, purchaser, rice_manager):
    """A confirmed rice call-off of 20 kg with one delivery of 20 awaiting acceptance."""
    from django.utils import timezone

    from orders import fulfilment
    from tests.factories.orders import confirmed_call_off

    rice_line = active.lines.order_by("pk").first()
    order = confirmed_call_off(active, {rice_line: "20"}, placed_by=purchaser, manager=rice_manager)
    fulfilment.delivery_record(
        order=order,
        quantities={order.lines.get().pk: Decimal("20")},
        delivered_on=timezone.localdate(),
        actor=rice_manager,
    )
    return order.deliveries.get()


def test_a_purchaser_accepts_a_delivery_with_a_rejection(
    client, purchaser, delivered, django_capture_on_commit_callbacks
):
    from orders.models import Delivery, Invoice
    from orders.stripe_fake import FAKE

    FAKE.reset()
    line = delivered.lines.get()
    client.force_login(purchaser)
    url = reverse("buyers:order_detail", args=[delivered.order_id])
    assert 'class="acceptance-form"' in client.get(url).content.decode()
    prefix = f"delivery-{delivered.pk}-"

    missing_reason = client.post(
        reverse("buyers:delivery_accept", args=[delivered.pk]),
        {f"{prefix}accepted_{line.pk}": "18", f"{prefix}rejected_{line.pk}": "2"},
    )
    assert missing_reason.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("buyers:delivery_accept", args=[delivered.pk]),
            {
                f"{prefix}accepted_{line.pk}": "18",
                f"{prefix}rejected_{line.pk}": "2",
                f"{prefix}reason_{line.pk}": "เมล็ดหัก",
            },
        )

    assert response.status_code == 302
    delivered.refresh_from_db()
    assert delivered.status == Delivery.Status.ACCEPTED
    invoice = Invoice.objects.get(delivery=delivered)
    page = client.get(url).content.decode()
    assert invoice.number in page and invoice.hosted_invoice_url in page
    assert 'class="acceptance-form"' not in page
    FAKE.reset()


def test_a_viewer_sees_deliveries_but_cannot_accept(client, viewer, delivered):
    line = delivered.lines.get()
    client.force_login(viewer)

    assert (
        'class="acceptance-form"'
        not in client.get(reverse("buyers:order_detail", args=[delivered.order_id])).content.decode()
    )
    response = client.post(
        reverse("buyers:delivery_accept", args=[delivered.pk]), {f"delivery-{delivered.pk}-accepted_{line.pk}": "20"}
    )
    assert response.status_code == 404


def test_company_b_cannot_see_or_accept_company_as_delivery(client, delivered, other_company):
    from orders.models import Delivery

    outsider = UserFactory()
    add_member(other_company, outsider, "purchaser")
    line = delivered.lines.get()
    client.force_login(outsider)

    assert client.get(reverse("buyers:order_detail", args=[delivered.order_id])).status_code == 404
    assert client.get(reverse("buyers:delivery_photo", args=[delivered.pk])).status_code == 404
    response = client.post(
        reverse("buyers:delivery_accept", args=[delivered.pk]), {f"delivery-{delivered.pk}-accepted_{line.pk}": "20"}
    )
    assert response.status_code == 404
    assert Delivery.objects.get(pk=delivered.pk).status == Delivery.Status.AWAITING


def test_a_confirmed_order_shows_no_cancel_button_to_the_buyer(client, purchaser, delivered):
    client.force_login(purchaser)
    page = client.get(reverse("buyers:order_detail", args=[delivered.order_id])).content.decode()
    assert 'id="cancel-order-form"' not in page


def test_the_order_page_query_count_is_bounded(client, purchaser, delivered, django_assert_max_num_queries):
    client.force_login(purchaser)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("buyers:order_detail", args=[delivered.order_id])).status_code == 200


def test_each_agreement_line_has_one_progress_bar_from_ordered_to_paid(client, purchaser, active, rice_manager):
    from tests.factories.orders import confirmed_call_off

    rice_line, _silk_line = active.lines.order_by("pk")
    confirmed_call_off(active, {rice_line: "25"}, placed_by=purchaser, manager=rice_manager)
    client.force_login(purchaser)
    page = client.get(reverse("buyers:agreement_detail", args=[active.pk])).content.decode()
    card = page.split(f'data-line="{rice_line.pk}"')[1].split("</li>")[0]
    assert 'class="performance-bar"' in card
    shares = dict(re.findall(r'data-stage="(\w+)" data-share="([\d.]+)"', card))
    assert shares == {"ordered": "25.0", "delivered": "0.0", "accepted": "0.0", "paid": "0.0"}  # 25 of 100 kg
