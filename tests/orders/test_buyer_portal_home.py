"""The buyer portal's home is what needs doing (orders.buyer_todo): deliveries to accept, invoices
to pay and overdue with their totals, orders awaiting payment, call-offs awaiting the group,
agreements ending or nearly used; the invoices page and the orders list with totals and actions."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import buyer_todo, fulfilment, services
from orders.models import Invoice
from orders.stripe_fake import FAKE
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.orders import confirmed_call_off
from tests.orders.test_invoices import deliver_and_accept

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_stripe():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


@pytest.fixture
def active(agreement):
    agreement.payment_terms_days = 30
    agreement.save(update_fields=["payment_terms_days"])
    return services.agreement_activate(agreement=agreement, actor=None)


def counts(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'data-todo-key="([a-z]+)" data-count="(\d+)"', html)}


def test_the_home_counts_what_the_buyer_must_do(
    client, purchaser, active, rice_manager, django_capture_on_commit_callbacks
):
    rice_line, silk_line = active.lines.order_by("pk")
    # An invoice overdue (delivered, accepted, invoiced, due 12 days ago) …
    paid_call_off = confirmed_call_off(active, {rice_line: "20"}, placed_by=purchaser, manager=rice_manager)
    invoice = deliver_and_accept(paid_call_off, "20", rice_manager, purchaser, django_capture_on_commit_callbacks)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=12))
    # … a delivery waiting for acceptance, and a call-off waiting for the group.
    to_accept = confirmed_call_off(active, {rice_line: "10"}, placed_by=purchaser, manager=rice_manager)
    delivery = fulfilment.delivery_record(
        order=to_accept,
        quantities={to_accept.lines.get().pk: Decimal("10")},
        delivered_on=timezone.localdate(),
        actor=rice_manager,
    )
    services.call_off_place(agreement=active, quantities={silk_line.pk: Decimal("2")}, placed_by=purchaser)

    client.force_login(purchaser)
    page = client.get(reverse("buyers:home")).content.decode()
    found = counts(page)
    assert found["accept"] == 1 and found["overdue"] == 1 and found["invoices"] == 1
    assert found["confirmation"] == 1 and found["payment"] == 0
    assert f"฿{invoice.amount:,.2f}" in page  # the invoices' total
    assert f'data-delivery="{delivery.number}"' in page

    invoices = client.get(reverse("buyers:invoice_list"), {"state": "overdue"}).content.decode()
    assert f'data-invoice="{invoice.number}"' in invoices and invoice.hosted_invoice_url in invoices
    assert f"฿{invoice.amount:,.2f}" in invoices
    paid = client.get(reverse("buyers:invoice_list"), {"state": "paid"}).content.decode()
    assert f'data-invoice="{invoice.number}"' not in paid

    orders = client.get(reverse("buyers:order_list")).content.decode()
    assert re.search(rf'data-order="{to_accept.number}"[^>]*data-action-needed', orders)
    assert "data-orders-total" in orders


def test_another_companys_work_is_not_counted(client, purchaser, active, rice_manager):
    rice_line = active.lines.order_by("pk").first()
    services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("10")}, placed_by=purchaser)
    stranger = UserFactory()
    add_member(CompanyFactory(), stranger)
    client.force_login(stranger)
    assert counts(client.get(reverse("buyers:home")).content.decode())["confirmation"] == 0
    assert buyer_todo.call_offs_awaiting_confirmation(purchaser).count() == 1


def test_someone_in_no_company_gets_no_portal(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("buyers:home")).status_code == 404


def test_the_orders_list_offers_cancel_to_purchasers_not_viewers(client, purchaser, viewer, active):
    rice_line = active.lines.order_by("pk").first()
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("10")}, placed_by=purchaser)
    cancel = reverse("buyers:order_cancel", args=[order.pk])
    client.force_login(purchaser)
    assert cancel in client.get(reverse("buyers:order_list")).content.decode()
    client.force_login(viewer)
    assert cancel not in client.get(reverse("buyers:order_list")).content.decode()
