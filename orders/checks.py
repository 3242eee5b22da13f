"""Production must not take payments through the offline fake: its webhook secret is in the
source (orders.gateway), so anyone could sign a "payment" with it."""

from django.conf import settings
from django.core import checks

from marketplace.checks import STARTUP

from . import gateway

OFFLINE_DEMO_HINT = "Or, on a demo site that takes no real payments, set STRIPE_OFFLINE_DEMO=1."


@checks.register(STARTUP)
def check_stripe_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    if not settings.STRIPE_SECRET_KEY and not gateway.offline_allowed():
        errors.append(
            checks.Error(
                "STRIPE_SECRET_KEY is not set: with DEBUG off, payments would go to the offline fake.",
                hint=f"Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET from the Stripe dashboard. {OFFLINE_DEMO_HINT}",
                id="orders.E001",
            )
        )
    if not settings.STRIPE_WEBHOOK_SECRET and (settings.STRIPE_SECRET_KEY or not gateway.offline_allowed()):
        errors.append(
            checks.Error(
                "STRIPE_WEBHOOK_SECRET is not set: no Stripe webhook could be verified.",
                hint="Copy the signing secret (whsec_…) of the webhook endpoint from the Stripe dashboard.",
                id="orders.E002",
            )
        )
    if settings.STRIPE_WEBHOOK_SECRET == gateway.OFFLINE_WEBHOOK_SECRET and not gateway.offline_allowed():
        errors.append(
            checks.Error(
                "STRIPE_WEBHOOK_SECRET is the offline demo's secret, which is published in the source.",
                hint=f"Use the endpoint's signing secret from the Stripe dashboard. {OFFLINE_DEMO_HINT}",
                id="orders.E003",
            )
        )
    return errors
