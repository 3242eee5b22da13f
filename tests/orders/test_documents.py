"""Receipts and invoices for print: the group's and the buyer's details, amount in words,
Buddhist-era dates, VAT only for VAT-registered groups, and only for the order's parties."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from buyers.models import CompanyRole
from orders import services
from orders.documents import vat_included
from orders.models import Delivery, DeliveryLine, Invoice
from orders.stripe_fake import FAKE
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member
from tests.factories.orders import confirmed_call_off, paid_marketplace_order


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def receipt_order(company, purchaser, rice, rice_group):
    """12.5 kg × ฿60 = ฿750.00, paid."""
    rice_group.registration_number = "4601-0001/2560"
    rice_group.save(update_fields=["registration_number"])
    return paid_marketplace_order(company=company, lines=[(rice, "12.5")], placed_by=purchaser)


@pytest.fixture
def invoice(agreement, purchaser, rice_manager):
    active = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = active.lines.order_by("pk").first()
    order = confirmed_call_off(active, {rice_line: "20"}, placed_by=purchaser, manager=rice_manager)
    delivery = Delivery.objects.create(order=order, number="DL-TEST-1", delivered_on=timezone.localdate())
    DeliveryLine.objects.create(
        delivery=delivery,
        order_line=order.lines.get(),
        quantity=Decimal("20"),
        accepted_quantity=Decimal("20"),
        rejected_quantity=Decimal("0"),
    )
    return Invoice.objects.create(
        order=order,
        delivery=delivery,
        number="INV-2611-000001",
        amount=Decimal("1100.00"),
        status=Invoice.Status.OPEN,
        due_date=datetime.date(2026, 12, 26),
        issued_at=timezone.make_aware(datetime.datetime(2026, 11, 26, 10, 0)),
        hosted_invoice_url="https://invoice.stripe.test/i/abc",
    )


def test_vat_is_seven_one_hundred_and_sevenths_rounded_to_the_satang():
    assert vat_included(Decimal("107.00")) == Decimal("7.00")
    assert vat_included(Decimal("750.00")) == Decimal("49.07")  # 49.065… rounds half up
    assert vat_included(Decimal("0.01")) == Decimal("0.00")


def test_a_receipt_without_vat_for_a_group_not_registered(client, receipt_order, purchaser):
    client.force_login(purchaser)

    response = client.get(reverse("buyers:order_receipt", args=[receipt_order.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "เจ็ดร้อยห้าสิบบาทถ้วน" in page  # ฿750.00 in words
    assert "data-vat" not in page
    assert "4601-0001/2560" in page and receipt_order.company.tax_id in page
    assert "฿750.00" in page and receipt_order.number in page


def test_a_vat_registered_group_shows_the_vat_included(client, receipt_order, purchaser, rice_group):
    rice_group.vat_registered = True
    rice_group.save(update_fields=["vat_registered"])
    client.force_login(purchaser)

    page = client.get(reverse("buyers:order_receipt", args=[receipt_order.pk])).content.decode()

    assert "data-vat>฿49.07<" in page
    assert "data-net>฿700.93<" in page
    assert "Tax invoice / receipt" in page


def test_the_invoice_page_has_buddhist_era_dates_and_words(client, invoice, purchaser):
    client.cookies["django_language"] = "th"
    client.force_login(purchaser)

    page = client.get(reverse("buyers:invoice", args=[invoice.pk])).content.decode()

    assert "INV-2611-000001" in page
    assert "2569" in page  # 26 Dec 2026 → พ.ศ. 2569
    assert "หนึ่งพันหนึ่งร้อยบาทถ้วน" in page
    assert "https://invoice.stripe.test/i/abc" in page


def test_documents_for_the_parties_only(client, invoice, receipt_order, rice_manager, other_company, coordinator_user):
    outsider = UserFactory(email="other.buyer@example.com")
    add_member(other_company, outsider, CompanyRole.ADMIN)
    other_manager = UserFactory(email="other.manager@example.org")
    producer_services.membership_grant(
        user=other_manager,
        group=receipt_order.group.__class__.objects.create(
            code="OTHER-GRP",
            institution=receipt_order.group.institution,
            name_th="กลุ่มอื่น",
            province_code="46",
            district_code="4601",
        ),
        role=GroupMembership.Role.MANAGER,
    )
    urls = [reverse("buyers:invoice", args=[invoice.pk]), reverse("buyers:order_receipt", args=[receipt_order.pk])]

    for user in (outsider, other_manager):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [404, 404]
    for user in (rice_manager, coordinator_user):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [200, 200]


def test_no_receipt_for_an_unpaid_order_or_a_call_off(client, invoice, purchaser):
    client.force_login(purchaser)
    assert client.get(reverse("buyers:order_receipt", args=[invoice.order_id])).status_code == 404
