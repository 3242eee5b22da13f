"""Orders of the key's company: list and detail, cancellation by the buyer, and the buyer's
acceptance of a delivery. Every write goes through orders.fulfilment (the same services as the
buyer portal); every read is scoped to `request.auth.company`, and another company's order or
delivery answers 404 as if it did not exist.

Formats: money is a string with exactly 2 decimals ("1375.00", THB); quantities are strings with
exactly 3 decimals ("25.500", in the line's unit), so no client loses precision to floats. In
requests, quantities may be sent as strings or JSON numbers.
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
from pydantic import AfterValidator, WithJsonSchema

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

from .base import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Problem, ProblemSchema, not_found, paginate, require_scope

router = Router(tags=["orders"])

CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
MAX_ID = 2**63 - 1  # a database id never exceeds a signed 64-bit integer
MONEY_PATTERN = r"^-?\d+\.\d{2}$"
QUANTITY_PATTERN = r"^-?\d+\.\d{3}$"
ORDER_NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,30}$"
AGREEMENT_CODE_PATTERN = r"^[A-Za-z0-9-]{1,40}$"


def money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(CENT))


def quantity(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(THOUSANDTH))


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL characters in text; refuse them as invalid input.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
# A quantity in a request: a JSON number or a decimal string, at most 9 digits before the point
# and 3 after (the database's precision).
QuantityIn = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=3),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": r"^-?\d{1,9}(\.\d{1,3})?$"},
            ],
            "description": 'A decimal quantity, as a string ("12.5") or a number.',
        }
    ),
]
Money = Annotated[str, Field(pattern=MONEY_PATTERN, examples=["1375.00"])]
Quantity = Annotated[str, Field(pattern=QUANTITY_PATTERN, examples=["25.500"])]
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]


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
        "lines": [
            {
                "id": line.pk,
                "product_id": line.product_id,
                "agreement_line_id": line.agreement_line_id,
                "name": line.product_name,
                "unit": line.unit,
                "quantity": quantity(line.quantity),
                "unit_price": money(line.unit_price),
                "line_total": money(line.line_total),
                "delivered": quantity(delivered[line.pk]),
                "accepted": quantity(accepted[line.pk]),
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
                        "quantity": quantity(line.quantity),
                        "accepted": None if line.accepted_quantity is None else quantity(line.accepted_quantity),
                        "rejected": None if line.rejected_quantity is None else quantity(line.rejected_quantity),
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
                "amount": money(invoice.amount),
                "due_date": invoice.due_date,
                "status": invoice.status,
                "hosted_invoice_url": invoice.hosted_invoice_url,
            }
            for invoice in order.invoices.all()
        ],
        "total": money(sum((line.line_total for line in lines), ZERO)),
    }


def _order(request, number: str) -> Order:
    order = orders_of(request.auth.company).filter(number=number).first()
    if order is None:
        raise not_found(f"No order {number} for this company.")
    return order


@router.get("/orders", response=OrderPage, summary="List the company's orders")
def order_list(
    request,
    status: OrderStatus | None = None,
    agreement: Annotated[str | None, Query(pattern=AGREEMENT_CODE_PATTERN, description="Agreement code.")] = None,
    placed_from: Annotated[datetime.date | None, Query(description="Placed on or after (Thai date).")] = None,
    placed_to: Annotated[datetime.date | None, Query(description="Placed on or before (Thai date).")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
):
    """Newest first. Filters combine; dates are calendar days in Thailand's time zone."""
    require_scope(request, "read")
    orders = orders_of(request.auth.company)
    if status:
        orders = orders.filter(status=status)
    if agreement:
        orders = orders.filter(agreement__code=agreement)
    if placed_from:
        orders = orders.filter(placed_at__date__gte=placed_from)
    if placed_to:
        orders = orders.filter(placed_at__date__lte=placed_to)
    result = paginate(orders, page, page_size, MAX_PAGE_SIZE)
    result["items"] = [order_out(order) for order in result["items"]]
    return result


@router.get("/orders/{number}", response=OrderOut, summary="One order")
def order_detail(request, number: Annotated[str, Path(pattern=ORDER_NUMBER_PATTERN)]):
    """With its lines (ordered, delivered, accepted), deliveries and invoices."""
    require_scope(request, "read")
    return order_out(_order(request, number))


@router.post(
    "/orders/{number}/cancel",
    response={200: OrderOut, 409: ProblemSchema},
    summary="Cancel an order the group has not confirmed",
)
def order_cancel(request, number: Annotated[str, Path(pattern=ORDER_NUMBER_PATTERN)], payload: CancelIn | None = None):
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
    value. Returns the delivery's order. A delivery already answered → 409 conflict; any other
    refusal → 422 validation."""
    require_scope(request, "order")
    delivery = (
        Delivery.objects.filter(order__company=request.auth.company, pk=delivery_id).select_related("order").first()
    )
    if delivery is None:
        raise not_found(f"No delivery {delivery_id} for this company.")
    decisions = {}
    for line in payload.lines:
        if line.delivery_line_id in decisions:
            raise Problem(
                422,
                "validation",
                _("Invalid input"),
                _("Delivery line %(id)s is answered twice.") % {"id": line.delivery_line_id},
            )
        decisions[line.delivery_line_id] = fulfilment.LineDecision(
            accepted=line.accepted, rejected=line.rejected, reason=line.reason
        )
    try:
        fulfilment.delivery_accept(delivery=delivery, decisions=decisions, actor=request.auth.created_by)
    except ValidationError as error:
        if getattr(error, "code", None) == "already_accepted":
            raise Problem(409, "conflict", _("Delivery already answered"), " ".join(error.messages)) from None
        raise Problem(
            422,
            "validation",
            _("Acceptance refused"),
            " ".join(error.messages),
            errors=[{"loc": ["body", "lines"], "msg": message, "type": "invalid"} for message in error.messages],
        ) from None
    return order_out(_order(request, delivery.order.number))
