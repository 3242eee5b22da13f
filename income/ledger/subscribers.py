"""What the ledger does at orders' moments (orders.hooks): accepted goods that are paid for are
settled into household income, refunds of settled goods are reversed, and the order page links
each delivery to the page where the group records who supplied it. Subscribed once, by
`IncomeConfig.ready()`; each runs inside the order service's transaction, as a direct call would."""

from __future__ import annotations

from django.urls import reverse

from orders import hooks
from orders.models import Delivery

from . import services


def _order_paid(*, order) -> None:
    services.settle_order(order)


def _delivery_accepted(*, delivery) -> None:
    services.settle_delivery(delivery)


def _invoice_changed(*, invoice) -> None:
    services.settle_invoice(invoice)


def _refunds_updated(*, refunds) -> None:
    services.refunds_reverse(refunds)


def _suppliers_url(*, delivery) -> str:
    return reverse("ledger:delivery_contributions", args=[delivery.pk])


def _without_suppliers(*, deliveries) -> set[int]:
    ids = [delivery.pk for delivery in deliveries]
    waiting = Delivery.objects.filter(pk__in=ids).filter(services.needs_suppliers_filter())
    return set(waiting.values_list("pk", flat=True))


def subscribe() -> None:
    hooks.register(hooks.ORDER_PAID, _order_paid)
    hooks.register(hooks.DELIVERY_ACCEPTED, _delivery_accepted)
    hooks.register(hooks.INVOICE_ISSUED, _invoice_changed)
    hooks.register(hooks.INVOICE_PAID, _invoice_changed)
    hooks.register(hooks.REFUNDS_UPDATED, _refunds_updated)
    hooks.register(hooks.DELIVERY_SUPPLIERS_URL, _suppliers_url)
    hooks.register(hooks.DELIVERIES_WITHOUT_SUPPLIERS, _without_suppliers)
