"""Property: whatever order Stripe delivers a payment's events in, and however often, the payment
ends in the state of the canonical order; an order is paid at most once and a checkout's stock is
released at most once."""

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms.models import ProductPage
from marketplace.models import AuditEvent
from orders import gateway, webhooks
from orders.models import Checkout, Invoice, Order, OrderEvent, OrderStatus, PaymentStatus, StripeEvent
from tests.factories import payments as payment_factories
from tests.factories.orders import active_agreement
from tests.factories.payments import make_checkout, make_invoice

pytestmark = pytest.mark.django_db
stripe_fake = payment_factories.stripe_fake

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAID = (Checkout.Status.PAID, (OrderStatus.PLACED, PaymentStatus.PAID), False)
FAILED = (Checkout.Status.FAILED, (OrderStatus.CANCELLED, PaymentStatus.FAILED), True)
EXPIRED = (Checkout.Status.EXPIRED, (OrderStatus.CANCELLED, PaymentStatus.UNPAID), True)
PROCESSING = (Checkout.Status.PROCESSING, (OrderStatus.PENDING_PAYMENT, PaymentStatus.PENDING), False)

# scenario → (what the payer does on the fake, final checkout status, each order's (status, payment), stock back?)
CHECKOUT_SCENARIOS = {
    "card paid": (lambda fake, sid: fake.complete_session(sid, method="card"), *PAID),
    "promptpay paid": (lambda fake, sid: fake.complete_session(sid, method="promptpay"), *PAID),
    "promptpay failed": (lambda fake, sid: fake.complete_session(sid, method="promptpay", outcome="failed"), *FAILED),
    "promptpay processing": (
        lambda fake, sid: fake.complete_session(sid, method="promptpay", outcome="processing"),
        *PROCESSING,
    ),
    "expired": (lambda fake, sid: fake.expire_session(sid), *EXPIRED),
}


def deliveries(data, events: list[dict]) -> list[dict]:
    """Every event at least once, some more than once, in any order."""
    extra = data.draw(st.lists(st.sampled_from(range(len(events))), max_size=4), label="repeats")
    order = data.draw(st.permutations(list(range(len(events))) + extra), label="order")
    return [events[i] for i in order]


def deliver(events: list[dict]) -> None:
    for event in events:
        body = json.dumps(event)
        webhooks.receive(body.encode(), webhooks.sign(body))


def stock(*products):
    return [ProductPage.objects.get(pk=product.pk).available_quantity for product in products]


@PROPERTY_SETTINGS
@given(scenario=st.sampled_from(sorted(CHECKOUT_SCENARIOS)), data=st.data())
def test_checkout_events_in_any_order_and_repeated_end_in_the_canonical_state(
    stripe_fake, rice, silk, company, scenario, data
):
    # given a checkout of rice and silk (two orders) with its session, and the payer's events
    before = stock(rice, silk)
    checkout = make_checkout([(rice, "1"), (silk, "2")], company=company, with_session=True)
    act, final_status, final_orders, stock_back = CHECKOUT_SCENARIOS[scenario]
    events = act(stripe_fake, checkout.stripe_session_id)

    # when Stripe delivers them shuffled and duplicated
    deliver(deliveries(data, events))

    # then the same final state as in the canonical order
    checkout.refresh_from_db()
    assert checkout.status == final_status
    orders = list(Order.objects.filter(checkout=checkout))
    assert [(order.status, order.payment_status) for order in orders] == [final_orders] * 2
    # each event stored once
    assert StripeEvent.objects.filter(event_id__in=[event["id"] for event in events]).count() == len(events)
    # paid at most once, placed at most once
    for order in orders:
        paid = OrderEvent.objects.filter(order=order, field="payment_status", to_status=PaymentStatus.PAID).count()
        placed = OrderEvent.objects.filter(order=order, field="status", to_status=OrderStatus.PLACED).count()
        assert paid == placed == (1 if final_status == Checkout.Status.PAID else 0)
    # stock released at most once: back exactly, or still taken
    releases = AuditEvent.objects.filter(action="checkout.stock_released", object_id=str(checkout.pk)).count()
    assert releases == (1 if stock_back else 0)
    assert stock(rice, silk) == (before if stock_back else [before[0] - Decimal("1"), before[1] - Decimal("2")])


_call_offs = itertools.count(1)


@pytest.fixture
def agreement(company):
    return active_agreement(company=company)


def invoice_scenario_events(fake, invoice: Invoice, scenario: str) -> list[dict]:
    stripe_id = invoice.stripe_invoice_id
    failed = fake.fail_invoice_payment(stripe_id)
    if scenario == "failed then paid":
        return failed + fake.pay_invoice(stripe_id)
    gateway.get_gateway().void_invoice(stripe_id)
    return failed + [event for event in fake.take_outbox() if event["type"] == "invoice.voided"]


INVOICE_FINAL = {
    "failed then paid": (Invoice.Status.PAID, PaymentStatus.PAID),
    "failed then voided": (Invoice.Status.VOID, PaymentStatus.UNPAID),
}


@PROPERTY_SETTINGS
@given(scenario=st.sampled_from(sorted(INVOICE_FINAL)), data=st.data())
def test_invoice_events_in_any_order_and_repeated_end_in_the_canonical_state(stripe_fake, agreement, scenario, data):
    # given an invoiced call-off and a failed attempt followed by payment (or a void)
    line = agreement.lines.get()
    order = Order.objects.create(
        number=f"CO-PROP-{next(_call_offs):06d}",
        kind=Order.Kind.CONTRACT,
        company=agreement.company,
        group=line.product.get_parent().specific.group,
        agreement=agreement,
    )
    invoice = make_invoice(order, "1100.00")
    events = invoice_scenario_events(stripe_fake, invoice, scenario)

    # when delivered shuffled and duplicated
    deliver(deliveries(data, events))

    # then
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert (invoice.status, order.payment_status) == INVOICE_FINAL[scenario]
    paid = OrderEvent.objects.filter(order=order, field="payment_status", to_status=PaymentStatus.PAID).count()
    assert paid == (1 if invoice.status == Invoice.Status.PAID else 0)
    if invoice.status == Invoice.Status.PAID:
        assert invoice.last_payment_error == ""
