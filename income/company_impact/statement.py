"""Reads for a company's impact statement in the buyer portal: what the company's purchases meant
for the poor households who made the goods. Aggregates only, each from one SQL query; a company
never sees a household, only counts and sums over at least `MIN_HOUSEHOLDS` of them.

Definitions (the statement page repeats them for its readers):

* **scope** — the company's orders: all of them, those under one of its agreements, or its
  marketplace purchases only; and a period, on the day the goods were paid for (a ledger entry's
  `earned_on`; an invoice's payment for call-offs, the checkout's for marketplace purchases).
* **households reached** — distinct households with at least one ledger entry
  (`HouseholdIncomeEntry`) from the orders in scope.
* **paid to households** — the sum of those entries, reversals (refunds) included.
* **paid value of accepted goods** — accepted quantity × unit price of the delivery lines in
  scope whose goods are paid: a call-off's delivery with a paid invoice, a marketplace order paid
  at checkout (a fully refunded one no longer counts).
* **share that reached households** — paid to households ÷ paid value of accepted goods. What is
  missing is the groups' retention (their common fund) and goods paid for but not yet settled.
* **crossed the line** — households reached that were poor or very poor at baseline and are at
  or above the poverty line on the statement's date (the end of the period, or today):
  `income.status.with_current_status`. Its share is of the households reached.

Suppression (small numbers identify people; the company knows whom it bought from):

* a count of 1 to 4 households is shown as "<5" (0 is shown: it describes nobody);
* when fewer than 5 households were reached, the money figures that describe them (paid to
  households and the share that reached households) are suppressed too, and so is "crossed";
* "crossed" is also suppressed when 1 to 4 of the households reached did NOT cross, because the
  two shown counts would give that small group away by subtraction; its share goes with it.
* The paid value of accepted goods describes the company's own purchases, not households: always
  shown.

Limits: the filters allow differencing (e.g. all agreements vs. one agreement) that could narrow a
figure to fewer households; the rule above only protects each figure as shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from buyers.models import Company
from orders.models import DeliveryLine, Invoice, Order, PaymentStatus, PurchaseAgreement
from producers.models import Household

from ..ledger.models import HouseholdIncomeEntry
from ..status import with_current_status

MIN_HOUSEHOLDS = 5
MARKETPLACE = "marketplace"  # the agreement filter's value for marketplace purchases only
ZERO = Decimal("0")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class StatementFilters:
    """What the reader asked for; everything optional. `agreement` must be one of the company's
    (the form offers only those); `marketplace_only` excludes call-offs."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    agreement: PurchaseAgreement | None = None
    marketplace_only: bool = False

    @property
    def as_of(self) -> datetime.date:
        """The day the poverty status is measured on: the end of the period, never the future."""
        today = timezone.localdate()
        return min(self.date_to, today) if self.date_to else today


@dataclass(frozen=True)
class Figure:
    """A number as it may be shown. Suppressed: `value` is None and `suppressed` True (shown as
    "<5"); not applicable (a share of nothing): `value` None, `suppressed` False (shown as "—")."""

    value: int | Decimal | None
    suppressed: bool = False


HIDDEN = Figure(None, suppressed=True)


@dataclass(frozen=True)
class Statement:
    company: Company
    filters: StatementFilters
    households_reached: Figure
    paid_to_households: Figure
    purchase_value: Decimal
    share_reached: Figure  # a percentage, one decimal
    crossed: Figure
    crossed_share: Figure  # a percentage of households reached, one decimal

    @property
    def has_figures(self) -> bool:
        return self.households_reached.value != 0 or self.purchase_value > 0


def statement_agreements(company: Company) -> QuerySet[PurchaseAgreement]:
    """The agreements a statement can be narrowed to: the company's activated ones."""
    return PurchaseAgreement.objects.filter(company=company, activated_at__isnull=False).order_by("-valid_from", "code")


def _orders(company: Company, filters: StatementFilters, order: str = "order") -> Q:
    """The orders in scope, as a condition on the relation `order` (a lookup path)."""
    condition = Q(**{f"{order}__company": company})
    if filters.marketplace_only:
        condition &= Q(**{f"{order}__kind": Order.Kind.MARKETPLACE})
    elif filters.agreement is not None:
        condition &= Q(**{f"{order}__agreement": filters.agreement})
    return condition


def entries(company: Company, filters: StatementFilters) -> QuerySet[HouseholdIncomeEntry]:
    """Ledger entries of the company's orders in scope, earned in the period."""
    queryset = HouseholdIncomeEntry.objects.filter(_orders(company, filters))
    if filters.date_from:
        queryset = queryset.filter(earned_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(earned_on__lte=filters.date_to)
    return queryset


def _paid_on_between(prefix: str, filters: StatementFilters) -> Q:
    condition = Q()
    if filters.date_from:
        condition &= Q(**{f"{prefix}__date__gte": filters.date_from})
    if filters.date_to:
        condition &= Q(**{f"{prefix}__date__lte": filters.date_to})
    return condition


def purchase_value(company: Company, filters: StatementFilters) -> Decimal:
    """The paid value of the company's accepted goods in scope (see the module's definitions)."""
    scope = _orders(company, filters, order="delivery__order")
    paid_call_offs = Q(
        delivery__order__kind=Order.Kind.CONTRACT, delivery__invoice__status=Invoice.Status.PAID
    ) & _paid_on_between("delivery__invoice__paid_at", filters)
    paid_purchases = Q(
        delivery__order__kind=Order.Kind.MARKETPLACE, delivery__order__payment_status=PaymentStatus.PAID
    ) & _paid_on_between("delivery__order__checkout__paid_at", filters)
    value = ExpressionWrapper(F("accepted_quantity") * F("order_line__unit_price"), output_field=MONEY)
    total = DeliveryLine.objects.filter(scope, paid_call_offs | paid_purchases, accepted_quantity__gt=0).aggregate(
        total=Coalesce(Sum(value), ZERO, output_field=MONEY)
    )["total"]
    return Decimal(total).quantize(CENT)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole > 0 else None


def _count(value: int) -> Figure:
    return HIDDEN if 0 < value < MIN_HOUSEHOLDS else Figure(value)


def statement(company: Company, filters: StatementFilters) -> Statement:
    """The company's statement: three aggregate queries and the poverty line, whatever the number
    of households.

    The caller must have checked that the reader belongs to `company` and that
    `filters.agreement`, if any, is the company's."""
    scoped = entries(company, filters)
    money = scoped.aggregate(
        households=Count("household", distinct=True),
        paid=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
    )
    reached, paid = money["households"], Decimal(money["paid"]).quantize(CENT)
    value = purchase_value(company, filters)
    too_few = 0 < reached < MIN_HOUSEHOLDS

    status = (
        with_current_status(Household.objects.all(), filters.as_of)
        .filter(pk__in=scoped.values("household"))
        .aggregate(crossed=Count("pk", filter=Q(crossed_line=True)))
    )
    crossed = status["crossed"]
    not_crossed = reached - crossed
    crossed_hidden = too_few or 0 < crossed < MIN_HOUSEHOLDS or 0 < not_crossed < MIN_HOUSEHOLDS

    if too_few:
        paid_figure = share_figure = HIDDEN
    else:
        paid_figure = Figure(paid)
        share_figure = Figure(_percent(paid, value))
    if crossed_hidden:
        crossed_figure = crossed_share = HIDDEN
    else:
        crossed_figure = Figure(crossed)
        crossed_share = Figure(_percent(Decimal(crossed), Decimal(reached)))
    return Statement(
        company=company,
        filters=filters,
        households_reached=_count(reached),
        paid_to_households=paid_figure,
        purchase_value=value,
        share_reached=share_figure,
        crossed=crossed_figure,
        crossed_share=crossed_share,
    )
