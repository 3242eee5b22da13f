"""The cart and checkout pages under /cart/. Views parse the input, find the cart or checkout in the
visitor's scope (another company's checkout is a 404) and call orders.cart / orders.checkout."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buyers import selectors as buyer_selectors
from buyers.procurement import ProcurementForm
from cms.models import ProductPage

from . import cart as carts
from .checkout import CheckoutRefused, checkout_start
from .models import CartItem, Checkout
from .services import quantity_text, unit_label


def _show_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _buying_companies(user):
    return list(buyer_selectors.companies_for(user, buyer_selectors.PLACE_ORDERS).order_by("name_th"))


def cart_detail(request, procurement: ProcurementForm | None = None):
    cart = carts.cart_for(request)
    contents = carts.cart_contents(cart)
    user = request.user
    companies = _buying_companies(user) if user.is_authenticated else []
    if procurement is None and companies:
        procurement = ProcurementForm(companies=companies)
    context = {
        "contents": contents,
        "companies": companies,
        "procurement": procurement,
        "is_company_member": buyer_selectors.is_company_member(user),
    }
    response = TemplateResponse(request, "orders/cart/cart.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def cart_add(request, product_pk):
    """POST from the product page (signed-in visitors get the form there). An anonymous visitor's
    product page comes from the shared page cache and holds no CSRF token, so its form GETs this
    page, which asks again with a token of their own."""
    product = get_object_or_404(ProductPage.objects.live().public(), pk=product_pk)
    raw = request.POST.get("quantity") if request.method == "POST" else request.GET.get("quantity")
    error = None
    if request.method == "POST":
        try:
            quantity = carts.parse_quantity(raw)
            carts.cart_add(cart=carts.cart_for(request, create=True), product=product, quantity=quantity)
        except ValidationError as refused:
            error = refused.messages[0]
        else:
            messages.success(
                request,
                _("Added %(quantity)s %(unit)s of “%(product)s” to your cart.")
                % {
                    "quantity": quantity_text(quantity),
                    "unit": unit_label(product.unit),
                    "product": product.display_title,
                },
            )
            return redirect("cart:detail")
    context = {"product": product, "quantity": raw or product.min_order_quantity, "error": error}
    response = TemplateResponse(request, "orders/cart/add.html", context, status=400 if error else 200)
    response["Cache-Control"] = "private, no-store"
    return response


def _item(request, product_pk):
    cart = carts.cart_for(request)
    if cart is None or not cart.items.filter(product_id=product_pk).exists():
        raise Http404
    return cart


@require_POST
def cart_update(request, product_pk):
    cart = _item(request, product_pk)
    try:
        quantity = carts.parse_quantity(request.POST.get("quantity"))
        carts.cart_set_quantity(cart=cart, product_id=product_pk, quantity=quantity)
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, _("Your cart was updated."))
    return redirect("cart:detail")


@require_POST
def cart_remove(request, product_pk):
    cart = _item(request, product_pk)
    carts.cart_remove(cart=cart, product_id=product_pk)
    messages.success(request, _("The product was removed from your cart."))
    return redirect("cart:detail")


def _absolute(request, name: str, checkout: Checkout) -> str:
    return request.build_absolute_uri(reverse(name, args=[checkout.reference]))


@login_required
@require_POST
def checkout(request):
    companies = _buying_companies(request.user)
    if not companies:
        messages.error(
            request,
            _("Only members of a partner company can buy. Ask your company's administrator for an invitation."),
        )
        return redirect("cart:detail")
    procurement = ProcurementForm(request.POST, companies=companies)
    if not procurement.is_valid():  # shown again with the reasons next to the fields
        return cart_detail(request, procurement=procurement)
    cart = carts.cart_for(request)
    if cart is None:
        messages.error(request, _("Your cart is empty."))
        return redirect("cart:detail")
    try:
        started = checkout_start(
            cart=cart,
            company=procurement.cleaned_data["company"],
            procurement=procurement.procurement,
            user=request.user,
            success_url_builder=lambda c: _absolute(request, "cart:checkout_detail", c),
            cancel_url_builder=lambda c: _absolute(request, "cart:checkout_cancel", c),
        )
    except CheckoutRefused as error:
        _show_errors(request, error)
        return redirect("cart:detail")
    return redirect(started.stripe_session_url)


def _checkout_for(request, reference) -> Checkout:
    """One of the user's companies' checkouts, or 404 (never confirm another's exists)."""
    company_ids = list(buyer_selectors.company_roles(request.user))
    checkout = Checkout.objects.filter(reference=reference, company_id__in=company_ids).select_related("company")
    found = checkout.first()
    if found is None:
        raise Http404
    return found


@login_required
def checkout_detail(request, reference):
    checkout = _checkout_for(request, reference)
    orders = checkout.orders.select_related("group").prefetch_related("lines").order_by("pk")
    context = {"checkout": checkout, "orders": orders, "Status": Checkout.Status}
    response = TemplateResponse(request, "orders/cart/checkout_detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def checkout_cancel(request, reference):
    """Back from the payment page without paying: the goods go back in the cart (those not there
    already) so the customer can change it. What the checkout reserved is given back when its
    payment page expires."""
    checkout = _checkout_for(request, reference)
    if checkout.status == Checkout.Status.OPEN:
        cart = carts.cart_for(request, create=True)
        in_cart = set(cart.items.values_list("product_id", flat=True))
        lines = [
            line
            for order in checkout.orders.prefetch_related("lines")
            for line in order.lines.all()
            if line.product_id not in in_cart
        ]
        CartItem.objects.bulk_create(
            [CartItem(cart=cart, product_id=line.product_id, quantity=line.quantity) for line in lines]
        )
    messages.info(request, _("You left the payment page: nothing was charged. Your cart is below."))
    return redirect("cart:detail")
