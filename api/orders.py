"""Orders of the key's company: list and detail, cancellation by the buyer, and the buyer's
acceptance of a delivery. Every write goes through orders.fulfilment (the same services as the
buyer portal); every read is scoped to `request.auth.company`, and another company's order or
delivery answers 404 as if it did not exist.

Formats are api.schemas' (Money, Quantity, QuantityIn): money a string with exactly 2 decimals,
quantities strings with exactly 3; in requests a quantity is a decimal string or a JSON number.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from orders import fulfilment
from orders.models import (
    ZERO,
    Delivery,
    DeliveryLine,
    FulfilmentStatus,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from orders.services import TransitionError

from .agreements import AGREEMENT_CODE_PATTERN
from .base import Page, PageQuery, Problem, ProblemSchema, not_found, paginate, refused, require_scope
from .schemas import DateIn, Money, Quantity, QuantityIn, Text

router = Router(tags=["orders"])

MAX_ID = 2**63 - 1  # a database id never exceeds a signed 64-bit integer
ORDER_NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,30}$"
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]
OrderNumber = Annotated[str, Path(pattern=ORDER_NUMBER_PATTERN)]


# --- Schemas --------------------------------------------------------------------------------


class GroupOut(Schema):
    id: int
    code: str
    name_th: str
    name_en: str


class OrderLineOut(Schema):
    id: int
    product_id: int
    agreement_line_id: int | None
    name: str = Field(description="The product's name when the order was placed.")
    unit: str
    quantity: Quantity
    unit_price: Money
    line_total: Money
    delivered: Quantity
    accepted: Quantity


class DeliveryLineOut(Schema):
    id: int = Field(description="The delivery_line_id to answer in an acceptance.")
    order_line_id: int
    name: str
    quantity: Quantity = Field(description="Delivered.")
    accepted: Quantity | None = Field(description="Null until the delivery is answered.")
    rejected: Quantity | None
    reason: str = Field(description="Why goods were rejected (empty when nothing was).")


class DeliveryOut(Schema):
    id: int
    number: str
    status: Delivery.Status
    delivered_on: datetime.date
    accepted_at: datetime.datetime | None
    auto_accepted: bool
    lines: list[DeliveryLineOut]


class InvoiceOut(Schema):
    number: str
    amount: Money
    due_date: datetime.date | None
    status: Invoice.Status
    hosted_invoice_url: str = Field(description="Stripe's payment page (empty until the invoice is issued).")


class OrderOut(Schema):
    number: str
    kind: Order.Kind
    status: OrderStatus
    payment_status: PaymentStatus
    fulfilment_status: FulfilmentStatus
    group: GroupOut
    agreement: str | None = Field(description="The agreement's code, for a call-off.")
    placed_at: datetime.datetime
    note: str = Field(description="The buyer's note.")
    po_number: str = Field(description="The buyer's purchase order number (empty if none).")
    delivery_address: str = Field(description="Where the goods go, as copied when the order was placed.")
    required_by: datetime.date | None = Field(description="The date the buyer needs the goods by.")
    lines: list[OrderLineOut]
    deliveries: list[DeliveryOut]
    invoices: list[InvoiceOut]
    total: Money


class OrderPage(Page):
    items: list[OrderOut]


class CancelIn(Schema):
    note: Text = Field("", max_length=2000, description="Why the order is withdrawn (shown to the group).")


class AcceptanceLineIn(Schema):
    delivery_line_id: int = Field(ge=1, le=MAX_ID)
    accepted: QuantityIn
    rejected: QuantityIn = Decimal("0")
    reason: Text = Field("", max_length=2000, description="Required when anything is rejected.")


class AcceptanceIn(Schema):
    lines: list[AcceptanceLineIn] = Field(
        min_length=1, max_length=500, description="One entry per line of the delivery; accepted + rejected = delivered."
    )


# --- Reading --------------------------------------------------------------------------------


def orders_of(company) -> QuerySet[Order]:
    """The company's orders with everything OrderOut shows, in three queries plus one per
    relation (not one per order)."""
    return (
        Order.objects.filter(company=company)
        .select_related("group", "agreement")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.order_by("recorded_at", "pk").prefetch_related(
                    Prefetch("lines", queryset=DeliveryLine.objects.select_related("order_line").order_by("pk"))
                ),
            ),
            Prefetch("invoices", queryset=Invoice.objects.order_by("issued_at", "pk")),
        )
        .order_by("-placed_at", "-pk")
    )


def order_out(order: Order) -> dict[str, Any]:
    """An order (from `orders_of`, relations prefetched) as the API shows it."""
    deliveries = list(order.deliveries.all())
    delivered: dict[int, Decimal] = defaultdict(lambda: ZERO)
    accepted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for delivery in deliveries:
        for line in delivery.lines.all():
            delivered[line.order_line_id] += line.quantity
            accepted[line.order_line_id] += line.accepted_quantity or ZERO
    lines = list(order.lines.all())
    return {
        "number": order.number,
        "kind": order.kind,
        "status": order.status,
        "payment_status": order.payment_status,
        "fulfilment_status": order.fulfilment_status,
        "group": {
            "id": order.group_id,
            "code": order.group.code,
            "name_th": order.group.name_th,
            "name_en": order.group.name_en,
        },
        "agreement": order.agreement.code if order.agreement_id else None,
        "placed_at": order.placed_at,
        "note": order.buyer_note,
        "po_number": order.po_number,
        "delivery_address": order.delivery_address,
        "required_by": order.required_by,
        "lines": [
            {
                "id": line.pk,
                "product_id": line.product_id,
                "agreement_line_id": line.agreement_line_id,
                "name": line.product_name,
                "unit": line.unit,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "delivered": delivered[line.pk],
                "accepted": accepted[line.pk],
            }
            for line in lines
        ],
        "deliveries": [
            {
                "id": delivery.pk,
                "number": delivery.number,
                "status": delivery.status,
                "delivered_on": delivery.delivered_on,
                "accepted_at": delivery.accepted_at,
                "auto_accepted": delivery.auto_accepted,
                "lines": [
                    {
                        "id": line.pk,
                        "order_line_id": line.order_line_id,
                        "name": line.order_line.product_name,
                        "quantity": line.quantity,
                        "accepted": line.accepted_quantity,
                        "rejected": line.rejected_quantity,
                        "reason": line.rejection_reason,
                    }
                    for line in delivery.lines.all()
                ],
            }
            for delivery in deliveries
        ],
        "invoices": [
            {
                "number": invoice.number,
                "amount": invoice.amount,
                "due_date": invoice.due_date,
                "status": invoice.status,
                "hosted_invoice_url": invoice.hosted_invoice_url,
            }
            for invoice in order.invoices.all()
        ],
        "total": sum((line.line_total for line in lines), ZERO),
    }


def _order(request, number: str) -> Order:
    order = orders_of(request.auth.company).filter(number=number).first()
    if order is None:
        raise not_found(_("No order %(number)s for this company.") % {"number": number})
    return order


class OrderQuery(PageQuery):
    # Absent, not null, when not given: a query string has no null.
    status: OrderStatus = Field(None, description="Only orders in this status.")
    agreement: str = Field(None, pattern=AGREEMENT_CODE_PATTERN, description="Agreement code.")
    placed_from: DateIn = Field(None, description="Placed on or after (Thai date).")
    placed_to: DateIn = Field(None, description="Placed on or before (Thai date).")


@router.get("/orders", response=OrderPage, summary="List the company's orders")
def order_list(request, params: Query[OrderQuery]):
    """Newest first. Filters combine; dates are calendar days in Thailand's time zone."""
    require_scope(request, "read")
    orders = orders_of(request.auth.company)
    if params.status:
        orders = orders.filter(status=params.status)
    if params.agreement:
        orders = orders.filter(agreement__code=params.agreement)
    if params.placed_from:
        orders = orders.filter(placed_at__date__gte=params.placed_from)
    if params.placed_to:
        orders = orders.filter(placed_at__date__lte=params.placed_to)
    result = paginate(orders, params.page, params.page_size)
    result["items"] = [order_out(order) for order in result["items"]]
    return result


@router.get("/orders/{number}", response=OrderOut, summary="One order")
def order_detail(request, number: OrderNumber):
    """With its lines (ordered, delivered, accepted), deliveries and invoices."""
    require_scope(request, "read")
    return order_out(_order(request, number))


@router.post(
    "/orders/{number}/cancel",
    response={200: OrderOut, 409: ProblemSchema},
    summary="Cancel an order the group has not confirmed",
)
def order_cancel(request, number: OrderNumber, payload: CancelIn | None = None):
    """Allowed while the order is placed and not yet confirmed by the producer group: the
    quantity returns to the agreement. Any other state answers 409 conflict."""
    require_scope(request, "order")
    order = _order(request, number)
    note = payload.note if payload is not None else ""
    try:
        fulfilment.order_cancel_by_buyer(order=order, actor=request.auth.created_by, note=note)
    except TransitionError as error:
        raise Problem(409, "conflict", _("Order cannot be cancelled"), " ".join(error.messages)) from None
    return order_out(_order(request, number))


@router.post(
    "/deliveries/{delivery_id}/acceptance",
    response={200: OrderOut, 409: ProblemSchema},
    summary="Accept or reject a delivery",
)
def delivery_acceptance(request, delivery_id: DbId, payload: AcceptanceIn):
    """Answer every line of a delivery awaiting acceptance: accepted + rejected must equal what
    was delivered, with a reason for any rejection. A call-off is then invoiced for the accepted
    value. Returns the delivery's order. A body that does not match the schema → 422 validation;
    a delivery already answered → 409 conflict; any other refusal (lines missing, answered twice
    or not adding up to what was delivered, a rejection without a reason) → 409 refused."""
    require_scope(request, "order")
    delivery = (
        Delivery.objects.filter(order__company=request.auth.company, pk=delivery_id).select_related("order").first()
    )
    if delivery is None:
        raise not_found(f"No delivery {delivery_id} for this company.")
    decisions = {}
    for line in payload.lines:
        if line.delivery_line_id in decisions:
            raise refused(
                _("Acceptance refused"), [_("Delivery line %(id)s is answered twice.") % {"id": line.delivery_line_id}]
            )
        decisions[line.delivery_line_id] = fulfilment.LineDecision(
            accepted=line.accepted, rejected=line.rejected, reason=line.reason
        )
    try:
        fulfilment.delivery_accept(delivery=delivery, decisions=decisions, actor=request.auth.created_by)
    except ValidationError as error:
        if getattr(error, "code", None) == "already_accepted":
            raise Problem(409, "conflict", _("Delivery already answered"), " ".join(error.messages)) from None
        raise refused(_("Acceptance refused"), error.messages) from None
    return order_out(_order(request, delivery.order.number))
