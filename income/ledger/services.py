"""From delivered goods to household income, and from income to cash in hand: the ledger services.

* `contributions_record`: which enrolled, consenting households supplied how much of a delivered
  line (the rows sum exactly to the delivered quantity). Replaced freely until the line is
  settled, never after.
* `settle_delivery` / `settle_order` / `settle_invoice`: once a delivery is accepted AND paid AND
  its valued lines have complete contributions, each line's value is split over its households
  into `HouseholdIncomeEntry` rows. Idempotent: every entry has a `settlement_key`, and the
  delivery row is locked while keys are checked and written, so two runs never add anything twice.
* `refunds_reverse`: a succeeded refund of a settled delivery appends reversing entries.
* `payout_record`: the group hands money to a household, never more than its unpaid balance.
* The household pages' statement is in `income.ledger.statements`, the poverty panel in
  `income.status`.

Rounding, documented once:

* a line's value is `accepted_quantity × unit_price` rounded to the satang exactly as the invoice
  and receipt round it (`DeliveryLine.accepted_value`), so households share what the buyer paid;
* the group's retention is `value × retention_rate / 100` rounded HALF-UP to the satang, and the
  rest (value − retention) goes to the households: the group never keeps a fraction of a satang
  that a household lost, and the two parts always sum to the value;
* the households' part is split by quantity with `settlement.split_exact` (largest remainder, ties
  by household id), so the parts sum exactly to it, none is negative and the split is the same
  every time.

Refunds: a refund of a delivery first covers the value of the goods the buyer rejected (which
never reached the ledger: only accepted goods are settled); only what a delivery's refunds return
beyond its rejected value comes out of household income. That part is spread over the delivery's
valued lines by value, less the share the group retained on that line at settlement, and over each
line's households in proportion to what they still hold for it — so no household's total for a
line goes below zero. Reversal entries carry quantity 0: money went back, not goods.

Payouts may be recorded by the group's treasurer; a manager may record them only when the group has
no treasurer (a group needs someone to hand out cash, but where it has a treasurer the person who
decides who supplied what is not also the one who records paying it). Coordinators do not handle a
group's cash. See `can_record_payouts`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access, audit
from orders.models import Delivery, DeliveryLine, Invoice, Order, Refund
from orders.services import quantity_text, unit_label
from producers.models import Enrolment, GroupMembership, Household, ProducerGroup

from .models import Contribution, HouseholdIncomeEntry, Payout
from .settlement import split_exact

ZERO = Decimal("0")
SATANG = Decimal("0.01")
QUANTUM = Decimal("0.001")
BANGKOK = ZoneInfo("Asia/Bangkok")


# --- Exact arithmetic -----------------------------------------------------------------------


def split_quantity(total: Decimal, weights) -> dict:
    """Like `split_exact` but to the unit's 3 decimals: `total` (≤ 3 decimals) divided over the
    weights, largest remainder, ties by key; the parts sum exactly to `total`."""
    total = Decimal(total)
    if total != total.quantize(QUANTUM):
        raise ValueError("quantities have at most 3 decimals")
    # split_exact works in hundredths: ten times the quantity in hundredths is it in thousandths.
    parts = split_exact(total * 10, weights)
    return {key: (value / 10).quantize(QUANTUM) for key, value in parts.items()}


def retention_of(value: Decimal, rate: Decimal) -> Decimal:
    """The group's share of a value, rounded half-up to the satang."""
    return (value * rate / 100).quantize(SATANG, rounding=ROUND_HALF_UP)


def split_line(value: Decimal, rate: Decimal, accepted_quantity: Decimal, weights) -> tuple[Decimal, dict, dict]:
    """One settled line: (the group's retention, {household: amount}, {household: quantity}) for a
    line worth `value` with `accepted_quantity` accepted, supplied by households in the proportions
    `weights` [(household id, quantity supplied)]. retention + Σ amounts = value exactly and
    Σ quantities = accepted_quantity exactly; nothing is negative; the same input gives the same
    result."""
    retention = retention_of(value, rate)
    return retention, split_exact(value - retention, weights), split_quantity(accepted_quantity, weights)


def _bangkok_date(moment: datetime.datetime | None) -> datetime.date:
    return timezone.localtime(moment or timezone.now(), BANGKOK).date()


# --- Contributions --------------------------------------------------------------------------


def eligible_households(group: ProducerGroup):
    """Households that may be credited for the group's goods: enrolled (active) in it, with
    programme consent given and not erased."""
    return (
        Household.objects.filter(pk__in=Enrolment.objects.filter(group=group, active=True).values("household_id"))
        .identifiable()
        .order_by("code")
    )


def line_is_settled(line: DeliveryLine) -> bool:
    return HouseholdIncomeEntry.objects.filter(delivery_line=line, kind=HouseholdIncomeEntry.Kind.SALE).exists()


def _clean_rows(line: DeliveryLine, rows: Mapping, eligible: set[int]) -> dict[int, Decimal]:
    name = line.order_line.product_name
    cleaned: dict[int, Decimal] = {}
    problems = []
    for household_id, quantity in rows.items():
        if quantity in (None, ""):
            continue
        try:
            quantity = Decimal(quantity)
        except (ArithmeticError, TypeError, ValueError):
            problems.append(_("“%(product)s”: %(value)s is not a quantity.") % {"product": name, "value": quantity})
            continue
        if quantity == 0:
            continue
        if quantity < 0:
            problems.append(_("“%(product)s”: a household cannot supply less than nothing.") % {"product": name})
        elif quantity != quantity.quantize(QUANTUM):
            problems.append(_("“%(product)s”: use at most 3 decimals.") % {"product": name})
        elif int(household_id) not in eligible:
            problems.append(
                _(
                    "“%(product)s”: household %(household)s is not enrolled in this group with consent given; "
                    "only those households can be credited."
                )
                % {"product": name, "household": household_id}
            )
        else:
            cleaned[int(household_id)] = quantity
    if problems:
        raise ValidationError(problems, code="bad_contribution")
    total = sum(cleaned.values(), ZERO)
    if total != line.quantity:
        raise ValidationError(
            _(
                "“%(product)s”: the households' quantities add up to %(total)s %(unit)s, "
                "but %(delivered)s %(unit)s were delivered. They must be equal."
            )
            % {
                "product": name,
                "total": quantity_text(total),
                "delivered": quantity_text(line.quantity),
                "unit": unit_label(line.order_line.unit),
            },
            code="sum_mismatch",
        )
    return cleaned


def contributions_record(
    *,
    rows: Mapping,
    actor,
    delivery_line: DeliveryLine | None = None,
    delivery: Delivery | None = None,
) -> list[Contribution]:
    """Record who supplied a delivered line: `delivery_line` with rows {household id: quantity},
    or a whole `delivery` with rows {delivery line id: {household id: quantity}} (all lines in one
    transaction). Each line's rows replace its earlier ones while it is unsettled; afterwards they
    are refused. Then the delivery is settled if it now can be.

    The caller checks that `actor` manages the order's group (`can_record_contributions`)."""
    if (delivery_line is None) == (delivery is None):
        raise TypeError("give a delivery_line or a delivery")
    if delivery_line is not None:
        delivery_id, by_line = delivery_line.delivery_id, {delivery_line.pk: rows}
    else:
        delivery_id, by_line = delivery.pk, {int(pk): line_rows for pk, line_rows in rows.items()}
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("order").get(pk=delivery_id)
        lines = {line.pk: line for line in delivery.lines.select_related("order_line")}
        if not set(by_line) <= set(lines):
            raise ValidationError(_("A line is not part of this delivery."), code="wrong_line")
        eligible = set(eligible_households(delivery.order.group).values_list("pk", flat=True))
        created: list[Contribution] = []
        problems: list[str] = []
        now = timezone.now()
        for line_id in sorted(by_line):
            line = lines[line_id]
            if line_is_settled(line):
                problems.append(
                    _(
                        "“%(product)s” is already settled: the households were credited and their shares "
                        "can no longer change."
                    )
                    % {"product": line.order_line.product_name}
                )
                continue
            try:
                cleaned = _clean_rows(line, by_line[line_id], eligible)
            except ValidationError as error:
                problems.extend(error.messages)
                continue
            Contribution.objects.filter(delivery_line=line).delete()
            created += Contribution.objects.bulk_create(
                [
                    Contribution(delivery_line=line, household_id=pk, quantity=q, recorded_by=actor, recorded_at=now)
                    for pk, q in sorted(cleaned.items())
                ]
            )
            audit.record(
                "contributions.recorded",
                line,
                actor=actor,
                details={
                    "delivery": delivery.number,
                    "order": delivery.order.number,
                    "rows": {str(pk): str(q) for pk, q in sorted(cleaned.items())},
                },
            )
        if problems:
            raise ValidationError(problems, code="bad_contributions")
        settle_delivery(delivery)
    return created


def equal_split(line: DeliveryLine, household_ids) -> dict[int, Decimal]:
    """The delivered quantity shared equally (to 3 decimals; the leftover thousandths go one each to
    the lowest household ids)."""
    ids = sorted({int(pk) for pk in household_ids})
    if not ids:
        return {}
    return split_quantity(line.quantity, [(pk, Decimal(1)) for pk in ids])


def same_as_last_time(line: DeliveryLine) -> dict[int, Decimal]:
    """The households and proportions of this group's previous delivery line of the same product
    that has contributions, applied to this line's quantity ({} when there is none). Households no
    longer eligible are left out."""
    order_line = line.order_line
    previous = (
        DeliveryLine.objects.filter(
            order_line__product_id=order_line.product_id,
            order_line__order__group_id=order_line.order.group_id,
            contributions__isnull=False,
            pk__lt=line.pk,
        )
        .order_by("-pk")
        .first()
    )
    if previous is None:
        return {}
    eligible = set(eligible_households(order_line.order.group).values_list("pk", flat=True))
    weights = [(c.household_id, c.quantity) for c in previous.contributions.all() if c.household_id in eligible]
    if not weights:
        return {}
    return {pk: q for pk, q in split_quantity(line.quantity, sorted(weights)).items() if q > 0}


def _lines_without_contributions():
    return (
        DeliveryLine.objects.filter(delivery=OuterRef("pk"))
        .exclude(accepted_quantity=ZERO)  # rejected in full: nobody to credit
        .filter(~Exists(Contribution.objects.filter(delivery_line=OuterRef("pk"))))
    )


def needs_suppliers_filter() -> Exists:
    """For Delivery querysets: a line not rejected in full says nothing of who supplied it."""
    return Exists(_lines_without_contributions())


def proposed_split(line: DeliveryLine, household_ids) -> tuple[str, dict[int, Decimal]]:
    """What the "who supplied it" form offers before anyone typed: the proportions of last time
    ("last"), else the delivered quantity shared equally by the group's households ("equal")."""
    proposal = same_as_last_time(line)
    if proposal:
        return "last", proposal
    return "equal", equal_split(line, household_ids)


def share_preview(line: DeliveryLine, rate: Decimal, quantities: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Each household's baht for the line if the buyer accepts what was delivered and pays: the
    settlement's own arithmetic (`split_line`) on the quantities typed so far ({} when none)."""
    weights = sorted((pk, Decimal(q)) for pk, q in quantities.items() if q and Decimal(q) > 0)
    if not weights:
        return {}
    accepted = line.accepted_quantity if line.accepted_quantity is not None else line.quantity
    value = (accepted * line.order_line.unit_price).quantize(SATANG)
    if value <= 0:
        return {pk: ZERO for pk, _q in weights}
    _retention, amounts, _quantities = split_line(value, rate, accepted, weights)
    return amounts


def can_record_contributions(user, order: Order) -> bool:
    """Managers of the order's group record who supplied it."""
    return order.group_id in set(access.memberships(user, "producer_group", roles=[GroupMembership.Role.MANAGER]))


# --- Settlement -----------------------------------------------------------------------------


def payment_date(delivery: Delivery) -> datetime.date | None:
    """When the buyer paid for the delivery (Bangkok date), or None while it is unpaid: a
    marketplace order at its paid checkout, a call-off when the delivery's invoice is paid."""
    order = delivery.order
    if order.is_marketplace:
        checkout = order.checkout
        if checkout is None or checkout.status != checkout.Status.PAID:
            return None
        return _bangkok_date(checkout.paid_at)
    invoice = Invoice.objects.filter(delivery=delivery, status=Invoice.Status.PAID).first()
    if invoice is None:
        return None
    return _bangkok_date(invoice.paid_at or invoice.issued_at)


def _contributed(line: DeliveryLine) -> Decimal:
    return line.contributions.aggregate(total=Sum("quantity"))["total"] or ZERO


class Waiting:
    """Why a delivery is not settled yet (codes for the UI and tests)."""

    ACCEPTANCE = "acceptance"
    PAYMENT = "payment"
    CONTRIBUTIONS = "contributions"


def settlement_waits_for(delivery: Delivery) -> str | None:
    """None when the delivery can be settled, else what it waits for (a `Waiting` code)."""
    if delivery.status != Delivery.Status.ACCEPTED:
        return Waiting.ACCEPTANCE
    if payment_date(delivery) is None:
        return Waiting.PAYMENT
    for line in delivery.lines.select_related("order_line"):
        if line.accepted_value > 0 and _contributed(line) != line.quantity:
            return Waiting.CONTRIBUTIONS
    return None


def delivery_is_settled(delivery: Delivery) -> bool:
    valued = [line for line in delivery.lines.select_related("order_line") if line.accepted_value > 0]
    return bool(valued) and all(line_is_settled(line) for line in valued)


def settle_delivery(delivery: Delivery | None) -> list[HouseholdIncomeEntry]:
    """Credit the households for an accepted, paid, fully contributed delivery; returns the entries
    written now ([] when it is not ready, or was settled already). Safe to call at any time, any
    number of times; joins the caller's transaction."""
    if delivery is None:
        return []
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("order__group", "order__checkout")
            .get(pk=delivery.pk)
        )
        if settlement_waits_for(delivery) is not None:
            return []
        order = delivery.order
        earned_on = payment_date(delivery)
        rate = order.group.retention_rate
        existing = set(
            HouseholdIncomeEntry.objects.filter(delivery_line__delivery=delivery).values_list(
                "settlement_key", flat=True
            )
        )
        created: list[HouseholdIncomeEntry] = []
        totals = {"value": ZERO, "retention": ZERO, "households": ZERO}
        for line in delivery.lines.select_related("order_line").order_by("pk"):
            value = line.accepted_value
            if value <= 0:
                continue  # nothing accepted: nothing earned
            contributions = list(line.contributions.order_by("household_id"))
            weights = [(c.household_id, c.quantity) for c in contributions]
            retention, amounts, quantities = split_line(value, rate, line.accepted_quantity, weights)
            new = [
                HouseholdIncomeEntry(
                    household_id=c.household_id,
                    group_id=order.group_id,
                    order=order,
                    delivery_line=line,
                    kind=HouseholdIncomeEntry.Kind.SALE,
                    quantity=quantities[c.household_id],
                    amount=amounts[c.household_id],
                    settlement_key=f"sale:{line.pk}:{c.household_id}",
                    earned_on=earned_on,
                )
                for c in contributions
                if f"sale:{line.pk}:{c.household_id}" not in existing
            ]
            # One insert and one update of the running totals per line (income.ledger.models.rollups_add).
            HouseholdIncomeEntry.objects.bulk_create(new)
            if new:
                totals["value"] += value
                totals["retention"] += retention
                totals["households"] += value - retention
            created += new
        if created:
            audit.record(
                "ledger.settled",
                delivery,
                actor=None,
                details={
                    "order": order.number,
                    "agreement": order.agreement.code if order.agreement_id else "",
                    "retention_rate": str(rate),
                    "earned_on": earned_on.isoformat(),
                    "entries": len(created),
                    **{name: str(amount) for name, amount in totals.items()},
                },
            )
        # A refund that succeeded before the contributions arrived is reversed now.
        created += _reverse_delivery_refunds(delivery)
    return created


def settle_order(order: Order) -> list[HouseholdIncomeEntry]:
    created: list[HouseholdIncomeEntry] = []
    for delivery in Delivery.objects.filter(order=order, status=Delivery.Status.ACCEPTED).order_by("pk"):
        created += settle_delivery(delivery)
    return created


def settle_invoice(invoice: Invoice) -> list[HouseholdIncomeEntry]:
    """A call-off's invoice was paid: settle the delivery it bills."""
    return settle_delivery(invoice.delivery) if invoice.delivery_id else []


# --- Reversals ------------------------------------------------------------------------------


def refunds_reverse(refunds) -> list[HouseholdIncomeEntry]:
    """Append reversing entries for succeeded refunds of settled deliveries (called by
    orders.payments.charge_refunded inside its transaction; safe to repeat)."""
    created: list[HouseholdIncomeEntry] = []
    delivery_ids = sorted({r.delivery_id for r in refunds if r.delivery_id and r.status == Refund.Status.SUCCEEDED})
    for delivery in Delivery.objects.filter(pk__in=delivery_ids).order_by("pk"):
        with transaction.atomic():
            locked = Delivery.objects.select_for_update(of=("self",)).select_related("order").get(pk=delivery.pk)
            created += _reverse_delivery_refunds(locked)
    return created


def _reverse_delivery_refunds(delivery: Delivery) -> list[HouseholdIncomeEntry]:
    """Call holding the delivery's lock."""
    refunds = list(Refund.objects.filter(delivery=delivery, status=Refund.Status.SUCCEEDED).order_by("pk"))
    if not refunds:
        return []
    lines = list(delivery.lines.select_related("order_line").order_by("pk"))
    settled = [line for line in lines if line.accepted_value > 0 and line_is_settled(line)]
    if not settled:
        return []
    rejected_value = sum(
        ((line.rejected_quantity or ZERO) * line.order_line.unit_price).quantize(SATANG) for line in lines
    )
    settled_value = sum((line.accepted_value for line in settled), ZERO)
    done = set(
        HouseholdIncomeEntry.objects.filter(
            delivery_line__delivery=delivery, kind=HouseholdIncomeEntry.Kind.REVERSAL
        ).values_list("settlement_key", flat=True)
    )
    done_refunds = {int(key.split(":")[1]) for key in done}
    created: list[HouseholdIncomeEntry] = []
    cumulative = ZERO
    today = _bangkok_date(None)
    for refund in refunds:
        # The refunds first pay back the rejected goods; only the rest was household income.
        before = min(max(cumulative - rejected_value, ZERO), settled_value)
        cumulative += refund.amount
        after = min(max(cumulative - rejected_value, ZERO), settled_value)
        part = after - before
        if part <= 0 or refund.pk in done_refunds:
            continue
        entries = []
        for line_id, gross in split_exact(part, [(line.pk, line.accepted_value) for line in settled]).items():
            line = next(line for line in settled if line.pk == line_id)
            entries += _reverse_line(line, gross, refund, today)
        if entries:
            audit.record(
                "ledger.reversed",
                delivery,
                actor=None,
                details={
                    "refund": refund.pk,
                    "order": delivery.order.number,
                    "refunded": str(refund.amount),
                    "households": str(-sum((e.amount for e in entries), ZERO)),
                    "entries": len(entries),
                },
            )
        created += entries
    return created


def _reverse_line(line: DeliveryLine, gross: Decimal, refund: Refund, today) -> list[HouseholdIncomeEntry]:
    if gross <= 0:
        return []
    rows = list(HouseholdIncomeEntry.objects.filter(delivery_line=line).order_by("pk"))
    sales = {row.household_id: row for row in rows if row.kind == HouseholdIncomeEntry.Kind.SALE}
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        held[row.household_id] += row.amount
    sold = sum((row.amount for row in sales.values()), ZERO)
    # The households lose what they got of this slice of the value: the group's share at
    # settlement (value − what the households got) stays the group's to give back.
    retained = ((line.accepted_value - sold) * gross / line.accepted_value).quantize(SATANG, rounding=ROUND_HALF_UP)
    holding = {pk: amount for pk, amount in held.items() if amount > 0}
    net = min(gross - retained, sum(holding.values(), ZERO))
    if net <= 0:
        return []
    # Weighted by what each still holds, so no household's total for the line goes below zero.
    parts = split_exact(net, sorted(holding.items()))
    entries = []
    for household_id, amount in sorted(parts.items()):
        if amount <= 0:
            continue
        sale = sales[household_id]
        entry = HouseholdIncomeEntry(
            household_id=household_id,
            group_id=sale.group_id,
            order_id=sale.order_id,
            delivery_line=line,
            kind=HouseholdIncomeEntry.Kind.REVERSAL,
            quantity=ZERO,
            amount=-amount,
            settlement_key=f"reversal:{refund.pk}:{sale.pk}",
            reverses=sale,
            earned_on=today,
        )
        entries.append(entry)
    return HouseholdIncomeEntry.objects.bulk_create(entries)


# --- Payouts --------------------------------------------------------------------------------


def household_balance(household: Household, group: ProducerGroup) -> Decimal:
    """What the group still owes the household: its entries in the group − its payouts there."""
    earned = HouseholdIncomeEntry.objects.filter(household=household, group=group).aggregate(total=Sum("amount"))
    paid = Payout.objects.filter(household=household, group=group).aggregate(total=Sum("amount"))
    return (earned["total"] or ZERO) - (paid["total"] or ZERO)


def can_record_payouts(user, group: ProducerGroup) -> bool:
    """The group's treasurer; a manager only when the group has no treasurer (see module doc)."""
    role = access.memberships(user, "producer_group").get(group.pk)
    if role == GroupMembership.Role.TREASURER:
        return True
    if role == GroupMembership.Role.MANAGER:
        return not GroupMembership.objects.filter(group=group, role=GroupMembership.Role.TREASURER).exists()
    return False


def payout_record(
    *,
    household: Household,
    group: ProducerGroup,
    amount: Decimal,
    method: str,
    paid_on: datetime.date,
    actor,
    reference: str = "",
) -> Payout:
    """The group paid the household. Refused above the household's unpaid balance in the group
    (checked under a lock on the household row, so two payouts cannot both spend the same baht).

    The caller checks that `actor` may record payouts for the group (`can_record_payouts`)."""
    amount = Decimal(amount)
    reference = (reference or "").strip()
    problems = []
    if amount <= 0:
        problems.append(_("Enter an amount above ฿0."))
    elif amount != amount.quantize(SATANG):
        problems.append(_("Amounts are in baht and satang: at most 2 decimals."))
    if method not in Payout.Method.values:
        problems.append(_("Choose cash, bank transfer or PromptPay."))
    elif method != Payout.Method.CASH and not reference:
        problems.append(_("Enter the transfer reference for a bank transfer or PromptPay payment."))
    if paid_on > timezone.localdate():
        problems.append(_("The payment date cannot be in the future."))
    if not Enrolment.objects.filter(household=household, group=group).exists():
        problems.append(_("This household is not enrolled in the group."))
    if problems:
        raise ValidationError(problems, code="bad_payout")
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        balance = household_balance(household, group)
        if amount > balance:
            raise ValidationError(
                _("The group owes this household %(balance)s; it cannot pay out %(amount)s.")
                % {"balance": _baht(max(balance, ZERO)), "amount": _baht(amount)},
                code="over_balance",
            )
        payout = Payout.objects.create(
            household=household,
            group=group,
            amount=amount,
            method=method,
            reference=reference,
            paid_on=paid_on,
            recorded_by=actor,
        )
        audit.record(
            "payout.recorded",
            payout,
            actor=actor,
            details={
                "household": household.pk,
                "group": group.code,
                "amount": str(amount),
                "method": method,
                "reference": reference,
                "paid_on": paid_on.isoformat(),
                "balance_after": str(balance - amount),
            },
        )
    return payout


def _baht(amount: Decimal) -> str:
    from marketplace.money import format_baht

    return format_baht(amount)
