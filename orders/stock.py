"""Stock of marketplace products: what the group has available now, on the live product row.

Checkouts take stock with one conditional UPDATE per product (`available >= wanted`), so two
checkouts racing for the last units cannot both succeed, on PostgreSQL or SQLite; failed and
expired checkouts give it back exactly once (`Checkout.stock_released_at`). Product revisions never
write stock (see cms.models.ProductPage.save).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cms import cache as page_cache
from cms.models import ProductPage
from marketplace import audit

from .models import Checkout, OrderLine


def take(product_id: int, quantity: Decimal) -> bool:
    """Take `quantity` off the product's stock if that much is there. Call inside the
    transaction that creates what the stock is taken for."""
    taken = ProductPage.objects.filter(pk=product_id, available_quantity__gte=quantity).update(
        available_quantity=F("available_quantity") - quantity
    )
    if taken:
        page_cache.invalidate()
    return bool(taken)


def give_back(lines: Iterable[tuple[int, Decimal]]) -> None:
    """Return quantities [(product id, quantity)] to stock. Call inside a transaction, once."""
    for product_id, quantity in lines:
        ProductPage.objects.filter(pk=product_id).update(available_quantity=F("available_quantity") + quantity)
    page_cache.invalidate()


def release_checkout(checkout: Checkout) -> bool:
    """Give back what a checkout reserved, exactly once (False when it was already released).
    Call when its payment failed or its session expired."""
    with transaction.atomic():
        released = Checkout.objects.filter(pk=checkout.pk, stock_released_at__isnull=True).update(
            stock_released_at=timezone.now()
        )
        if not released:
            return False
        lines = OrderLine.objects.filter(order__checkout_id=checkout.pk).values_list("product_id", "quantity")
        give_back(lines)
        audit.record("checkout.stock_released", checkout, details={"reference": checkout.reference})
    return True


def stock_set(*, product: ProductPage, quantity: Decimal, actor, reason: str = "") -> ProductPage:
    """The group counts its stock and corrects the figure."""
    quantity = Decimal(quantity)
    if quantity < 0:
        raise ValidationError(_("The quantity available cannot be negative."))
    with transaction.atomic():
        before = (
            ProductPage.objects.select_for_update(of=("self",))
            .values_list("available_quantity", flat=True)
            .get(pk=product.pk)
        )
        product.available_quantity = quantity
        ProductPage.objects.filter(pk=product.pk).update(available_quantity=quantity)
        audit.record(
            "product.stock_set",
            product,
            actor=actor,
            details={"from": str(before), "to": str(quantity), "reason": reason},
        )
        page_cache.invalidate()
    return product
