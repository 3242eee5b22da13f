"""A household's statement: its ledger entries and payouts between two dates, with the balance
brought forward and a running balance (the printable page of `income.ledger.views`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from producers.models import Household

from .models import HouseholdIncomeEntry, Payout

ZERO = Decimal("0")


@dataclass
class StatementRow:
    date: datetime.date
    kind: str  # "sale", "reversal" or "payout"
    description: str
    order_number: str = ""
    product: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    earned: Decimal = ZERO
    paid: Decimal = ZERO
    balance: Decimal = ZERO


@dataclass
class Statement:
    household: Household
    groups: list
    date_from: datetime.date
    date_to: datetime.date
    opening: Decimal = ZERO
    rows: list[StatementRow] = field(default_factory=list)
    earned: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.opening + self.earned - self.paid


def household_statement(*, household: Household, groups, date_from: datetime.date, date_to: datetime.date) -> Statement:
    """The household's entries and payouts in `groups` between the two dates (inclusive), in date
    order, with the balance brought forward and a running balance."""
    groups = list(groups)
    entries = HouseholdIncomeEntry.objects.filter(household=household, group__in=groups)
    payouts = Payout.objects.filter(household=household, group__in=groups)
    before = (entries.filter(earned_on__lt=date_from).aggregate(total=Sum("amount"))["total"] or ZERO) - (
        payouts.filter(paid_on__lt=date_from).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    statement = Statement(household=household, groups=groups, date_from=date_from, date_to=date_to, opening=before)
    rows: list[tuple] = []
    for entry in entries.filter(earned_on__gte=date_from, earned_on__lte=date_to).select_related(
        "order", "delivery_line__order_line", "delivery_line__delivery"
    ):
        order_line = entry.delivery_line.order_line
        description = (
            _("Sale, delivery %(number)s") if entry.kind == entry.Kind.SALE else _("Refund, delivery %(number)s")
        ) % {"number": entry.delivery_line.delivery.number}
        rows.append(
            (
                (entry.earned_on, 0, entry.pk),
                StatementRow(
                    date=entry.earned_on,
                    kind=entry.kind,
                    description=description,
                    order_number=entry.order.number,
                    product=order_line.product_name,
                    quantity=entry.quantity,
                    unit=order_line.unit,
                    earned=entry.amount,
                ),
            )
        )
    for payout in payouts.filter(paid_on__gte=date_from, paid_on__lte=date_to):
        description = _("Paid out (%(method)s)") % {"method": payout.get_method_display()}
        if payout.reference:
            description += f" {payout.reference}"
        rows.append(
            (
                (payout.paid_on, 1, payout.pk),
                StatementRow(date=payout.paid_on, kind="payout", description=description, paid=payout.amount),
            )
        )
    balance = before
    for _key, row in sorted(rows, key=lambda item: item[0]):
        balance += row.earned - row.paid
        row.balance = balance
        statement.rows.append(row)
        statement.earned += row.earned
        statement.paid += row.paid
    return statement
