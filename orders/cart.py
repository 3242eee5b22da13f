"""The cart: what a visitor means to buy, kept in the database.

A signed-in user's cart is theirs (one `Cart` per user: it survives signing out and follows them to
another device). Before signing in, a visitor's cart belongs to their session: the session holds
the cart's id (`CART_SESSION_KEY`), because Django gives the session a new key at sign-in and the
cart must still be found then, to be merged into the user's (`cart_merge`).

Quantities are checked against the product as it is now (live, minimum order, available); they
are checked again, and the stock taken, at checkout (orders.checkout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from wagtail.models import Page

from cms.models import ProducerGroupPage, ProductPage
from marketplace.numbers import parse_decimal

from .models import ZERO, Cart, CartItem
from .services import quantity_text, unit_label

CART_SESSION_KEY = "orders:cart"
CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.001")


# --- Which cart -----------------------------------------------------------------------------


def cart_for(request, *, create: bool = False) -> Cart | None:
    """The request's cart: the signed-in user's, else the session's. With `create`, one is made
    (and, for a visitor, the session too) when there is none yet."""
    user = request.user
    if user.is_authenticated:
        if create:
            cart, _created = Cart.objects.get_or_create(user=user)
            return cart
        return Cart.objects.filter(user=user).first()
    cart_id = request.session.get(CART_SESSION_KEY)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        if request.session.session_key is None:
            request.session.create()
        cart = Cart.objects.create(session_key=request.session.session_key)
        request.session[CART_SESSION_KEY] = cart.pk
    return cart


def item_count(user) -> int:
    """How many products are in the user's cart (for the site header)."""
    return CartItem.objects.filter(cart__user=user).count()


# --- Checks ---------------------------------------------------------------------------------


def parse_quantity(raw) -> Decimal:
    """A quantity as a person types it ("2", "1.5", "1,000", Thai digits), or a ValidationError."""
    try:
        value = parse_decimal(raw if raw is not None else "")
    except ValueError:
        raise ValidationError(_("Enter the quantity as a number, e.g. 5 or 2.5."), code="invalid") from None
    if value != value.quantize(QUANTITY_PLACES):
        raise ValidationError(_("Enter the quantity with at most three decimal places."), code="invalid")
    return value


def check_quantity(product: ProductPage, quantity: Decimal) -> str | None:
    """Why `quantity` of `product` cannot be bought now (None: it can)."""
    name = product.display_title
    unit = unit_label(product.unit)
    if not product.live:
        return _("“%(product)s” is no longer for sale.") % {"product": name}
    if quantity <= 0:
        return _("“%(product)s”: enter a quantity above 0.") % {"product": name}
    if quantity < product.min_order_quantity:
        return _("“%(product)s”: the minimum order is %(min)s %(unit)s.") % {
            "product": name,
            "min": quantity_text(product.min_order_quantity),
            "unit": unit,
        }
    if quantity > product.available_quantity:
        if product.available_quantity <= 0:
            return _("“%(product)s” is out of stock.") % {"product": name}
        return _("“%(product)s”: only %(available)s %(unit)s available.") % {
            "product": name,
            "available": quantity_text(product.available_quantity),
            "unit": unit,
        }
    return None


# --- Writes ---------------------------------------------------------------------------------


def cart_add(*, cart: Cart, product: ProductPage, quantity: Decimal) -> CartItem:
    """Put `quantity` more of `product` in the cart; the new total must be a quantity the
    customer could buy now."""
    quantity = Decimal(quantity)
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        item = cart.items.filter(product=product).first()
        total = quantity + (item.quantity if item else ZERO)
        problem = check_quantity(product, quantity if quantity <= 0 else total)
        if problem:
            raise ValidationError(problem, code="quantity")
        if item is None:
            item = CartItem.objects.create(cart=cart, product=product, quantity=total)
        else:
            item.quantity = total
            item.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
    return item


def cart_set_quantity(*, cart: Cart, product_id: int, quantity: Decimal) -> CartItem | None:
    """Change a line's quantity (0 removes it)."""
    quantity = Decimal(quantity)
    item = cart.items.select_related("product").filter(product_id=product_id).first()
    if item is None:
        raise ValidationError(_("That product is not in your cart."), code="missing")
    if quantity == 0:
        item.delete()
        return None
    problem = check_quantity(item.product, quantity)
    if problem:
        raise ValidationError(problem, code="quantity")
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


def cart_remove(*, cart: Cart, product_id: int) -> None:
    cart.items.filter(product_id=product_id).delete()


def cart_empty(cart: Cart) -> None:
    cart.items.all().delete()


def cart_merge(*, session, user) -> list[str]:
    """At sign-in: move the session's cart into the user's. Quantities of a product in both are
    added, then capped by what is available now; products no longer for sale are left out. Returns
    what the customer should be told about quantities that changed."""
    cart_id = session.get(CART_SESSION_KEY)
    if not cart_id:
        return []
    notes: list[str] = []
    with transaction.atomic():
        visitor_cart = Cart.objects.select_for_update().filter(pk=cart_id, user__isnull=True).first()
        session.pop(CART_SESSION_KEY, None)
        if visitor_cart is None:
            return []
        try:
            with transaction.atomic():
                user_cart, _created = Cart.objects.get_or_create(user=user)
        except IntegrityError:  # signed in on two tabs at once: the other made it
            user_cart = Cart.objects.get(user=user)
        user_cart = Cart.objects.select_for_update().get(pk=user_cart.pk)
        existing = {item.product_id: item for item in user_cart.items.all()}
        for item in visitor_cart.items.select_related("product"):
            product = item.product
            current = existing.get(product.pk)
            name = product.display_title
            if not product.live:
                continue  # no longer for sale: nothing to tell, it is simply gone
            if product.available_quantity <= 0:
                notes.append(_("“%(product)s” is out of stock and was left out of your cart.") % {"product": name})
                continue
            wanted = item.quantity + (current.quantity if current else ZERO)
            if wanted > product.available_quantity:
                notes.append(
                    _("“%(product)s”: only %(available)s %(unit)s available, so your cart holds that much.")
                    % {
                        "product": name,
                        "available": quantity_text(product.available_quantity),
                        "unit": unit_label(product.unit),
                    }
                )
                wanted = product.available_quantity
            if current is None:
                CartItem.objects.create(cart=user_cart, product=product, quantity=wanted, added_at=item.added_at)
            elif wanted != current.quantity:
                current.quantity = wanted
                current.save(update_fields=["quantity"])
        visitor_cart.delete()
        user_cart.save(update_fields=["updated_at"])
    return notes


# --- Reading the cart -----------------------------------------------------------------------


@dataclass
class CartLine:
    item: CartItem
    product: ProductPage
    problem: str | None = None

    @property
    def quantity(self) -> Decimal:
        return self.item.quantity

    @property
    def unit_price(self) -> Decimal:
        return self.product.price

    @property
    def line_total(self) -> Decimal:
        return (self.item.quantity * self.product.price).quantize(CENT)


@dataclass
class CartGroup:
    """The lines of one producer group: they become one order at checkout."""

    group_page: ProducerGroupPage
    lines: list[CartLine] = field(default_factory=list)

    @property
    def group(self):
        return self.group_page.group

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)


@dataclass
class CartContents:
    groups: list[CartGroup]
    # Items whose product is no longer live: shown so the customer knows, never bought.
    unavailable: list[CartItem]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), ZERO)

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]

    def __bool__(self) -> bool:
        return bool(self.groups)


def cart_contents(cart: Cart | None, *, products=None) -> CartContents:
    """The cart's live products grouped by producer group (in a fixed order: by group, then by
    when the product was added), each line checked against the product as it is now.

    `products` may give the products to use (e.g. rows just locked by the checkout)."""
    if cart is None:
        return CartContents(groups=[], unavailable=[])
    items = list(cart.items.order_by("added_at", "pk"))
    if products is None:
        products = ProductPage.objects.filter(pk__in=[item.product_id for item in items])
    products = {product.pk: product for product in products}
    parent_paths = {product.path[: -Page.steplen] for product in products.values()}
    group_pages = {
        page.path: page for page in ProducerGroupPage.objects.filter(path__in=parent_paths).select_related("group")
    }
    by_group: dict[int, CartGroup] = {}
    unavailable = []
    for item in items:
        product = products.get(item.product_id)
        group_page = group_pages.get(product.path[: -Page.steplen]) if product else None
        if product is None or not product.live or group_page is None:
            unavailable.append(item)
            continue
        item.product = product
        group = by_group.setdefault(group_page.group_id, CartGroup(group_page=group_page))
        group.lines.append(CartLine(item=item, product=product, problem=check_quantity(product, item.quantity)))
    groups = sorted(by_group.values(), key=lambda group: group.group_page.group_id)
    return CartContents(groups=groups, unavailable=unavailable)
