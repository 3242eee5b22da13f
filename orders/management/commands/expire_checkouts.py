"""Settle checkouts whose webhook never came: anything still open or processing an hour after its
session expired is re-read from Stripe and brought to Stripe's state (run it from cron, e.g.
every 15 minutes)."""

import datetime

import stripe
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from marketplace.jobs import locked_command
from orders import gateway, payments
from orders.models import Checkout

GRACE = datetime.timedelta(hours=1)
# A checkout whose session was never saved cannot be paid once this long has passed: no session
# lives longer than gateway.SESSION_LIFETIME.
NO_SESSION_AFTER = gateway.SESSION_LIFETIME + GRACE


class Command(BaseCommand):
    help = "Re-read from Stripe the checkouts still open an hour after they expired, and settle them."

    @locked_command(datetime.timedelta(minutes=30))
    def handle(self, *args, **options):
        now = timezone.now()
        stale = Checkout.objects.filter(status__in=[Checkout.Status.OPEN, Checkout.Status.PROCESSING]).filter(
            Q(expires_at__lt=now - GRACE) | Q(expires_at__isnull=True, created_at__lt=now - NO_SESSION_AFTER)
        )
        counts = {"expired": 0, "paid": 0, "failed": 0, "unchanged": 0, "errors": 0}
        stripe_gateway = gateway.get_gateway()
        for checkout in stale.order_by("pk"):
            if not checkout.stripe_session_id:
                payments.checkout_expired(checkout=checkout)
                counts["expired"] += 1
                continue
            try:
                session = stripe_gateway.retrieve_checkout_session(checkout.stripe_session_id)
            except stripe.StripeError as error:
                self.stderr.write(f"{checkout.reference}: {error}")
                counts["errors"] += 1
                continue
            outcome = self.settle(checkout, session, stripe_gateway)
            counts[outcome] += 1
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))

    def settle(self, checkout, session, stripe_gateway) -> str:
        if session.status == "expired":
            payments.checkout_expired(checkout=checkout)
            return "expired"
        if session.status == "complete" and session.payment_status == "paid":
            method = stripe_gateway.payment_method_of(session.payment_intent_id) if session.payment_intent_id else ""
            payments.checkout_paid(checkout=checkout, payment_intent_id=session.payment_intent_id, method=method)
            return "paid"
        if session.status == "complete" and session.payment_intent_id:
            # Completed but unpaid: a PromptPay payment in progress, or one that failed.
            status = stripe_gateway.payment_intent_status(session.payment_intent_id)
            if status in ("requires_payment_method", "canceled"):
                payments.checkout_failed(checkout=checkout)
                return "failed"
            if checkout.status == Checkout.Status.OPEN:
                payments.checkout_processing(checkout=checkout, payment_intent_id=session.payment_intent_id)
        return "unchanged"
