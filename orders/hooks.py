"""Moments in an order's life that higher layers act on, without orders importing them.

Orders sits below income (marketplace → producers → buyers, cms → orders → income → api): it
names the moment, a higher app subscribes in its `AppConfig.ready()` with `register(moment, fn)`,
and orders calls `fire(moment, **kwargs)` where the moment happens. Today the subscriber is
income, which settles accepted, paid goods into household income.

A fired moment runs its subscribers at once, in the order they registered, inside the caller's
transaction and while its locks are held; a subscriber's exception propagates to the caller (and
rolls the transaction back), exactly as if orders had called it directly. `fire` returns the
subscribers' results in that order.

The moments (keyword arguments in brackets):

* `ORDER_PAID` (order): a checkout was paid; called for each of its orders, holding its lock.
* `DELIVERY_ACCEPTED` (delivery): the buyer accepted a delivery (or it was accepted for them);
  called holding the order's lock, after the invoice or refund for it was created.
* `INVOICE_ISSUED` (invoice): Stripe issued the invoice of a delivery; it may already be paid.
  Called holding the order's and the invoice's locks.
* `INVOICE_PAID` (invoice): an issued invoice was paid; called holding the invoice's lock, before
  the order is completed.
* `REFUNDS_UPDATED` (refunds): these refunds changed status (to succeeded or failed), the orders
  they belong to already updated; called holding their locks.
* `DELIVERY_SUPPLIERS_URL` (delivery): not an event but a question the order page asks: the
  admin URL where the group records which households supplied the delivery, or None.
* `DELIVERIES_WITHOUT_SUPPLIERS` (deliveries): a question too: of these deliveries, the ids of
  those that do not yet say which households supplied them (the order page shows them a to-do
  badge).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

ORDER_PAID = "order_paid"
DELIVERY_ACCEPTED = "delivery_accepted"
INVOICE_ISSUED = "invoice_issued"
INVOICE_PAID = "invoice_paid"
REFUNDS_UPDATED = "refunds_updated"
DELIVERY_SUPPLIERS_URL = "delivery_suppliers_url"
DELIVERIES_WITHOUT_SUPPLIERS = "deliveries_without_suppliers"

MOMENTS = frozenset(
    {
        ORDER_PAID,
        DELIVERY_ACCEPTED,
        INVOICE_ISSUED,
        INVOICE_PAID,
        REFUNDS_UPDATED,
        DELIVERY_SUPPLIERS_URL,
        DELIVERIES_WITHOUT_SUPPLIERS,
    }
)

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def register(moment: str, fn: Callable) -> None:
    """Subscribe `fn(**kwargs)` to a moment. Registering the same function twice has no effect
    (`ready()` may run more than once in tests)."""
    if moment not in MOMENTS:
        raise ValueError(f"Unknown order moment: {moment!r}")
    if fn not in _subscribers[moment]:
        _subscribers[moment].append(fn)


def fire(moment: str, **kwargs) -> list:
    """Run the moment's subscribers now, in registration order; see the module docstring."""
    if moment not in MOMENTS:
        raise ValueError(f"Unknown order moment: {moment!r}")
    return [fn(**kwargs) for fn in list(_subscribers[moment])]
