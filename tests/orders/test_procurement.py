"""Procurement details on orders: the buyer's PO number (required when the company says so), a
delivery address of the company (one default) and a required-by date; carried into orders, the
group's e-mail, invoices, the buyer's CSV, the group's export and the JSON API."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from buyers import services as buyer_services
from buyers.models import DeliveryAddress
from buyers.procurement import Procurement, ProcurementForm, procurement_from
from marketplace.models import AuditEvent
from orders import services
from orders.models import Checkout, Order
from orders.stripe_fake import FAKE
from tests.api.conftest import ApiClient, make_key
from tests.factories.buyers import CompanyFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def addresses(company, company_admin):
    warehouse = buyer_services.address_save(
        address=DeliveryAddress(company=company, label="คลังบางนา", recipient="แผนกรับสินค้า", address="99 บางนา"),
        actor=company_admin,
    )
    shop = buyer_services.address_save(
        address=DeliveryAddress(company=company, label="สาขาขอนแก่น", address="12 มิตรภาพ"), actor=company_admin
    )
    return warehouse, shop


@pytest.fixture
def active(agreement):
    return services.agreement_activate(agreement=agreement, actor=None)


# --- The rules ------------------------------------------------------------------------------


def test_the_first_address_is_the_default_and_a_new_default_takes_over(company, addresses, company_admin):
    warehouse, shop = addresses
    assert (warehouse.is_default, shop.is_default) == (True, False)

    buyer_services.address_make_default(address=shop, actor=company_admin)

    assert list(company.delivery_addresses.filter(is_default=True)) == [shop]
    buyer_services.address_delete(address=shop, actor=company_admin)
    assert list(company.delivery_addresses.filter(is_default=True)) == [warehouse]
    actions = set(AuditEvent.objects.filter(object_id=str(company.pk)).values_list("action", flat=True))
    assert {"company.address_added", "company.address_changed", "company.address_removed"} <= actions


def test_the_rules_refuse_a_missing_po_a_foreign_address_and_a_date_in_the_past(company, other_company):
    company.po_number_required = True
    company.save()
    foreign = DeliveryAddress.objects.create(company=other_company, label="X", address="x", is_default=True)

    with pytest.raises(ValidationError) as refused:
        procurement_from(
            company=company, po_number="  ", address=foreign, required_by=TODAY() - datetime.timedelta(days=1)
        )

    assert set(refused.value.message_dict) == {"po_number", "delivery_address", "required_by"}


def test_a_date_after_the_agreement_is_refused(company):
    with pytest.raises(ValidationError) as refused:
        procurement_from(
            company=company, required_by=TODAY() + datetime.timedelta(days=30), latest=TODAY() + datetime.timedelta(5)
        )
    assert "required_by" in refused.value.message_dict


def test_the_default_address_is_used_and_without_addresses_the_registered_one(company, addresses):
    chosen = procurement_from(company=company, po_number=" PO-1 ")
    assert chosen == Procurement(po_number="PO-1", delivery_address="คลังบางนา · แผนกรับสินค้า\n99 บางนา")

    company.delivery_addresses.all().delete()
    company.address = "1 ถนนสีลม"
    assert procurement_from(company=company).delivery_address == "1 ถนนสีลม"


def test_the_form_offers_the_company_addresses_with_the_default_chosen(company, addresses):
    form = ProcurementForm(companies=[company])
    assert form["delivery_address"].value() == addresses[0].pk
    assert form.has_addresses and form.fields["company"].widget.is_hidden


# --- Checkout -------------------------------------------------------------------------------


def _fill_cart(client, product, quantity="5"):
    client.post(reverse("cart:add", args=[product.pk]), {"quantity": quantity})


def test_checkout_carries_the_po_number_address_and_date_onto_the_orders(client, purchaser, rice, addresses):
    client.force_login(purchaser)
    _fill_cart(client, rice)
    page = client.get(reverse("cart:detail")).content.decode()
    assert 'name="po_number"' in page and "สาขาขอนแก่น" in page

    needed = TODAY() + datetime.timedelta(days=7)
    response = client.post(
        reverse("cart:checkout"),
        {"po_number": "PO-2569-0042", "delivery_address": addresses[1].pk, "required_by": needed.isoformat()},
    )

    assert response.status_code == 302
    order = Checkout.objects.get().orders.get()
    assert (order.po_number, order.delivery_address, order.required_by) == (
        "PO-2569-0042",
        "สาขาขอนแก่น\n12 มิตรภาพ",
        needed,
    )
    detail = client.get(reverse("buyers:order_detail", args=[order.pk])).content.decode()
    assert "PO-2569-0042" in detail and "12 มิตรภาพ" in detail


def test_checkout_without_a_required_po_number_shows_the_reason_and_keeps_the_cart(client, purchaser, company, rice):
    company.po_number_required = True
    company.save()
    client.force_login(purchaser)
    _fill_cart(client, rice)

    response = client.post(reverse("cart:checkout"), {"po_number": ""})

    assert response.status_code == 200 and not Checkout.objects.exists()
    assert response.context["procurement"].errors["po_number"]
    assert 'name="po_number"' in response.content.decode() and response.context["contents"]


def test_an_address_of_another_company_is_refused_at_checkout(client, purchaser, rice, other_company):
    foreign = DeliveryAddress.objects.create(company=other_company, label="X", address="x", is_default=True)
    client.force_login(purchaser)
    _fill_cart(client, rice)

    response = client.post(reverse("cart:checkout"), {"delivery_address": foreign.pk})

    assert response.status_code == 200 and not Checkout.objects.exists()
    assert response.context["procurement"].errors["delivery_address"]


# --- Call-offs, e-mails, invoices and exports -------------------------------------------------


def test_a_call_off_carries_them_to_the_group_email(
    client, purchaser, active, addresses, rice_manager, django_capture_on_commit_callbacks
):
    rice_line = active.lines.order_by("pk").first()
    client.force_login(purchaser)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("buyers:call_off", args=[active.pk]),
            {f"line_{rice_line.pk}": "20", "po_number": "PO-77", "required_by": TODAY().isoformat()},
        )

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.po_number == "PO-77" and order.delivery_address.startswith("คลังบางนา")
    body = "\n".join(message.body for message in mail.outbox)
    assert "PO-77" in body and "99 บางนา" in body


def test_a_call_off_date_after_the_agreement_ends_is_shown_next_to_the_field(client, purchaser, active):
    rice_line = active.lines.order_by("pk").first()
    client.force_login(purchaser)
    late = active.valid_to + datetime.timedelta(days=1)

    response = client.post(
        reverse("buyers:call_off", args=[active.pk]), {f"line_{rice_line.pk}": "20", "required_by": late.isoformat()}
    )

    assert response.status_code == 200 and not Order.objects.exists()
    assert response.context["procurement"].errors["required_by"]


def test_the_invoice_document_shows_the_po_number_and_where_the_goods_went(client, purchaser, company, active):
    from orders.models import Invoice

    rice_line = active.lines.order_by("pk").first()
    [order] = services.call_off_place(
        agreement=active,
        quantities={rice_line.pk: Decimal("20")},
        placed_by=purchaser,
        procurement=Procurement(po_number="PO-INV-9", delivery_address="ท่าเรือ 3"),
    )
    invoice = Invoice.objects.create(order=order, number="INV-PO-1", amount=Decimal("1100.00"))
    client.force_login(purchaser)

    page = client.get(reverse("buyers:invoice", args=[invoice.pk])).content.decode()

    assert "PO-INV-9" in page and "ท่าเรือ 3" in page


def test_the_orders_csv_has_the_procurement_columns_and_only_the_company_orders(
    client, purchaser, active, other_company
):
    rice_line = active.lines.order_by("pk").first()
    services.call_off_place(
        agreement=active,
        quantities={rice_line.pk: Decimal("20")},
        placed_by=purchaser,
        procurement=Procurement(po_number="=HYPERLINK(1)", delivery_address="คลัง", required_by=TODAY()),
    )
    foreign = CompanyFactory()
    Order.objects.create(number="CO-FOREIGN", kind="marketplace", company=foreign, group=rice_line.group)
    client.force_login(purchaser)

    response = client.get(reverse("buyers:order_csv"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["order"] for row in rows] == [Order.objects.get(agreement=active).number]
    row = rows[0]
    assert row["po_number"] == "'=HYPERLINK(1)"  # never a formula in the buyer's spreadsheet
    assert (row["delivery_address"], row["required_by"], row["quantity"]) == ("คลัง", TODAY().isoformat(), "20.000")


def test_the_group_export_of_incoming_orders_has_the_po_number(client, purchaser, active, rice_manager):
    rice_line = active.lines.order_by("pk").first()
    services.call_off_place(
        agreement=active,
        quantities={rice_line.pk: Decimal("20")},
        placed_by=purchaser,
        procurement=Procurement(po_number="PO-GROUP-1"),
    )
    client.force_login(rice_manager)

    response = client.get(reverse("incoming_orders:index") + "?export=csv")

    assert response.status_code == 200
    assert "PO-GROUP-1" in b"".join(response.streaming_content).decode("utf-8-sig")


# --- Managing addresses ---------------------------------------------------------------------


def test_a_company_admin_adds_an_address_and_sets_the_po_rule(client, company, company_admin):
    client.force_login(company_admin)
    url = reverse("buyers:addresses", args=[company.pk])

    client.post(url, {"label": "โกดัง", "address": "5 ถนนพหลโยธิน", "phone": "02-111-1111"})
    client.post(url, {"po_rule": "1", "po_number_required": "on"})

    address = company.delivery_addresses.get()
    assert address.is_default and address.label == "โกดัง"
    company.refresh_from_db()
    assert company.po_number_required


def test_a_purchaser_cannot_manage_addresses(client, company, purchaser, addresses):
    client.force_login(purchaser)
    assert client.get(reverse("buyers:addresses", args=[company.pk])).status_code == 404
    response = client.post(reverse("buyers:address_delete", args=[company.pk, addresses[0].pk]))
    assert response.status_code == 404 and company.delivery_addresses.count() == 2


# --- The JSON API ---------------------------------------------------------------------------


def test_the_api_places_a_call_off_with_procurement_details(company, purchaser, active, addresses):
    rice_line = active.lines.order_by("pk").first()
    api = ApiClient(make_key(company, ("read", "order"), created_by=purchaser)[1])

    listed = api.get("delivery-addresses").json()
    assert [entry["label"] for entry in listed] == ["คลังบางนา", "สาขาขอนแก่น"] and listed[0]["is_default"]

    response = api.post(
        f"agreements/{active.code}/calloffs",
        {
            "lines": [{"line_id": rice_line.pk, "quantity": 20}],
            "po_number": "ERP-1",
            "delivery_address_id": addresses[1].pk,
            "required_by": TODAY().isoformat(),
        },
        headers={"Idempotency-Key": "proc-1"},
    )

    assert response.status_code == 201, response.content
    [order] = response.json()["orders"]
    assert (order["po_number"], order["delivery_address"], order["required_by"]) == (
        "ERP-1",
        "สาขาขอนแก่น\n12 มิตรภาพ",
        TODAY().isoformat(),
    )


def test_the_api_refuses_another_company_address_and_a_missing_required_po(company, purchaser, active, other_company):
    rice_line = active.lines.order_by("pk").first()
    foreign = DeliveryAddress.objects.create(company=other_company, label="X", address="x", is_default=True)
    api = ApiClient(make_key(company, ("read", "order"), created_by=purchaser)[1])
    body = {"lines": [{"line_id": rice_line.pk, "quantity": 20}], "delivery_address_id": foreign.pk}

    assert api.post(f"agreements/{active.code}/calloffs", body, headers={"Idempotency-Key": "a"}).status_code == 409

    company.po_number_required = True
    company.save()
    body = {"lines": [{"line_id": rice_line.pk, "quantity": 20}]}
    assert api.post(f"agreements/{active.code}/calloffs", body, headers={"Idempotency-Key": "b"}).status_code == 409
    assert not Order.objects.exists()


def test_the_schema_documents_the_procurement_fields():
    from api.base import api

    schema = api.get_openapi_schema()
    call_off = schema["components"]["schemas"]["CallOffIn"]["properties"]
    assert {"po_number", "delivery_address_id", "required_by"} <= set(call_off)
    assert {"po_number", "delivery_address", "required_by"} <= set(
        schema["components"]["schemas"]["OrderOut"]["properties"]
    )
