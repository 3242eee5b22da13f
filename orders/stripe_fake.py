"""An in-process fake of the Stripe API endpoints that `orders.gateway` calls, plugged into
`stripe.StripeClient` as its HTTP client. Tests and the offline demo (`make run` without keys) use
it, so nothing ever needs the network.

It answers realistic objects (ids like cs_test_…, pi_…, in_…, re_…; amounts in satang; Unix
timestamps), honours idempotency keys the way Stripe does (same key and same request → the first
answer again; same key, different request → 400 idempotency_error), answers 404 for unknown ids
and records every request in `requests` for tests to inspect.

What a payer does on Stripe's pages is simulated by the helpers (`complete_session`,
`expire_session`, `pay_invoice`, …): each changes the state and RETURNS the event dicts Stripe
would send to our webhook; the caller decides when (and how often, in which order) to deliver
them. Events that Stripe sends because of an API call (invoice.voided after a void,
charge.refunded after a refund) are appended to `outbox`.

Why one module of ~660 lines: it fakes one external API, and its endpoints share one store of
objects, idempotency keys and the outbox; it changes when Stripe's API (as gateway.py uses it)
does, and not otherwise.

State lives in one store (`FAKE`), guarded by a lock. With `settings.STRIPE_FAKE_IN_DATABASE` on
(the offline demo: `make run` seeds in one process and serves in another, and a demo site may run
several app servers and a worker), the store is read from one database row (`StripeFakeState`)
before and written back after every operation, holding that row's lock (`select_for_update`), so
the demo's sessions and invoices outlive a restart and every process on every host sees the same
ones. Tests turn the setting off and keep the state in memory.

`outage` simulates Stripe being down for the fault tests: 500 answers every request with a 500,
"timeout" makes every request fail as a timed-out connection does.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

DEMO_CHECKOUT_PATH = "/payments/demo/checkout/{id}/"
DEMO_INVOICE_PATH = "/payments/demo/invoice/{id}/"
# Stripe accepts a Checkout Session's expires_at between 30 minutes and 24 hours ahead; the fake
# allows a minute of clock difference below that.
MIN_SESSION_SECONDS = 29 * 60
MAX_SESSION_SECONDS = 24 * 60 * 60


class FakeStripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


def _missing(kind: str, id_: str) -> FakeStripeError:
    return FakeStripeError(404, "invalid_request_error", f"No such {kind}: '{id_}'", code="resource_missing")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _int(value, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FakeStripeError(400, "invalid_request_error", f"Invalid integer: {value}", param=param) from None


def decode_form(post_data: str | bytes | None) -> dict:
    """Stripe's form encoding back into nested dicts and lists: `a[b][0][c]=1` → {"a": {"b": [{"c": "1"}]}}."""
    if not post_data:
        return {}
    if isinstance(post_data, bytes):
        post_data = post_data.decode()
    root: dict = {}
    for key, value in parse_qsl(post_data, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


@dataclass
class FakeRequest:
    method: str
    path: str
    params: dict
    idempotency_key: str | None


@dataclass
class FakeStripe:
    """The state of the fake Stripe account. One instance, `FAKE`, serves the whole process."""

    base_url: str = ""  # prefixed to payment page paths; empty keeps them relative to our site
    requests: list[FakeRequest] = field(default_factory=list)
    objects: dict[str, dict] = field(default_factory=dict)
    outbox: list[dict] = field(default_factory=list)
    _idempotent: dict[str, tuple[tuple, tuple[int, str]]] = field(default_factory=dict)
    _invoice_numbers: int = 0
    outage: int | str | None = None  # 500 or "timeout": Stripe is down (fault tests)
    _thread_lock: threading.RLock = field(default_factory=threading.RLock)
    _depth: int = 0

    @property
    @contextlib.contextmanager
    def _lock(self):
        """The store's lock; in the database, also load before and save after (outermost use)."""
        with self._thread_lock:
            if not _in_database() or self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            from django.db import transaction

            from .models import StripeFakeState

            with transaction.atomic():
                StripeFakeState.objects.get_or_create(pk=1, defaults={"state": ""})
                row = StripeFakeState.objects.select_for_update().get(pk=1)
                self._restore(row.state)
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                    row.state = self._dump()
                    row.save(update_fields=["state"])

    def _dump(self) -> str:
        return json.dumps(
            {
                "objects": self.objects,
                "outbox": self.outbox,
                "idempotent": [[key, list(seen), list(response)] for key, (seen, response) in self._idempotent.items()],
                "invoice_numbers": self._invoice_numbers,
            }
        )

    def _restore(self, text: str) -> None:
        state = json.loads(text) if text.strip() else {}
        self.objects = state.get("objects", {})
        self.outbox[:] = state.get("outbox", [])
        self._idempotent = {key: (tuple(seen), tuple(response)) for key, seen, response in state.get("idempotent", [])}
        self._invoice_numbers = state.get("invoice_numbers", 0)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.objects.clear()
            self.outbox.clear()
            self._idempotent.clear()
            self._invoice_numbers = 0
        self.outage = None

    # --- the HTTP side -------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Mapping[str, str] | None, post_data) -> tuple[str, int, dict]:
        method = method.lower()
        parts = urlsplit(url)
        params = decode_form(post_data if method == "post" else parts.query)
        key = (headers or {}).get("Idempotency-Key")
        if self.outage == 500:
            return self._error(FakeStripeError(500, "api_error", "An unknown error occurred (simulated outage)."))
        with self._lock:
            self.requests.append(FakeRequest(method, parts.path, params, key))
            if key and method == "post":
                fingerprint = (method, parts.path, json.dumps(params, sort_keys=True))
                if key in self._idempotent:
                    seen, response = self._idempotent[key]
                    if seen != fingerprint:
                        return self._error(
                            FakeStripeError(
                                400,
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same parameters they were "
                                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                                "different request.",
                            )
                        )
                    body, status = response
                    return body, status, {"Request-Id": _new_id("req"), "Idempotent-Replayed": "true"}
            try:
                answer = self._route(method, parts.path, params)
                body, status = json.dumps(answer), 200
            except FakeStripeError as error:
                body, status = json.dumps(error.body), error.status
            if key and method == "post" and status < 500:
                self._idempotent[key] = (fingerprint, (body, status))
            return body, status, {"Request-Id": _new_id("req")}

    def _error(self, error: FakeStripeError):
        return json.dumps(error.body), error.status, {"Request-Id": _new_id("req")}

    def _route(self, method: str, path: str, params: dict) -> dict:
        routes = [
            ("post", r"/v1/customers", self._create_customer),
            ("get", r"/v1/customers/(?P<id>[^/]+)", self._get("customer")),
            ("post", r"/v1/checkout/sessions", self._create_session),
            ("get", r"/v1/checkout/sessions/(?P<id>[^/]+)", self._get("checkout.session")),
            ("post", r"/v1/invoices", self._create_invoice),
            ("get", r"/v1/invoices/(?P<id>[^/]+)", self._get("invoice")),
            ("post", r"/v1/invoices/(?P<id>[^/]+)/finalize", self._finalize_invoice),
            ("post", r"/v1/invoices/(?P<id>[^/]+)/void", self._void_invoice),
            ("post", r"/v1/invoiceitems", self._create_invoice_item),
            ("post", r"/v1/refunds", self._create_refund),
            ("get", r"/v1/refunds", self._list_refunds),
            ("get", r"/v1/refunds/(?P<id>[^/]+)", self._get("refund")),
            ("get", r"/v1/payment_intents/(?P<id>[^/]+)", self._get("payment_intent")),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                return handler(params, **match.groupdict())
        raise FakeStripeError(404, "invalid_request_error", f"Unrecognized request URL ({method.upper()}: {path}).")

    def _get(self, kind: str):
        def handler(params: dict, id: str) -> dict:
            obj = self.get(kind, id)
            return self._expand(obj, params.get("expand") or [])

        return handler

    def get(self, kind: str, id_: str) -> dict:
        obj = self.objects.get(id_)
        if obj is None or obj["object"] != kind:
            raise _missing(kind.split(".")[-1], id_)
        return obj

    def _expand(self, obj: dict, expand: list[str]) -> dict:
        obj = self._public(obj)
        for path in expand:
            value = obj.get(path)
            if isinstance(value, str) and value in self.objects:
                obj[path] = self._public(self.objects[value])
        return obj

    @staticmethod
    def _public(obj: dict) -> dict:
        return {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}

    def _url(self, template: str, id_: str) -> str:
        return self.base_url + template.format(id=id_)

    # --- endpoints -----------------------------------------------------------------------------

    def _create_customer(self, params: dict) -> dict:
        customer = {
            "id": _new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email") or None,
            "name": params.get("name") or None,
            "metadata": params.get("metadata") or {},
            "livemode": False,
        }
        self.objects[customer["id"]] = customer
        return self._public(customer)

    def _create_session(self, params: dict) -> dict:
        now = int(time.time())
        line_items = params.get("line_items") or []
        if not line_items:
            raise FakeStripeError(400, "invalid_request_error", "line_items is required.", param="line_items")
        currency = None
        total = 0
        items = []
        for i, item in enumerate(line_items):
            data = item.get("price_data") or {}
            item_currency = data.get("currency")
            if currency and item_currency != currency:
                raise FakeStripeError(400, "invalid_request_error", "All line items must share one currency.")
            currency = item_currency
            unit_amount = _int(data.get("unit_amount"), f"line_items[{i}][price_data][unit_amount]")
            quantity = _int(item.get("quantity"), f"line_items[{i}][quantity]")
            if quantity < 1 or unit_amount < 0:
                raise FakeStripeError(400, "invalid_request_error", "Invalid line item.", param=f"line_items[{i}]")
            total += unit_amount * quantity
            items.append(
                {
                    "id": _new_id("li"),
                    "object": "item",
                    "description": (data.get("product_data") or {}).get("name"),
                    "quantity": quantity,
                    "price": {"unit_amount": unit_amount, "currency": currency},
                    "amount_total": unit_amount * quantity,
                    "currency": currency,
                }
            )
        if currency == "thb" and total < 1000:
            raise FakeStripeError(
                400, "invalid_request_error", "Amount must be at least ฿10.00 thb", code="amount_too_small"
            )
        expires_at = _int(params.get("expires_at", now + MAX_SESSION_SECONDS), "expires_at")
        if not now + MIN_SESSION_SECONDS <= expires_at <= now + MAX_SESSION_SECONDS:
            raise FakeStripeError(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
        if params.get("customer"):
            self.get("customer", params["customer"])
        session_id = f"cs_test_{secrets.token_hex(24)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode", "payment"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currency,
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": self._url(DEMO_CHECKOUT_PATH, session_id),
            "created": now,
            "expires_at": expires_at,
            "livemode": False,
            "_line_items": items,
        }
        self.objects[session_id] = session
        return self._public(session)

    def _create_invoice(self, params: dict) -> dict:
        customer = self.get("customer", params.get("customer", ""))
        if params.get("collection_method") == "send_invoice" and not params.get("days_until_due"):
            raise FakeStripeError(
                400, "invalid_request_error", "days_until_due is required for send_invoice.", param="days_until_due"
            )
        invoice_id = _new_id("in")
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": customer["id"],
            "customer_email": customer.get("email"),
            "collection_method": params.get("collection_method", "charge_automatically"),
            "days_until_due": _int(params["days_until_due"], "days_until_due") if "days_until_due" in params else None,
            "currency": params.get("currency", "thb"),
            "status": "draft",
            "number": None,
            "amount_due": 0,
            "amount_paid": 0,
            "amount_remaining": 0,
            "total": 0,
            "attempt_count": 0,
            "hosted_invoice_url": None,
            "due_date": None,
            "metadata": params.get("metadata") or {},
            "lines": {"object": "list", "data": [], "has_more": False},
            "created": int(time.time()),
            "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None},
            "livemode": False,
        }
        self.objects[invoice_id] = invoice
        return self._public(invoice)

    def _create_invoice_item(self, params: dict) -> dict:
        customer = self.get("customer", params.get("customer", ""))
        amount = _int(params.get("amount"), "amount")
        item = {
            "id": _new_id("ii"),
            "object": "invoiceitem",
            "customer": customer["id"],
            "amount": amount,
            "currency": params.get("currency"),
            "description": params.get("description"),
            "invoice": params.get("invoice"),
            "metadata": params.get("metadata") or {},
            "date": int(time.time()),
            "livemode": False,
        }
        if item["invoice"]:
            invoice = self.get("invoice", item["invoice"])
            if invoice["status"] != "draft":
                raise FakeStripeError(400, "invalid_request_error", "Only draft invoices can take new items.")
            if invoice["customer"] != customer["id"]:
                raise FakeStripeError(400, "invalid_request_error", "The invoice belongs to another customer.")
            invoice["lines"]["data"].append(
                {"id": _new_id("il"), "object": "line_item", "amount": amount, "description": item["description"]}
            )
            invoice["total"] = invoice["amount_due"] = invoice["amount_remaining"] = sum(
                line["amount"] for line in invoice["lines"]["data"]
            )
        self.objects[item["id"]] = item
        return self._public(item)

    def _finalize_invoice(self, params: dict, id: str) -> dict:
        invoice = self.get("invoice", id)
        if invoice["status"] != "draft":
            raise FakeStripeError(400, "invalid_request_error", f"This invoice is already {invoice['status']}.")
        now = int(time.time())
        self._invoice_numbers += 1
        invoice.update(
            status="open",
            number=f"FAKE-{self._invoice_numbers:04d}",
            hosted_invoice_url=self._url(DEMO_INVOICE_PATH, id),
            due_date=now + (invoice["days_until_due"] or 0) * 86400 if invoice["days_until_due"] else None,
        )
        invoice["status_transitions"]["finalized_at"] = now
        self.outbox.append(self.event("invoice.finalized", invoice))
        return self._public(invoice)

    def _void_invoice(self, params: dict, id: str) -> dict:
        invoice = self.get("invoice", id)
        if invoice["status"] != "open":
            raise FakeStripeError(400, "invalid_request_error", f"This invoice is {invoice['status']}.")
        invoice["status"] = "void"
        invoice["amount_remaining"] = 0
        invoice["status_transitions"]["voided_at"] = int(time.time())
        self.outbox.append(self.event("invoice.voided", invoice))
        return self._public(invoice)

    def _create_refund(self, params: dict) -> dict:
        intent_id = params.get("payment_intent", "")
        intent = self.objects.get(intent_id)
        if intent is None or intent["object"] != "payment_intent":
            raise FakeStripeError(
                400, "invalid_request_error", f"No such payment_intent: '{intent_id}'", code="resource_missing"
            )
        if intent["status"] != "succeeded":
            raise FakeStripeError(400, "invalid_request_error", "This PaymentIntent has not been charged.")
        charge = self.objects[intent["latest_charge"]]
        amount = _int(params.get("amount", charge["amount"] - charge["amount_refunded"]), "amount")
        if amount <= 0 or amount > charge["amount"] - charge["amount_refunded"]:
            raise FakeStripeError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({charge['amount'] - charge['amount_refunded']})",
                code="amount_too_large",
            )
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": intent_id,
            # Card refunds succeed at once in test mode; the charge.refunded event confirms it.
            "status": "succeeded",
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
        }
        self.objects[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, self._public(refund))
        self.outbox.append(self.event("charge.refunded", charge))
        return self._public(refund)

    def _list_refunds(self, params: dict) -> dict:
        charge = params.get("charge")
        data = [
            self._public(obj)
            for obj in self.objects.values()
            if obj["object"] == "refund" and (not charge or obj["charge"] == charge)
        ]
        return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": data}

    # --- what payers do (return the events Stripe would send) ----------------------------------

    def event(self, type_: str, obj: dict) -> dict:
        return {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "type": type_,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": self._public(obj)},
        }

    def _pay(self, amount: int, currency: str, method: str, status: str, metadata: dict) -> dict:
        intent = {
            "id": _new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount if status == "succeeded" else 0,
            "currency": currency,
            "status": status,
            "payment_method_types": [method],
            "latest_charge": None,
            "metadata": metadata,
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects[intent["id"]] = intent
        if status == "succeeded":
            self._charge(intent, method)
        return intent

    def _charge(self, intent: dict, method: str) -> None:
        charge = {
            "id": _new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "currency": intent["currency"],
            "paid": True,
            "refunded": False,
            "status": "succeeded",
            "payment_intent": intent["id"],
            "payment_method_details": {"type": method},
            "refunds": {"object": "list", "data": [], "has_more": False},
            "created": int(time.time()),
            "livemode": False,
        }
        self.objects[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]

    def session(self, session_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self.get("checkout.session", session_id))

    def invoice(self, invoice_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self.get("invoice", invoice_id))

    def complete_session(self, session_id: str, *, method: str = "card", outcome: str = "paid") -> list[dict]:
        """The payer finishes the payment page. Card: paid at once ("paid") or declined
        ("failed": the page stays open, Stripe sends nothing). PromptPay is asynchronous: the
        session completes unpaid, then the bank's answer follows ("paid" → async succeeded,
        "failed" → async failed, "processing" → nothing yet; see `settle_session`)."""
        if method not in ("card", "promptpay") or outcome not in ("paid", "processing", "failed"):
            raise ValueError(f"Unknown method or outcome: {method}, {outcome}")
        with self._lock:
            session = self.get("checkout.session", session_id)
            if session["status"] != "open":
                raise FakeStripeError(400, "invalid_request_error", f"This Checkout Session is {session['status']}.")
            if method not in session["payment_method_types"]:
                raise FakeStripeError(400, "invalid_request_error", f"{method} is not offered by this session.")
            if method == "card" and outcome == "failed":
                return []  # a declined card: the payer may try again; no event
            amount, currency, metadata = session["amount_total"], session["currency"], session["metadata"]
            if method == "card":
                intent = self._pay(amount, currency, method, "succeeded", metadata)
                session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
                return [self.event("checkout.session.completed", session)]
            intent = self._pay(amount, currency, method, "processing", metadata)
            session.update(status="complete", payment_status="unpaid", payment_intent=intent["id"])
            events = [self.event("checkout.session.completed", session)]
            if outcome != "processing":
                events += self.settle_session(session_id, succeeded=outcome == "paid")
            return events

    def settle_session(self, session_id: str, *, succeeded: bool) -> list[dict]:
        """The asynchronous (PromptPay) payment of a completed session succeeds or fails."""
        with self._lock:
            session = self.get("checkout.session", session_id)
            intent = self.get("payment_intent", session["payment_intent"] or "")
            if session["status"] != "complete" or session["payment_status"] != "unpaid":
                raise FakeStripeError(400, "invalid_request_error", "This session has no payment in progress.")
            if succeeded:
                self._charge(intent, intent["payment_method_types"][0])
                session["payment_status"] = "paid"
                return [self.event("checkout.session.async_payment_succeeded", session)]
            intent["status"] = "requires_payment_method"
            return [self.event("checkout.session.async_payment_failed", session)]

    def expire_session(self, session_id: str) -> list[dict]:
        """Nobody paid before expires_at (or we expired it): Stripe closes the session."""
        with self._lock:
            session = self.get("checkout.session", session_id)
            if session["status"] != "open":
                raise FakeStripeError(400, "invalid_request_error", f"This Checkout Session is {session['status']}.")
            session["status"] = "expired"
            return [self.event("checkout.session.expired", session)]

    def pay_invoice(self, invoice_id: str, *, method: str = "card") -> list[dict]:
        with self._lock:
            invoice = self.get("invoice", invoice_id)
            if invoice["status"] != "open":
                raise FakeStripeError(400, "invalid_request_error", f"This invoice is {invoice['status']}.")
            intent = self._pay(invoice["amount_due"], invoice["currency"], method, "succeeded", invoice["metadata"])
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            invoice["attempt_count"] += 1
            invoice["status_transitions"]["paid_at"] = int(time.time())
            invoice["_payment_intent"] = intent["id"]
            return [self.event("invoice.paid", invoice)]

    def fail_invoice_payment(self, invoice_id: str) -> list[dict]:
        with self._lock:
            invoice = self.get("invoice", invoice_id)
            if invoice["status"] != "open":
                raise FakeStripeError(400, "invalid_request_error", f"This invoice is {invoice['status']}.")
            invoice["attempt_count"] += 1
            return [self.event("invoice.payment_failed", invoice)]

    def take_outbox(self) -> list[dict]:
        with self._lock:
            events, self.outbox[:] = list(self.outbox), []
            return events


def _in_database() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "STRIPE_FAKE_IN_DATABASE", True))


FAKE = FakeStripe()


class FakeStripeHTTPClient(stripe.HTTPClient):
    """`stripe.StripeClient(key, http_client=FakeStripeHTTPClient())` talks to `FAKE`."""

    name = "fake-stripe"

    def __init__(self, store: FakeStripe | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.store = store or FAKE

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if self.store.outage == "timeout":
            raise stripe.APIConnectionError("Request to Stripe timed out (simulated outage).", should_retry=False)
        return self.store.handle(method, url, headers, post_data)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        body, status, headers = self.store.handle(method, url, headers, post_data)
        return iter([body.encode()]), status, headers

    async def request_async(self, method, url, headers, post_data=None, *, _usage=None):
        body, status, headers = self.store.handle(method, url, headers, post_data)
        return body.encode(), status, headers

    def close(self):
        pass

    async def close_async(self):
        pass
