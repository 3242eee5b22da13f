"""Writes about agreements and orders: activation, amendments, termination, call-offs and every
order status change. Each public function is one transaction, audited; order status fields change
only through `order_transition`, which enforces TRANSITIONS and writes an OrderEvent.

Quantities: what remains on an agreement line is committed − ordered, where ordered is summed from
the lines of open orders (placed or confirmed). Anything that can raise "ordered" or lower
"committed" first locks the agreement row and then the line rows (in primary-key order), so on
PostgreSQL two call-offs for the same agreement queue behind each other and each sees the other's
committed result; on SQLite the IMMEDIATE transaction mode serialises writers already.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from buyers.procurement import Procurement
from cms.models import Unit
from marketplace import audit
from marketplace.numbers import parse_decimal
from marketplace.templatetags.thai import local_date

from . import emails
from .models import (
    HOLDING_STATUSES,
    ZERO,
    AgreementAmendment,
    AgreementLine,
    AgreementState,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    PurchaseAgreement,
)

# field → {from: {allowed to}}. Who may make a move, and when, is checked by the service that
# makes it (e.g. a buyer cancels only an order the group has not confirmed); this map is the
# outer fence no service can cross.
TRANSITIONS: dict[str, dict[str, set[str]]] = {
    "status": {
        # A marketplace order is paid first: then the group sees it (placed); an unpaid one that
        # fails or expires is cancelled.
        OrderStatus.PENDING_PAYMENT: {OrderStatus.PLACED, OrderStatus.CANCELLED},
        OrderStatus.PLACED: {OrderStatus.CONFIRMED, OrderStatus.DECLINED, OrderStatus.CANCELLED},
        # Confirmed orders can be cancelled only while nothing was delivered (services check).
        OrderStatus.CONFIRMED: {OrderStatus.COMPLETED, OrderStatus.CANCELLED},
        OrderStatus.COMPLETED: set(),
        OrderStatus.DECLINED: set(),
        OrderStatus.CANCELLED: set(),
    },
    "payment_status": {
        PaymentStatus.UNPAID: {PaymentStatus.PENDING, PaymentStatus.PAID, PaymentStatus.INVOICED, PaymentStatus.FAILED},
        PaymentStatus.PENDING: {PaymentStatus.PAID, PaymentStatus.FAILED},
        PaymentStatus.FAILED: set(),
        # A call-off delivered in parts is invoiced again after an earlier invoice was paid.
        # A voided invoice leaves the order unpaid until it is invoiced again.
        PaymentStatus.INVOICED: {PaymentStatus.PAID, PaymentStatus.UNPAID},
        PaymentStatus.PAID: {PaymentStatus.INVOICED, PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
    },
    "fulfilment_status": {
        FulfilmentStatus.UNFULFILLED: {FulfilmentStatus.PARTIAL, FulfilmentStatus.DELIVERED},
        FulfilmentStatus.PARTIAL: {FulfilmentStatus.DELIVERED},
        FulfilmentStatus.DELIVERED: set(),
    },
}
STATUS_LABELS = {"status": OrderStatus, "payment_status": PaymentStatus, "fulfilment_status": FulfilmentStatus}


class TransitionError(ValidationError):
    """A status change the transition map does not allow."""


def unit_label(code: str) -> str:
    """The unit's name for a reader, e.g. kg → kilogram (translated); unknown codes as they are."""
    return str(dict(Unit.choices).get(code, code))


def quantity_text(value: Decimal) -> str:
    """1.500 → "1.5", 12000.000 → "12,000": as a person would write it."""
    if not isinstance(value, Decimal):
        value = parse_decimal(value)  # a form's value, e.g. "10" or "๑๐"
    value = value.normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=places, force_grouping=True)


# --- Order status ---------------------------------------------------------------------------


def check_transition(order: Order, to: str, field: str = "status") -> None:
    if field not in TRANSITIONS:
        raise TransitionError(_("Orders have no status field “%(field)s”.") % {"field": field})
    current = getattr(order, field)
    labels = STATUS_LABELS[field]
    if to not in labels.values:
        raise TransitionError(_("“%(status)s” is not an order status.") % {"status": to})
    if to not in TRANSITIONS[field].get(current, set()):
        raise TransitionError(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {"number": order.number, "from": labels(current).label, "to": labels(to).label},
            code="illegal_transition",
        )


def order_transition(*, order: Order, to: str, field: str = "status", actor=None, note: str = "") -> Order:
    """Move one status field of an order, if the map allows it, and record the move."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        check_transition(order, to, field)
        before = getattr(order, field)
        setattr(order, field, to)
        order.save(update_fields=[field])
        OrderEvent.objects.create(order=order, field=field, from_status=before, to_status=to, actor=actor, note=note)
        who = {"actor": actor} if actor is not None else {}  # else the request's user
        audit.record(f"order.{field}", order, details={"from": before, "to": to, "note": note}, **who)
    return order


def order_confirm(*, order: Order, actor, note: str = "") -> Order:
    with transaction.atomic():
        order = order_transition(order=order, to=OrderStatus.CONFIRMED, actor=actor, note=note)
        emails.order_answered(order)
    return order


def order_decline(*, order: Order, actor, reason: str) -> Order:
    """The group cannot supply the order; the reason goes to the buyer and the quantity returns."""
    if not reason.strip():
        raise ValidationError(_("Say why the order is declined: the buyer will read it."))
    with transaction.atomic():
        order = order_transition(order=order, to=OrderStatus.DECLINED, actor=actor, note=reason.strip())
        emails.order_answered(order)
    return order


# --- Agreements -----------------------------------------------------------------------------


def check_activation(agreement: PurchaseAgreement) -> list[str]:
    """Everything that stops the agreement being activated, as messages (empty: it may be)."""
    problems = []
    if agreement.activated_at is not None:
        problems.append(_("The agreement is already active."))
    if agreement.terminated_at is not None:
        problems.append(_("The agreement was terminated."))
    if agreement.signed_on is None:
        problems.append(_("Enter the date the agreement was signed."))
    if not agreement.signed_document:
        problems.append(_("Upload the signed agreement (PDF)."))
    if agreement.valid_to < agreement.valid_from:
        problems.append(_("The end date cannot be before the start date."))
    lines = list(agreement.lines.select_related("product"))
    if not lines:
        problems.append(_("Add at least one line."))
    group_ids = set(agreement.groups.values_list("pk", flat=True))
    for line in lines:
        name = line.product.title
        if line.committed_quantity <= 0:
            problems.append(_("“%(product)s”: the committed quantity must be more than 0.") % {"product": name})
        if line.unit_price <= 0:
            problems.append(_("“%(product)s”: the price must be more than 0.") % {"product": name})
        if (
            line.min_per_call_off is not None
            and line.max_per_call_off is not None
            and line.min_per_call_off > line.max_per_call_off
        ):
            problems.append(_("“%(product)s”: the maximum per call-off is below the minimum.") % {"product": name})
        if line.group.pk not in group_ids:
            problems.append(
                _("“%(product)s” is made by %(group)s, which is not a participating group.")
                % {"product": name, "group": line.group}
            )
    return problems


def agreement_activate(*, agreement: PurchaseAgreement, actor) -> PurchaseAgreement:
    with transaction.atomic():
        agreement = PurchaseAgreement.objects.select_for_update().get(pk=agreement.pk)
        problems = check_activation(agreement)
        if problems:
            raise ValidationError(problems)
        agreement.activated_at = timezone.now()
        agreement.activated_by = actor
        agreement.save(update_fields=["activated_at", "activated_by"])
        audit.record("agreement.activated", agreement, actor=actor, details={"code": agreement.code})
    return agreement


def agreement_terminate(*, agreement: PurchaseAgreement, actor, reason: str) -> PurchaseAgreement:
    if not reason.strip():
        raise ValidationError(_("Say why the agreement is terminated."))
    with transaction.atomic():
        # Call-offs lock the agreement row too: none can slip in between this check and the write.
        agreement = PurchaseAgreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.terminated_at is not None:
            raise ValidationError(_("The agreement is already terminated."))
        if agreement.activated_at is None:
            raise ValidationError(_("A draft agreement cannot be terminated; delete it instead."))
        open_orders = agreement.open_orders().count()
        if open_orders:
            raise ValidationError(
                _("The agreement has %(count)s open call-off(s); they must be completed, cancelled or declined first.")
                % {"count": open_orders}
            )
        agreement.terminated_at = timezone.now()
        agreement.termination_reason = reason.strip()
        agreement.save(update_fields=["terminated_at", "termination_reason"])
        audit.record("agreement.terminated", agreement, actor=actor, details={"reason": agreement.termination_reason})
    return agreement


def ordered_quantities(line_ids) -> dict[int, Decimal]:
    """{line id: quantity in open orders}. Call while holding the lines' row locks when the answer
    decides a write."""
    rows = (
        OrderLine.objects.filter(agreement_line_id__in=list(line_ids), order__status__in=HOLDING_STATUSES)
        .values("agreement_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["agreement_line_id"]: row["total"] for row in rows}


def _lock_lines(agreement_id: int, line_ids) -> dict[int, AgreementLine]:
    lines = (
        AgreementLine.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(agreement_id=agreement_id, pk__in=list(line_ids))
        .order_by("pk")
    )
    return {line.pk: line for line in lines}


def line_amend(*, line: AgreementLine, field: str, new_value: Decimal, reason: str, actor) -> AgreementAmendment:
    """Change the committed quantity or the price of a line of an activated agreement. A committed
    quantity never goes below what open call-offs already hold; a new price applies to call-offs
    placed from now on (placed orders keep the price they were placed at)."""
    if field not in AgreementAmendment.Field.values:
        raise ValidationError(_("Only the committed quantity and the price can be amended."))
    if not reason.strip():
        raise ValidationError(_("Say why the agreement is amended."))
    new_value = Decimal(new_value)
    if new_value <= 0:
        raise ValidationError(_("The new value must be more than 0."))
    with transaction.atomic():
        agreement = PurchaseAgreement.objects.select_for_update().get(pk=line.agreement_id)
        if agreement.activated_at is None:
            raise ValidationError(_("A draft agreement is edited directly; amendments are for active agreements."))
        if agreement.terminated_at is not None:
            raise ValidationError(_("A terminated agreement cannot be amended."))
        line = _lock_lines(agreement.pk, [line.pk])[line.pk]
        old_value = getattr(line, field)
        if old_value == new_value:
            raise ValidationError(_("The new value is the same as the current one."))
        if field == AgreementAmendment.Field.COMMITTED_QUANTITY:
            ordered = ordered_quantities([line.pk]).get(line.pk, ZERO)
            if new_value < ordered:
                raise ValidationError(
                    _("%(ordered)s %(unit)s are already ordered: the committed quantity cannot go below that.")
                    % {"ordered": quantity_text(ordered), "unit": unit_label(line.unit)}
                )
        setattr(line, field, new_value)
        line.save(update_fields=[field])
        amendment = AgreementAmendment.objects.create(
            line=line, field=field, old_value=old_value, new_value=new_value, reason=reason.strip(), amended_by=actor
        )
        audit.record(
            "agreement.amended",
            agreement,
            actor=actor,
            details={"line": line.pk, "field": field, "from": str(old_value), "to": str(new_value), "reason": reason},
        )
    return amendment


# --- Call-offs ------------------------------------------------------------------------------


def _new_order_number() -> str:
    return f"tmp-{uuid.uuid4().hex[:24]}"  # replaced by the real number once the row has its id


class CallOffRefused(ValidationError):
    """A call-off refused line by line. Besides the messages it carries the figures seen under the
    lines' locks, for callers that answer machines (the API's over-commit problem): `remaining`
    {line id: committed − ordered} for every line asked for, and `over_committed`, the ids of the
    lines asked for more than remains."""

    def __init__(self, messages, *, remaining: dict[int, Decimal], over_committed: set[int]):
        super().__init__(messages, code="call_off_refused")
        self.remaining = remaining
        self.over_committed = over_committed


def check_call_off_quantity(line: AgreementLine, quantity: Decimal, ordered: Decimal) -> str | None:
    """Why this quantity cannot be called off on this line now (None: it can)."""
    name = line.product.title
    remaining = line.committed_quantity - ordered
    if quantity <= 0:
        return _("“%(product)s”: enter a quantity above 0.") % {"product": name}
    if line.min_per_call_off is not None and quantity < line.min_per_call_off:
        return _("“%(product)s”: at least %(min)s %(unit)s per call-off.") % {
            "product": name,
            "min": quantity_text(line.min_per_call_off),
            "unit": unit_label(line.unit),
        }
    if line.max_per_call_off is not None and quantity > line.max_per_call_off:
        return _("“%(product)s”: at most %(max)s %(unit)s per call-off.") % {
            "product": name,
            "max": quantity_text(line.max_per_call_off),
            "unit": unit_label(line.unit),
        }
    if quantity > remaining:
        return _("“%(product)s”: only %(remaining)s %(unit)s remaining.") % {
            "product": name,
            "remaining": quantity_text(max(remaining, ZERO)),
            "unit": unit_label(line.unit),
        }
    return None


def call_off_place(
    *,
    agreement: PurchaseAgreement,
    quantities: Mapping[int, Decimal],
    placed_by,
    note: str = "",
    procurement: Procurement | None = None,
) -> list[Order]:
    """Place a call-off: {agreement line id: quantity} becomes one order per producer group.
    Lines with no quantity (0 or missing) are left out. All or nothing: if any line cannot be
    ordered, nothing is, and the ValidationError lists every reason.

    The caller checks that `placed_by` may order for the agreement's company, and the procurement
    details (buyers.procurement.procurement_from) against the company's rules; they are copied
    onto every order."""
    procurement = procurement or Procurement()
    wanted = {int(line_id): Decimal(q) for line_id, q in quantities.items() if q is not None and Decimal(q) != 0}
    if not wanted:
        raise ValidationError(_("Enter a quantity for at least one line."))
    with transaction.atomic():
        agreement = PurchaseAgreement.objects.select_for_update().select_related("company").get(pk=agreement.pk)
        today = timezone.localdate()
        # A fulfilled agreement is still open for call-offs: its lines answer "only 0 remaining",
        # and cancelled or declined call-offs make room again.
        if agreement.activated_at is None or agreement.terminated_at is not None or today > agreement.valid_to:
            raise ValidationError(
                _("Call-offs can only be placed under an active agreement; this one is %(state)s.")
                % {"state": AgreementState(agreement.state(today)).label}
            )
        if today < agreement.valid_from:
            raise ValidationError(
                _("The agreement takes effect on %(date)s.") % {"date": local_date(agreement.valid_from)}
            )
        if not agreement.company.is_active:
            raise ValidationError(_("This company is suspended: it cannot place orders."))
        lines = _lock_lines(agreement.pk, wanted)
        if set(lines) != set(wanted):
            raise ValidationError(_("A line of this call-off is not part of the agreement."))
        ordered = ordered_quantities(lines)
        problems = [
            problem
            for line_id, line in lines.items()
            if (problem := check_call_off_quantity(line, wanted[line_id], ordered.get(line_id, ZERO)))
        ]
        if problems:
            remaining = {pk: line.committed_quantity - ordered.get(pk, ZERO) for pk, line in lines.items()}
            raise CallOffRefused(
                problems,
                remaining=remaining,
                over_committed={line_id for line_id in lines if wanted[line_id] > remaining[line_id]},
            )

        by_group = defaultdict(list)
        for line in lines.values():
            by_group[line.group].append(line)
        orders = []
        now = timezone.now()
        for group, group_lines in sorted(by_group.items(), key=lambda item: item[0].pk):
            order = Order.objects.create(
                number=_new_order_number(),
                kind=Order.Kind.CONTRACT,
                company=agreement.company,
                group=group,
                agreement=agreement,
                placed_by=placed_by,
                placed_at=now,
                buyer_note=note,
                **procurement.as_order_fields(),
            )
            order.number = f"CO-{now:%y%m}-{order.pk:06d}"
            order.save(update_fields=["number"])
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        product=line.product,
                        agreement_line=line,
                        quantity=wanted[line.pk],
                        product_name=line.product.title,
                        unit=line.unit,
                        unit_price=line.unit_price,
                    )
                    for line in group_lines
                ]
            )
            OrderEvent.objects.create(
                order=order, from_status="", to_status=OrderStatus.PLACED, actor=placed_by, created_at=now, note=note
            )
            audit.record(
                "order.placed",
                order,
                actor=placed_by,
                details={
                    "agreement": agreement.code,
                    "po_number": procurement.po_number,
                    "group": group.code,
                    "lines": {str(line.pk): str(wanted[line.pk]) for line in group_lines},
                },
            )
            orders.append(order)
        for order in orders:
            emails.call_off_placed(order)  # queued in the outbox with the order, sent after the commit
    return orders
