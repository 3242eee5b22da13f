"""income subscribes the ledger to orders' moments (orders.hooks) when the app is ready."""

from income.ledger import subscribers
from orders import hooks


def test_income_settles_at_the_moments_orders_fires():
    assert subscribers._delivery_accepted in hooks._subscribers[hooks.DELIVERY_ACCEPTED]
    assert subscribers._invoice_changed in hooks._subscribers[hooks.INVOICE_PAID]
    assert subscribers._invoice_changed in hooks._subscribers[hooks.INVOICE_ISSUED]
    assert subscribers._order_paid in hooks._subscribers[hooks.ORDER_PAID]
    assert subscribers._refunds_updated in hooks._subscribers[hooks.REFUNDS_UPDATED]
