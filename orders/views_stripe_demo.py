"""The offline demo's stand-ins for Stripe's hosted pages.

The demo pages exist only while no Stripe keys are set (they answer 404 otherwise). Like Stripe's
own pages they are reached by an unguessable link (the session or invoice id) rather than by a
signed-in user. What the payer does there changes the fake's state and then goes through the
real webhook path: the events are signed with the webhook secret and handed to
`views_payments.stripe_webhook` (stripe_demo.deliver_locally).
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from marketplace.money import from_satang

from . import gateway, stripe_demo
from .stripe_fake import FAKE, FakeStripeError


def _offline_only():
    if not gateway.is_offline():
        raise Http404


def _fake_object(getter, object_id: str) -> dict:
    try:
        return getter(object_id)
    except FakeStripeError:
        raise Http404 from None


def fake_qr(seed: str, size: int = 29) -> list[tuple[int, int]]:
    """The dark modules of a QR-looking pattern (not a real code: nothing can be paid with it)."""
    bits = "".join(f"{byte:08b}" for byte in hashlib.sha256(seed.encode()).digest() * 4)
    cells = []
    finders = [(0, 0), (size - 7, 0), (0, size - 7)]
    for y in range(size):
        for x in range(size):
            finder = next(((fx, fy) for fx, fy in finders if fx <= x < fx + 7 and fy <= y < fy + 7), None)
            if finder:
                dx, dy = x - finder[0], y - finder[1]
                dark = dx in (0, 6) or dy in (0, 6) or (2 <= dx <= 4 and 2 <= dy <= 4)
            else:
                dark = bits[(y * size + x) % len(bits)] == "1"
            if dark:
                cells.append((x, y))
    return cells


@require_http_methods(["GET", "POST"])
def demo_checkout(request, session_id: str):
    _offline_only()
    session = _fake_object(FAKE.session, session_id)
    if request.method == "POST" and session["status"] == "open":
        action = request.POST.get("action")
        outcomes = {"card": ("card", "paid"), "promptpay": ("promptpay", "paid"), "fail": ("promptpay", "failed")}
        if action not in outcomes:
            return HttpResponseBadRequest("unknown action")
        method, outcome = outcomes[action]
        events = FAKE.complete_session(session_id, method=method, outcome=outcome)
        stripe_demo.deliver_locally(events)
        target = session["success_url"] if outcome == "paid" else session["cancel_url"]
        return HttpResponseRedirect(target.replace("{CHECKOUT_SESSION_ID}", session_id))
    items = [
        {
            "name": item["description"],
            "quantity": item["quantity"],
            "unit_amount": from_satang(item["price"]["unit_amount"]),
            "amount": from_satang(item["amount_total"]),
        }
        for item in FAKE.get("checkout.session", session_id)["_line_items"]
    ]
    context = {
        "session": session,
        "items": items,
        "total": from_satang(session["amount_total"]),
        "promptpay": request.GET.get("method") == "promptpay",
        "qr": fake_qr(session_id),
    }
    return TemplateResponse(request, "orders/payments/demo_checkout.html", context)


@require_http_methods(["GET", "POST"])
def demo_invoice(request, invoice_id: str):
    _offline_only()
    invoice = _fake_object(FAKE.invoice, invoice_id)
    if request.method == "POST" and invoice["status"] == "open":
        action = request.POST.get("action")
        if action == "pay":
            stripe_demo.deliver_locally(FAKE.pay_invoice(invoice_id))
        elif action == "fail":
            stripe_demo.deliver_locally(FAKE.fail_invoice_payment(invoice_id))
        else:
            return HttpResponseBadRequest("unknown action")
        return HttpResponseRedirect(request.path)
    context = {
        "invoice": invoice,
        "lines": [
            {"description": line["description"], "amount": from_satang(line["amount"])}
            for line in invoice["lines"]["data"]
        ],
        "total": from_satang(invoice["total"]),
        "paid": from_satang(invoice["amount_paid"]),
    }
    return TemplateResponse(request, "orders/payments/demo_invoice.html", context)
