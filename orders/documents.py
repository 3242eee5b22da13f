"""Printable documents: the receipt of a paid marketplace order, the invoice of an accepted
contract delivery, and the delivery photo. Plain HTML with a print stylesheet (no JavaScript);
the browser prints or saves it as PDF.

Who may read them: the order's company members, the managers and treasurers of its producer
group, and the coordinators who watch it (orders.selectors.orders_for_documents). Anyone else gets
a 404, never a 403."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from marketplace import audit

from . import selectors
from .models import ZERO, Delivery, DeliveryLine, Invoice, Order, PaymentStatus

VAT_RATE = Decimal("7")
SATANG = Decimal("0.01")


def vat_included(total: Decimal) -> Decimal:
    """The VAT inside a price that includes 7% VAT: total × 7/107, rounded to the satang."""
    return (total * VAT_RATE / (100 + VAT_RATE)).quantize(SATANG, rounding=ROUND_HALF_UP)


def _document_context(order: Order, *, rows: list[dict], total: Decimal) -> dict:
    group = order.group
    vat = vat_included(total) if group.vat_registered else None
    return {
        "order": order,
        "seller": group,
        "buyer": order.company,
        "rows": rows,
        "total": total,
        "vat": vat,
        "net": total - vat if vat is not None else None,
        "vat_rate": VAT_RATE,
    }


@login_required
def receipt(request, pk):
    """The receipt of a paid marketplace order (a tax invoice/receipt when the group is VAT
    registered)."""
    order = get_object_or_404(
        selectors.orders_for_documents(request.user).select_related("company", "group", "checkout"),
        pk=pk,
        kind=Order.Kind.MARKETPLACE,
        payment_status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED],
    )
    rows = [
        {
            "name": line.product_name,
            "quantity": line.quantity,
            "unit": line.unit,
            "price": line.unit_price,
            "total": line.line_total,
        }
        for line in order.lines.order_by("pk")
    ]
    total = sum((row["total"] for row in rows), ZERO)
    context = _document_context(order, rows=rows, total=total)
    paid_at = order.checkout.paid_at if order.checkout and order.checkout.paid_at else order.placed_at
    context.update({"document_number": order.number, "document_date": paid_at, "refunds": order.refunds.all()})
    return TemplateResponse(request, "orders/documents/receipt.html", context)


@login_required
def invoice(request, pk):
    """The invoice of an accepted delivery of a call-off, for the accepted goods."""
    document = get_object_or_404(
        Invoice.objects.select_related("order__company", "order__group", "order__agreement", "delivery").filter(
            order__in=selectors.orders_for_documents(request.user)
        ),
        pk=pk,
    )
    lines = DeliveryLine.objects.filter(delivery_id=document.delivery_id, accepted_quantity__gt=0).select_related(
        "order_line"
    )
    rows = [
        {
            "name": line.order_line.product_name,
            "quantity": line.accepted_quantity,
            "unit": line.order_line.unit,
            "price": line.order_line.unit_price,
            "total": line.accepted_value,
        }
        for line in lines
    ]
    context = _document_context(document.order, rows=rows, total=document.amount)
    context.update({"invoice": document, "document_number": document.number, "document_date": document.issued_at})
    return TemplateResponse(request, "orders/documents/invoice.html", context)


@login_required
def delivery_photo(request, pk):
    delivery = get_object_or_404(Delivery.objects.filter(order__in=selectors.orders_for_documents(request.user)), pk=pk)
    if not delivery.photo:
        raise Http404
    audit.record("delivery.photo_viewed", delivery)
    response = FileResponse(delivery.photo.open("rb"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
