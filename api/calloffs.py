"""POST /agreements/{code}/calloffs: a call-off from a procurement system, placed by
orders.services.call_off_place (the same checks as the buyer portal: active agreement, lines of
the agreement, minimum and maximum per call-off, remaining quantity under the lines' locks) and
made safe to retry by an Idempotency-Key (api.idempotency).

Answers: 201 {"orders": [...]} (one order per producer group); 409 over-commit when a line asks
for more than remains, with `lines` giving the remaining quantity of every line asked for; 409
refused for any other refusal of a well-formed call-off (a line not on the agreement, a quantity
outside the per-call-off limits, an agreement not active, a line twice); 422 validation for a
body that does not match the schema; 400 when the Idempotency-Key is missing or malformed; 409
conflict when the key was used for a different request; 404 for an agreement that is not the
company's (or not activated).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import NinjaJSONEncoder

from buyers.procurement import procurement_from
from orders import services
from orders.models import ZERO, PurchaseAgreement

from . import idempotency
from .agreements import AgreementCode, agreement_for_key
from .base import Problem, ProblemSchema, api, refused, require_scope
from .orders import MAX_ID, OrderOut, order_out, orders_of
from .schemas import DateIn, PositiveQuantityIn, Text, quantity

router = Router(tags=["call-offs"])


class CallOffLineIn(Schema):
    line_id: int = Field(ge=1, le=MAX_ID, description="The agreement line's id (GET /agreements/{code}).")
    quantity: PositiveQuantityIn


class CallOffIn(Schema):
    lines: list[CallOffLineIn] = Field(min_length=1, max_length=500)
    note: Text = Field("", max_length=2000, description="A note for the producer groups.")
    po_number: Text = Field(
        "", max_length=50, description="Your purchase order number (required if the company asks for one)."
    )
    delivery_address_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="One of GET /delivery-addresses; the company's default if left out."
    )
    required_by: DateIn | None = Field(
        None, description="The date the goods are needed by: today or later, within the agreement."
    )


class DeliveryAddressOut(Schema):
    id: int
    label: str
    recipient: str
    phone: str
    address: str
    is_default: bool


class CallOffOut(Schema):
    orders: list[OrderOut] = Field(description="One order per producer group.")


def _place(request, agreement: PurchaseAgreement, payload: CallOffIn) -> tuple[int, dict]:
    quantities: dict[int, object] = {}
    for line in payload.lines:
        if line.line_id in quantities:
            raise _refused(_("Line %(id)s appears twice.") % {"id": line.line_id})
        quantities[line.line_id] = line.quantity
    company = request.auth.company
    address = None
    if payload.delivery_address_id is not None:
        address = company.delivery_addresses.filter(pk=payload.delivery_address_id).first()
        if address is None:
            raise _refused(_("This company has no delivery address with this id."))
    try:
        details = procurement_from(
            company=company,
            po_number=payload.po_number,
            address=address,
            required_by=payload.required_by,
            latest=agreement.valid_to,
        )
    except ValidationError as error:
        raise _refused(*error.messages) from None
    try:
        orders = services.call_off_place(
            agreement=agreement,
            quantities=quantities,
            placed_by=request.auth.created_by,
            note=payload.note,
            procurement=details,
        )
    except services.CallOffRefused as refusal:
        if refusal.over_committed:
            raise _over_commit(refusal, quantities) from None
        raise _refused(*refusal.messages) from None
    except ValidationError as error:
        raise _refused(*error.messages) from None
    placed = list(orders_of(request.auth.company).filter(pk__in=[order.pk for order in orders]).order_by("pk"))
    body = CallOffOut(orders=[order_out(order) for order in placed]).model_dump(by_alias=True)
    # Stored as the JSON the client receives (dates and times as the API writes them).
    return 201, json.loads(json.dumps(body, cls=NinjaJSONEncoder))


def _render(request, answer: idempotency.Answer):
    """The first answer and every replay go through the schema the same way: PostgreSQL's jsonb
    does not keep the stored body's key order, the schema restores it, so a replay is byte for
    byte the first response."""
    body = CallOffOut.model_validate(answer.body).model_dump(by_alias=True)
    response = api.create_response(request, body, status=answer.status)
    if answer.replayed:
        response[idempotency.REPLAYED_HEADER] = "true"
    return response


def _over_commit(refusal: services.CallOffRefused, quantities) -> Problem:
    return Problem(
        409,
        "over-commit",
        _("Over-commit"),
        " ".join(refusal.messages),
        lines=[
            {
                "line_id": line_id,
                "requested": quantity(quantities[line_id]),
                "remaining": quantity(max(remaining, ZERO)),
                "over_committed": line_id in refusal.over_committed,
            }
            for line_id, remaining in sorted(refusal.remaining.items())
        ],
        errors=[{"loc": ["body", "lines"], "msg": message, "type": "over_commit"} for message in refusal.messages],
    )


def _refused(*messages: str) -> Problem:
    return refused(_("Call-off refused"), list(messages))


@router.post(
    "/agreements/{code}/calloffs",
    response={201: CallOffOut, 409: ProblemSchema},
    summary="Place a call-off under an agreement",
    openapi_extra={"parameters": [idempotency.HEADER_DOC]},
)
def call_off_create(request, code: AgreementCode, payload: CallOffIn):
    """Order quantities of the agreement's lines; one order is created per producer group.
    Requires an `Idempotency-Key` header. Over-commit answers 409 with type `over-commit` and
    `lines: [{line_id, requested, remaining, over_committed}]`; a reused key with a different body
    answers 409 with type `conflict`. Concurrent requests with the same key: one places, the
    other waits and gets the stored response."""
    require_scope(request, "order")
    key = idempotency.key_from(request)
    agreement = agreement_for_key(request, code)
    answer = idempotency.run_once(
        api_key=request.auth,
        key=key,
        # The body as validated (quantities as exact decimals, the note's default filled in), not
        # parsed a second time: "12.5" and 12.5 are the same call-off.
        request_hash=idempotency.fingerprint(request, payload.model_dump(mode="json")),
        action=lambda: _place(request, agreement, payload),
    )
    return _render(request, answer)


@router.get(
    "/delivery-addresses",
    response=list[DeliveryAddressOut],
    summary="The company's delivery addresses",
    tags=["call-offs"],
)
def delivery_addresses(request):
    """Where the company has goods delivered; the default first. Give a call-off one's `id` as
    `delivery_address_id`."""
    require_scope(request, "read")
    return [
        DeliveryAddressOut.model_validate(address, from_attributes=True)
        for address in request.auth.company.delivery_addresses.order_by("-is_default", "label", "pk")
    ]
