"""The offline demo: Stripe's deliveries, played by ourselves. Fake Stripe's events are signed with
the offline webhook secret and posted to our own webhook view in this process, so the demo goes
through the real verification and processing (webhooks.receive)."""

from __future__ import annotations

import json

from django.test import RequestFactory  # builds a real HttpRequest; no test machinery runs

from marketplace import audit

from . import gateway, webhooks
from .stripe_fake import FAKE
from .views_payments import stripe_webhook


def deliver_locally(events: list[dict]) -> list[int]:
    """Post fake Stripe's events, signed, to our own webhook view in this process, so the demo goes
    through the real verification and processing. Only when offline. Returns the status codes."""
    if not gateway.is_offline():
        raise RuntimeError("Local webhook delivery is for the offline demo only.")
    statuses = []
    factory = RequestFactory()
    # Stripe is the actor of what follows, not the person who clicked the demo button.
    token = audit.set_context(actor=None)
    try:
        for event in events:
            body = json.dumps(event)
            request = factory.post(
                "/payments/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=webhooks.sign(body),
            )
            statuses.append(stripe_webhook(request).status_code)
    finally:
        audit.reset_context(token)
    return statuses


def deliver_outbox() -> list[int]:
    """Deliver what fake Stripe would have sent after our own API calls (invoice.voided,
    charge.refunded, …). Offline only; a no-op with real keys."""
    if not gateway.is_offline():
        return []
    return deliver_locally(FAKE.take_outbox())
