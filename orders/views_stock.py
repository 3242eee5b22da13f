"""“Update stock”: a producer group counts its goods and corrects the figure on the live product.

Allowed to the managers of the product's group and to the coordinators whose area (province or
assigned group) covers it; anyone else gets a 404. The figure is written by orders.stock.stock_set
(audited, with the reason), never by publishing a page revision.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Page

from cms.models import ProducerGroupPage, ProductPage
from marketplace import access
from producers.selectors import coordinator_scope

from . import stock
from .forms import QuantityField
from .models import ZERO, Checkout, OrderLine

OPEN_CHECKOUTS = (Checkout.Status.OPEN, Checkout.Status.PROCESSING)


class StockForm(forms.Form):
    quantity = QuantityField(label=gettext_lazy("Quantity available now"), min_value=Decimal("0"), decimal_places=3)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        help_text=gettext_lazy("e.g. counted at the storehouse, spoiled, new harvest."),
    )


def product_group(product: ProductPage):
    return ProducerGroupPage.objects.select_related("group").get(path=product.path[: -Page.steplen]).group


def can_update_stock(user, product: ProductPage, group=None) -> bool:
    """Managers of the product's group, and coordinators whose area covers the group."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    group = group or product_group(product)
    if group.pk in access.memberships(user, "producer_group", roles=["manager"]):
        return True
    provinces, groups = coordinator_scope(user)
    return group.pk in groups or group.province_code in provinces


def reserved_quantity(product: ProductPage) -> Decimal:
    """What checkouts that are not yet paid, failed or expired hold of the product."""
    total = OrderLine.objects.filter(
        product=product, order__checkout__status__in=OPEN_CHECKOUTS, order__checkout__stock_released_at__isnull=True
    ).aggregate(total=Sum("quantity"))["total"]
    return total or ZERO


def stock_update(request, product_pk):
    product = get_object_or_404(ProductPage, pk=product_pk)
    group = product_group(product)
    if not can_update_stock(request.user, product, group):
        raise Http404
    current = ProductPage.objects.values_list("available_quantity", flat=True).get(pk=product.pk)
    form = StockForm(request.POST or None, initial={"quantity": current})
    if request.method == "POST" and form.is_valid():
        try:
            stock.stock_set(
                product=product,
                quantity=form.cleaned_data["quantity"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("quantity", message)
        else:
            messages.success(request, _("The stock of “%(product)s” was updated.") % {"product": product.display_title})
            return redirect("orders_admin:stock_update", product_pk=product.pk)
    context = {
        "product": product,
        "group": group,
        "current": current,
        "reserved": reserved_quantity(product),
        "form": form,
    }
    return TemplateResponse(request, "orders/admin/stock.html", context)
