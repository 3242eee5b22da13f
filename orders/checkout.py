"""Checkout: a cart becomes one order per producer group, paid together through one Stripe
Checkout Session.

`checkout_start` checks the cart again, then in ONE transaction creates the Checkout, its orders
(awaiting payment: the groups do not see them yet) with their lines, and takes the stock for every
line (orders.stock.take: a conditional UPDATE, so two checkouts racing for the last units cannot
both get them). Only after that transaction has committed does it ask Stripe for the payment page:
a network call must never hold the product rows locked. If Stripe refuses, the stock goes back,
the checkout fails and its orders are cancelled; the cart is kept so the customer can try again.

Payment itself (paid, failed, expired) arrives later by webhook: that is the payments module's
business.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import stripe
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buyers import selectors as buyer_selectors
from buyers.models import Company
from buyers.procurement import Procurement
from cms.models import ProductPage
from marketplace import audit

from . import stock
from .cart import cart_contents, cart_empty
from .models import ZERO, Cart, Checkout, Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from .services import order_transition, quantity_text, unit_label

logger = logging.getLogger(__name__)

UrlBuilder = Callable[[Checkout], str]


class CheckoutRefused(ValidationError):
    """The checkout cannot start (or its payment page could not be made): the messages say why,
    in words the customer understands. Nothing was reserved, or what was has been given back."""


def _temporary_number(prefix: str) -> str:
    return f"tmp-{prefix}-{uuid.uuid4().hex[:20]}"  # replaced by the real one once the row has its id


def check_buyer(user, company: Company) -> None:
    if not buyer_selectors.can_place_orders(user, company.pk):
        raise CheckoutRefused(_("You cannot buy for this company: ask its administrator."), code="not_allowed")
    if not company.is_active:
        raise CheckoutRefused(_("This company is suspended: it cannot place orders."), code="suspended")


def checkout_start(
    *,
    cart: Cart,
    company: Company,
    user,
    success_url_builder: UrlBuilder,
    cancel_url_builder: UrlBuilder,
    procurement: Procurement | None = None,
) -> Checkout:
    """Reserve the cart's goods and open a payment page for them; returns the Checkout, whose
    `stripe_session_url` the customer is sent to. The cart is emptied once the page exists.

    Raises CheckoutRefused: the user may not buy for the company, the cart is empty or has a line
    that cannot be bought now, someone else took the last of a product first, or Stripe refused
    the session (then the checkout is marked failed and its stock given back).

    `procurement` (PO number, delivery address, required-by date) is copied onto every order."""
    check_buyer(user, company)
    checkout = _reserve(cart=cart, company=company, user=user, procurement=procurement or Procurement())

    # Deliberately outside the reservation's transaction: the rows are committed and unlocked
    # while we wait for Stripe, and a failure below is undone explicitly (_fail).
    from .gateway import get_gateway

    try:
        session = get_gateway().create_checkout_session(
            checkout=checkout,
            success_url=success_url_builder(checkout),
            cancel_url=cancel_url_builder(checkout),
        )
    except (stripe.StripeError, ValidationError) as error:
        logger.warning("Checkout %s: no payment page: %s", checkout.reference, error)
        _fail(checkout, user=user, reason=str(error))
        messages = error.messages if isinstance(error, ValidationError) else []
        raise CheckoutRefused(
            [_("The payment page could not be opened; nothing was charged and your cart is as it was."), *messages],
            code="gateway",
        ) from error

    with transaction.atomic():
        checkout.stripe_session_id = session.id
        checkout.stripe_session_url = session.url
        checkout.expires_at = session.expires_at
        checkout.save(update_fields=["stripe_session_id", "stripe_session_url", "expires_at"])
        details = {"session": session.id, "total": str(checkout.total)}
        audit.record("checkout.session_created", checkout, actor=user, details=details)
        cart_empty(cart)
    return checkout


def _reserve(*, cart: Cart, company: Company, user, procurement: Procurement) -> Checkout:
    """One transaction: the checkout, its orders and lines, their events, and the stock taken.
    All or nothing."""
    with transaction.atomic():
        contents = cart_contents(cart)
        if not contents:
            raise CheckoutRefused(_("Your cart is empty."), code="empty")
        if contents.problems:
            raise CheckoutRefused(contents.problems, code="cart_problems")
        now = timezone.now()
        checkout = Checkout.objects.create(
            reference=_temporary_number("ck"), company=company, created_by=user, total=contents.total, created_at=now
        )
        checkout.reference = f"CK-{now:%y%m}-{checkout.pk:06d}"
        checkout.save(update_fields=["reference"])

        orders = []
        for group in contents.groups:
            order = Order.objects.create(
                number=_temporary_number("mo"),
                kind=Order.Kind.MARKETPLACE,
                company=company,
                group=group.group,
                status=OrderStatus.PENDING_PAYMENT,
                payment_status=PaymentStatus.UNPAID,
                placed_by=user,
                placed_at=now,
                checkout=checkout,
                **procurement.as_order_fields(),
            )
            order.number = f"MO-{now:%y%m}-{order.pk:06d}"
            order.save(update_fields=["number"])
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        product=line.product,
                        quantity=line.quantity,
                        product_name=line.product.title,
                        unit=line.product.unit,
                        unit_price=line.product.price,
                    )
                    for line in group.lines
                ]
            )
            OrderEvent.objects.create(
                order=order, from_status="", to_status=OrderStatus.PENDING_PAYMENT, actor=user, created_at=now
            )
            audit.record(
                "order.placed",
                order,
                actor=user,
                details={
                    "checkout": checkout.reference,
                    "po_number": procurement.po_number,
                    "group": group.group.code,
                    "lines": {str(line.product.pk): str(line.quantity) for line in group.lines},
                },
            )
            orders.append(order)

        # Take the stock product by product in id order: two checkouts that share products then
        # meet them in the same order and cannot deadlock each other on PostgreSQL.
        for line in sorted(contents.lines, key=lambda line: line.product.pk):
            if not stock.take(line.product.pk, line.quantity):
                left = (
                    ProductPage.objects.filter(pk=line.product.pk).values_list("available_quantity", flat=True).first()
                )
                raise CheckoutRefused(
                    _(
                        "Someone else bought “%(product)s” just before you: only %(available)s %(unit)s "
                        "are left. Change the quantity in your cart and try again."
                    )
                    % {
                        "product": line.product.display_title,
                        "available": quantity_text(max(left if left is not None else ZERO, ZERO)),
                        "unit": unit_label(line.product.unit),
                    },
                    code="sold_out",
                )
        audit.record(
            "checkout.created",
            checkout,
            actor=user,
            details={"orders": [order.number for order in orders], "total": str(checkout.total)},
        )
    return checkout


def _fail(checkout: Checkout, *, user, reason: str) -> None:
    """The payment page could not be made: give the stock back, fail the checkout, cancel its
    orders (each move recorded as an OrderEvent by order_transition)."""
    with transaction.atomic():
        stock.release_checkout(checkout)
        Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.FAILED)
        checkout.status = Checkout.Status.FAILED
        for order in checkout.orders.filter(status=OrderStatus.PENDING_PAYMENT):
            order_transition(
                order=order,
                to=OrderStatus.CANCELLED,
                actor=user,
                note=_("The payment page could not be opened."),
            )
        audit.record("checkout.failed", checkout, actor=user, details={"reason": reason[:500]})
