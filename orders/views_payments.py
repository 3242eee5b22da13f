"""The Stripe webhook endpoint. The offline demo's stand-ins for Stripe's hosted pages are in
views_stripe_demo.py; they deliver their events to this view through stripe_demo.deliver_locally."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import webhooks


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        _row, processed = webhooks.receive(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.InvalidWebhook:
        return HttpResponseBadRequest("invalid signature")
    except Exception:
        # Recorded on the event row by webhooks.process; Stripe will deliver it again.
        return HttpResponse("processing failed", status=500)
    return HttpResponse("processed" if processed else "already processed")
