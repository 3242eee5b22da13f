"""orders.gateway against the fake Stripe: the exact requests we send (satang, THB, methods,
idempotency keys, metadata), and the fake's own Stripe-like behaviour."""

import datetime
from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from buyers.models import Company
from orders import gateway
from orders.models import Order
from orders.stripe_fake import FakeStripeHTTPClient, decode_form
from tests.factories import payments as payment_factories
from tests.factories.orders import active_agreement, make_product
from tests.factories.payments import make_checkout, make_invoice, make_refund

pytestmark = pytest.mark.django_db
stripe_fake = payment_factories.stripe_fake


def posts(fake, path):
    return [request for request in fake.requests if request.method == "post" and request.path == path]


def test_decode_form_rebuilds_nested_lists_and_dicts():
    encoded = "a[0][b]=1&a[0][c][d]=x&a[1][b]=2&m[k]=v&l[0]=card&l[1]=promptpay&n="
    assert decode_form(encoded) == {
        "a": [{"b": "1", "c": {"d": "x"}}, {"b": "2"}],
        "m": {"k": "v"},
        "l": ["card", "promptpay"],
        "n": "",
    }


def test_get_gateway_uses_the_fake_without_keys_and_stripe_with_keys(settings):
    settings.STRIPE_SECRET_KEY = ""
    offline = gateway.get_gateway()
    assert offline.offline
    assert isinstance(offline.client._requestor._client, FakeStripeHTTPClient)

    settings.STRIPE_SECRET_KEY = "sk_live_example"
    online = gateway.get_gateway()
    assert not online.offline
    assert not isinstance(online.client._requestor._client, FakeStripeHTTPClient)


def test_webhook_secret_rules(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "", ""
    assert gateway.webhook_secret() == gateway.OFFLINE_WEBHOOK_SECRET

    settings.STRIPE_WEBHOOK_SECRET = "whsec_configured"
    assert gateway.webhook_secret() == "whsec_configured"

    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_live_example", ""
    with pytest.raises(ImproperlyConfigured):
        gateway.webhook_secret()


def test_ensure_customer_creates_once_with_an_idempotency_key(stripe_fake):
    # given a company without a Stripe customer
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "2")])
    company = checkout.company

    # when asked twice
    first = gateway.get_gateway().ensure_customer(company)
    second = gateway.get_gateway().ensure_customer(Company.objects.get(pk=company.pk))

    # then one customer was created, keyed by the company, and stored
    assert first == second and first.startswith("cus_")
    created = posts(stripe_fake, "/v1/customers")
    assert len(created) == 1
    assert created[0].idempotency_key == f"customer-{company.pk}"
    assert created[0].params["metadata"] == {"company": str(company.pk), "tax_id": company.tax_id}
    assert created[0].params["email"] == company.billing_email
    assert Company.objects.get(pk=company.pk).stripe_customer_id == first


def test_checkout_session_request_in_satang_thb_card_and_promptpay(stripe_fake):
    # given a checkout of 2 kg rice at ฿60 and 1.5 m silk at ฿3,500.50 (two groups, two orders)
    rice = make_product(price=Decimal("60.00"), title="ข้าว")
    silk = make_product(price=Decimal("3500.50"), title="ผ้าไหม", unit="metre")
    checkout = make_checkout([(rice, "2"), (silk, "1.5")])

    # when the session is created
    before = timezone.now()
    result = gateway.get_gateway().create_checkout_session(
        checkout=checkout, success_url="https://shop.example/ok", cancel_url="https://shop.example/cart"
    )

    # then Stripe got exactly this
    [request] = posts(stripe_fake, "/v1/checkout/sessions")
    params = request.params
    assert request.idempotency_key == f"checkout-{checkout.reference}"
    assert params["payment_method_types"] == ["card", "promptpay"]
    assert params["mode"] == "payment"
    assert params["metadata"] == {"checkout": checkout.reference}
    assert params["client_reference_id"] == checkout.reference
    assert params["customer"] == checkout.company.stripe_customer_id
    assert params["success_url"] == "https://shop.example/ok"
    assert params["cancel_url"] == "https://shop.example/cart"
    rice_item, silk_item = params["line_items"]
    assert rice_item["price_data"]["currency"] == "thb"
    assert rice_item["price_data"]["unit_amount"] == "6000"
    assert rice_item["quantity"] == "2"
    assert rice_item["price_data"]["product_data"]["name"].startswith("ข้าว")
    # 1.5 × 3,500.50 = 5,250.75: one unit of the line total
    assert silk_item["price_data"]["unit_amount"] == "525075"
    assert silk_item["quantity"] == "1"
    expires = int(params["expires_at"])
    assert before.timestamp() + 30 * 60 <= expires <= timezone.now().timestamp() + 32 * 60
    # and the answer is the session's id, its page and expiry
    session = stripe_fake.session(result.id)
    assert result.id.startswith("cs_test_")
    assert session["amount_total"] == 12000 + 525075
    assert session["currency"] == "thb"
    assert result.url == f"/payments/demo/checkout/{result.id}/"
    assert result.expires_at == datetime.datetime.fromtimestamp(expires, tz=datetime.UTC)


def test_checkout_session_retried_gives_the_same_session(stripe_fake):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "2")])
    first = gateway.get_gateway().create_checkout_session(checkout=checkout, success_url="/ok", cancel_url="/no")
    again = gateway.get_gateway().create_checkout_session(checkout=checkout, success_url="/ok", cancel_url="/no")
    assert again.id == first.id
    assert len([o for o in stripe_fake.objects.values() if o["object"] == "checkout.session"]) == 1


def test_checkout_under_ten_baht_is_refused_before_calling_stripe(stripe_fake):
    # given a checkout of ฿9.99
    checkout = make_checkout([(make_product(price=Decimal("9.99")), "1")])

    # when / then
    with pytest.raises(ValidationError) as error:
        gateway.get_gateway().create_checkout_session(checkout=checkout, success_url="/ok", cancel_url="/no")
    assert error.value.code == "below_minimum"
    assert posts(stripe_fake, "/v1/checkout/sessions") == []


def test_checkout_of_exactly_ten_baht_is_accepted(stripe_fake):
    checkout = make_checkout([(make_product(price=Decimal("5.00")), "2")])
    result = gateway.get_gateway().create_checkout_session(checkout=checkout, success_url="/ok", cancel_url="/no")
    assert stripe_fake.session(result.id)["amount_total"] == 1000


def test_retrieve_checkout_session_reads_the_current_state(stripe_fake):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "2")], with_session=True)
    stripe_fake.complete_session(checkout.stripe_session_id, method="card")

    state = gateway.get_gateway().retrieve_checkout_session(checkout.stripe_session_id)

    assert (state.status, state.payment_status) == ("complete", "paid")
    assert state.payment_intent_id.startswith("pi_")
    assert gateway.get_gateway().payment_method_of(state.payment_intent_id) == "card"


@pytest.fixture
def call_off(db):
    agreement = active_agreement(payment_terms_days=45)
    line = agreement.lines.get()
    order = Order.objects.create(
        number="CO-TEST-000001",
        kind=Order.Kind.CONTRACT,
        company=agreement.company,
        group=line.product.get_parent().specific.group,
        agreement=agreement,
    )
    return order


def test_invoice_requests_items_and_finalize_with_keys(stripe_fake, call_off):
    # when an invoice of ฿1,100.00 + ฿50.25 is created
    from orders.models import Invoice

    invoice = Invoice.objects.create(order=call_off, number="INV-2569-0001", amount=Decimal("1150.25"))
    result = gateway.get_gateway().create_invoice(
        invoice=invoice, lines=[("Rice 20 kg", Decimal("1100.00")), ("Transport", Decimal("50.25"))], days_until_due=45
    )

    # then a send_invoice draft, two items on it, and the finalize, each with its key
    [created] = posts(stripe_fake, "/v1/invoices")
    assert created.idempotency_key == "invoice-INV-2569-0001"
    assert created.params["collection_method"] == "send_invoice"
    assert created.params["days_until_due"] == "45"
    assert created.params["customer"] == call_off.company.stripe_customer_id
    assert created.params["metadata"] == {"invoice": "INV-2569-0001", "order": "CO-TEST-000001"}
    items = posts(stripe_fake, "/v1/invoiceitems")
    assert [item.idempotency_key for item in items] == ["invoice-INV-2569-0001-item-0", "invoice-INV-2569-0001-item-1"]
    assert [item.params["amount"] for item in items] == ["110000", "5025"]
    assert {item.params["currency"] for item in items} == {"thb"}
    assert {item.params["invoice"] for item in items} == {result.id}
    [finalize] = posts(stripe_fake, f"/v1/invoices/{result.id}/finalize")
    assert finalize.idempotency_key == "invoice-INV-2569-0001-finalize"
    # and the answer: open, with its page and due date 45 days on
    assert result.status == "open"
    assert result.number
    assert result.hosted_invoice_url == f"/payments/demo/invoice/{result.id}/"
    assert result.due_date == timezone.localdate() + datetime.timedelta(days=45)
    assert stripe_fake.invoice(result.id)["amount_due"] == 115025


def test_void_invoice(stripe_fake, call_off):
    invoice = make_invoice(call_off, "500.00")
    result = gateway.get_gateway().void_invoice(invoice.stripe_invoice_id)
    assert result.status == "void"
    [void] = posts(stripe_fake, f"/v1/invoices/{invoice.stripe_invoice_id}/void")
    assert void.idempotency_key == f"void-{invoice.stripe_invoice_id}"
    assert [event["type"] for event in stripe_fake.outbox][-1] == "invoice.voided"


def test_refund_request_in_satang_with_key_and_metadata(stripe_fake):
    # given a paid checkout
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "5")], with_session=True)
    stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    checkout.stripe_payment_intent_id = stripe_fake.session(checkout.stripe_session_id)["payment_intent"]
    checkout.save()
    order = checkout.orders.get()

    # when ฿120.50 is refunded
    refund = make_refund(order, "120.50")

    # then
    [request] = posts(stripe_fake, "/v1/refunds")
    assert request.idempotency_key == f"refund-{refund.pk}"
    assert request.params == {
        "payment_intent": checkout.stripe_payment_intent_id,
        "amount": "12050",
        "metadata": {"refund": str(refund.pk), "order": order.number},
    }
    assert refund.stripe_refund_id.startswith("re_")
    assert stripe_fake.outbox[-1]["type"] == "charge.refunded"


def test_refund_result(stripe_fake):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "5")], with_session=True)
    stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    intent = stripe_fake.session(checkout.stripe_session_id)["payment_intent"]
    from orders.models import Refund

    refund = Refund.objects.create(order=checkout.orders.get(), amount=Decimal("60.00"), reason="x")
    result = gateway.get_gateway().refund(refund=refund, payment_intent_id=intent)
    assert (result.status, result.amount) == ("succeeded", Decimal("60.00"))


def test_refund_of_more_than_was_paid_is_refused_by_stripe(stripe_fake):
    checkout = make_checkout([(make_product(price=Decimal("60.00")), "1")], with_session=True)
    stripe_fake.complete_session(checkout.stripe_session_id, method="card")
    checkout.stripe_payment_intent_id = stripe_fake.session(checkout.stripe_session_id)["payment_intent"]
    checkout.save()
    with pytest.raises(stripe.InvalidRequestError) as error:
        make_refund(checkout.orders.get(), "60.01")
    assert error.value.code == "amount_too_large"


def test_same_idempotency_key_with_other_parameters_is_an_idempotency_error(stripe_fake):
    client = gateway.get_gateway().client
    client.v1.customers.create({"name": "A"}, options={"idempotency_key": "k-1"})
    replay = client.v1.customers.create({"name": "A"}, options={"idempotency_key": "k-1"})
    assert len([o for o in stripe_fake.objects.values() if o["object"] == "customer"]) == 1
    assert replay.name == "A"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "B"}, options={"idempotency_key": "k-1"})


def test_unknown_ids_are_404(stripe_fake):
    with pytest.raises(stripe.InvalidRequestError) as error:
        gateway.get_gateway().retrieve_checkout_session("cs_test_nope")
    assert error.value.http_status == 404
    assert error.value.code == "resource_missing"
