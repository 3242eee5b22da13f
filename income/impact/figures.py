"""Reads for the coordinators' impact dashboard: how much money reached which households, and who
crossed the poverty line. Scoped through `producers.selectors`; every figure is an SQL aggregate.

Definitions (also shown on the dashboard):

* **population** — households the coordinator may see (`selectors.households_visible_to`) with an
  active enrolment in a producer group of the coordinator's scope, narrowed by the filters:
  province / district (the household's address), group (enrolled in it), and agreement / company /
  category (enrolled in a group that has orders under that agreement / from that company / with a
  product of that category). "Households enrolled" counts it.
* **entries** — ledger rows (`HouseholdIncomeEntry`, reversals included) of those households, with
  the groups in scope, earned in the period, under the agreement / from the company / for a product
  of the category when filtered. "Total paid to households" is their sum; "earning" households
  have at least one.
* **now** — the status "as of" the end of the period (today if the period is open or ends later),
  computed like `HouseholdQuerySet.with_current_status`: newest survey up to that day (else the
  baseline), plus marketplace income after that measurement and within the 12 months before.
  The same rule, restated here as one set-based query so 100,000 households cost one pass over the
  tables instead of several correlated look-ups per household (bench/impact.py; the tests check
  both give the same answers).
* **uplift** — current annual income − baseline annual income, over earning households.
* **crossed** — poor or very poor at baseline, at or above the line now; its share is of the
  enrolled households whose baseline status is known. **Still very poor** — very poor now.

Group managers get no dashboard: they see their households one by one (household pages and
statements); the programme-wide figures are the coordinators' (see income.impact.views).

The filters and scope are in `income.impact.scope`, the set-based household query in
`income.impact.household_sql`; this module turns them into the figures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from producers import selectors
from producers.models import Household, PovertyStatus
from producers.models import ProducerGroup as Group

from .household_sql import _cursor, _household_rows_sql, _sql
from .scope import (
    CENT,
    FIGURES,
    MONEY,
    ZERO,
    ImpactFilters,
    _filtered_groups,
    can_view_dashboard,
    entries,
    filter_choices,
    groups_in_scope,
    population,
)

CROSSED = (
    f"baseline_status IN ('{PovertyStatus.POOR}', '{PovertyStatus.VERY_POOR}') "
    f"AND current_status = '{PovertyStatus.ABOVE}'"
)
FIGURE_CONDITIONS = {
    "enrolled": "1 = 1",
    "earning": "earning = 1",
    "crossed": CROSSED,
    "very_poor": f"current_status = '{PovertyStatus.VERY_POOR}'",
}


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _baht(satang) -> Decimal:
    """An amount the household query returns in satang (an integer, or a mean or median of
    integers), in baht."""
    return (Decimal(str(satang or 0)) / 100).quantize(CENT)


@dataclass
class HouseholdFigures:
    enrolled: int = 0
    known_baseline: int = 0
    earning: int = 0
    total_paid: Decimal = ZERO
    mean_uplift: Decimal | None = None
    median_uplift: Decimal | None = None
    crossed: int = 0
    very_poor: int = 0
    baseline_counts: dict = field(default_factory=dict)
    current_counts: dict = field(default_factory=dict)
    mean_members: Decimal | None = None
    poor_at_baseline: int = 0
    poor_now: int = 0

    @property
    def crossed_share(self) -> Decimal | None:
        """Per cent of the enrolled households with a known baseline status."""
        if not self.known_baseline:
            return None
        return (Decimal(self.crossed) * 100 / self.known_baseline).quantize(Decimal("0.1"))


STATUSES = [PovertyStatus.VERY_POOR, PovertyStatus.POOR, PovertyStatus.ABOVE, PovertyStatus.UNKNOWN]


def household_figures(user, filters: ImpactFilters) -> HouseholdFigures:
    """Enrolled, earning, paid, uplift (mean and median), crossed, very poor and the status
    counts before/after: one query."""
    return _figures(user, filters)[0]


def _figures(user, filters: ImpactFilters, *, money_top: int | None = None):
    """(household figures, money figures or None). With `money_top` on PostgreSQL, the money
    figures (money_figures' results, its `top` groups) come from the same query and ledger pass;
    elsewhere the second item is None and the caller asks money_figures."""
    with_money = money_top is not None and connection.vendor == "postgresql"
    built = _household_rows_sql(user, filters, with_money=with_money)
    if built is None:
        empty = HouseholdFigures(
            baseline_counts=dict.fromkeys([s.value for s in STATUSES], 0),
            current_counts=dict.fromkeys([s.value for s in STATUSES], 0),
        )
        return empty, (MoneyFigures(monthly=[], by_group=[]) if with_money else None)
    prefix, params = built
    counts = []
    for column in ("baseline_status", "current_status"):
        for status in STATUSES:
            counts.append(f"SUM(CASE WHEN {column} = '{status}' THEN 1 ELSE 0 END)")
    if connection.vendor == "postgresql":
        median = "percentile_cont(0.5) WITHIN GROUP (ORDER BY uplift) FILTER (WHERE earning = 1)"
    else:
        # No percentile_cont: the lower and upper middle rows (the same row for an odd count),
        # found by ORDER BY … LIMIT 1 OFFSET over the materialised `statuses`; averaged below
        # in Decimal, so the median is as exact as PostgreSQL's.
        earning_count = "(SELECT COUNT(*) FROM statuses WHERE earning = 1)"
        middle = "(SELECT uplift FROM statuses WHERE earning = 1 ORDER BY uplift LIMIT 1 OFFSET {})"
        median = f"{middle.format(f'({earning_count} - 1) / 2')}, {middle.format(f'{earning_count} / 2')}"
    money = ""
    if with_money:
        # The period's amounts by group and month (the CTE `money`, in satang).
        months = "FROM (SELECT month, SUM(paid) * 0.01 AS paid FROM money GROUP BY 1) months"
        top_groups = (
            "FROM (SELECT group_id, SUM(paid) * 0.01 AS paid FROM money GROUP BY 1 "
            "ORDER BY paid DESC, group_id LIMIT %s) top_groups"
        )
        money = f""",
  (SELECT array_agg(month ORDER BY month) {months}),
  (SELECT array_agg(paid ORDER BY month) {months}),
  (SELECT array_agg(group_id ORDER BY paid DESC, group_id) {top_groups}),
  (SELECT array_agg(paid ORDER BY paid DESC, group_id) {top_groups})"""
        params = [*params, money_top, money_top]
    select = f"""SELECT COUNT(*),
  SUM(CASE WHEN baseline_status <> '{PovertyStatus.UNKNOWN}' THEN 1 ELSE 0 END),
  SUM(earning), SUM(paid),
  AVG(CASE WHEN earning = 1 THEN uplift END),
  SUM(CASE WHEN {CROSSED} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {FIGURE_CONDITIONS["very_poor"]} THEN 1 ELSE 0 END),
  AVG(current_members),
  {", ".join(counts)},
  {median}{money}
FROM statuses"""  # noqa: S608
    with _cursor() as cursor:
        cursor.execute(prefix + select, params)
        row = cursor.fetchone()
    enrolled, known, earning, paid, mean, crossed, very_poor, members = row[:8]
    status_values = row[8 : 8 + 2 * len(STATUSES)]
    figures = HouseholdFigures(
        enrolled=enrolled or 0,
        known_baseline=int(known or 0),
        earning=int(earning or 0),
        total_paid=_baht(paid),
        mean_uplift=_baht(mean) if mean is not None else None,
        crossed=int(crossed or 0),
        very_poor=int(very_poor or 0),
        baseline_counts={s.value: int(v or 0) for s, v in zip(STATUSES, status_values[: len(STATUSES)], strict=True)},
        current_counts={s.value: int(v or 0) for s, v in zip(STATUSES, status_values[len(STATUSES) :], strict=True)},
        mean_members=Decimal(str(members)).quantize(Decimal("0.01")) if members is not None else None,
    )
    figures.poor_at_baseline = figures.baseline_counts["poor"] + figures.baseline_counts["very_poor"]
    figures.poor_now = figures.current_counts["poor"] + figures.current_counts["very_poor"]
    rest = row[8 + 2 * len(STATUSES) :]
    if connection.vendor == "postgresql":
        median_value = rest[0]
        figures.median_uplift = _baht(median_value) if median_value is not None else None
    elif figures.earning:
        low, high = rest[:2]
        figures.median_uplift = _baht((Decimal(str(low)) + Decimal(str(high))) / 2)
    money = None
    if with_money:
        months, month_totals, group_ids, group_totals = rest[1:5]
        groups = Group.objects.in_bulk(group_ids or [])
        money = MoneyFigures(
            monthly=[
                (_month(month), _money(total)) for month, total in zip(months or [], month_totals or [], strict=True)
            ],
            by_group=[
                (groups[pk], _money(total)) for pk, total in zip(group_ids or [], group_totals or [], strict=True)
            ],
        )
    return figures, money


# --- Drill-down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdRow:
    household: Household
    groups: str
    baseline_income: Decimal
    baseline_status: str
    current_income: Decimal
    current_status: str
    paid: Decimal

    @property
    def baseline_status_label(self) -> str:
        return str(PovertyStatus(self.baseline_status).label)

    @property
    def current_status_label(self) -> str:
        return str(PovertyStatus(self.current_status).label)

    @property
    def uplift(self) -> Decimal:
        return self.current_income - self.baseline_income


def drilldown_count(user, filters: ImpactFilters, figure: str) -> int:
    built = _household_rows_sql(user, filters)
    if built is None:
        return 0
    prefix, params = built
    with _cursor() as cursor:
        cursor.execute(prefix + f"SELECT COUNT(*) FROM statuses WHERE {FIGURE_CONDITIONS[figure]}", params)  # noqa: S608
        return cursor.fetchone()[0]


def drilldown(user, filters: ImpactFilters, figure: str, *, limit: int | None = None, offset: int = 0):
    """The households behind a figure, by code, with their baseline and current income and
    status: `limit` rows from `offset` (all when limit is None)."""
    if figure not in FIGURE_CONDITIONS:
        raise ValueError(figure)
    built = _household_rows_sql(user, filters)
    if built is None:
        return []
    prefix, params = built
    columns = "st.id, st.baseline_income, st.baseline_status, st.current_income, st.current_status, st.paid"
    select = f"SELECT {columns} FROM statuses st JOIN producers_household h ON h.id = st.id "  # noqa: S608
    sql = prefix + select + f"WHERE {FIGURE_CONDITIONS[figure]} ORDER BY h.code"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params = [*params, limit, offset]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    households = (
        selectors.households_visible_to(user)
        .with_consent_status()
        .filter(pk__in=[row[0] for row in rows])
        .prefetch_related("enrolments__group")
        .in_bulk()
    )
    result = []
    for pk, baseline, baseline_status, current, current_status, paid in rows:
        household = households[pk]
        groups = " ".join(sorted(e.group.code for e in household.enrolments.all() if e.active))
        result.append(
            HouseholdRow(
                household=household,
                groups=groups,
                baseline_income=_baht(baseline),
                baseline_status=baseline_status,
                current_income=_baht(current),
                current_status=current_status,
                paid=_baht(paid),
            )
        )
    return result


# --- Money over time and by group -----------------------------------------------------------


@dataclass
class MoneyFigures:
    monthly: list[tuple[datetime.date, Decimal]]
    by_group: list[tuple[Group, Decimal]]


def money_figures(user, filters: ImpactFilters, *, top: int = 10) -> MoneyFigures:
    """Income to households per month and per group (top `top` by amount): one pass over the
    ledger sums the entries by group and month, and both totals are summed from that."""
    try:
        by_group_month, params = _sql(
            entries(user, filters)
            .annotate(month=TruncMonth("earned_on"))
            .values("group_id", "month")
            .annotate(total=Sum("amount"))
        )
    except EmptyResultSet:
        return MoneyFigures(monthly=[], by_group=[])
    sql = f"""WITH gm AS MATERIALIZED ({by_group_month})
SELECT 'month', NULL, month, SUM(total) FROM gm GROUP BY month
UNION ALL
SELECT 'group', group_id, NULL, total FROM (
  SELECT group_id, SUM(total) AS total FROM gm GROUP BY group_id ORDER BY total DESC, group_id LIMIT %s
) top_groups"""  # noqa: S608
    with _cursor() as cursor:
        cursor.execute(sql, [*params, top])
        rows = cursor.fetchall()
    monthly = sorted((_month(month), _money(total)) for kind, _pk, month, total in rows if kind == "month")
    by_group_rows = sorted(
        ((pk, _money(total)) for kind, pk, _month_value, total in rows if kind == "group"),
        key=lambda row: (-row[1], row[0]),
    )
    groups = Group.objects.in_bulk([pk for pk, _total in by_group_rows])
    return MoneyFigures(monthly=monthly, by_group=[(groups[pk], total) for pk, total in by_group_rows])


def _month(value) -> datetime.date:
    """TruncMonth as the raw cursor returns it: a date, a (midnight) datetime, or SQLite's text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


# --- Agreement fulfilment -------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyFulfilment:
    company: object
    committed: Decimal
    ordered: Decimal
    accepted: Decimal
    paid_on_time: Decimal

    def share(self, value: Decimal) -> Decimal | None:
        if not self.committed:
            return None
        return (value * 100 / self.committed).quantize(Decimal("0.1"))

    @property
    def ordered_share(self):
        return self.share(self.ordered)

    @property
    def accepted_share(self):
        return self.share(self.accepted)

    @property
    def paid_on_time_share(self):
        return self.share(self.paid_on_time)


def fulfilment_by_company(user, filters: ImpactFilters) -> list[CompanyFulfilment]:
    """Per company, in baht: committed (agreement lines), ordered (call-offs that hold quantity),
    accepted (delivered and accepted) and paid on time (accepted goods on an invoice paid on or
    before its due date), for the agreements of the coordinator's institutions that the filters
    leave. Orders are counted when placed in the period. Four grouped sums."""
    from buyers.models import Company
    from orders.models import HOLDING_STATUSES, AgreementLine, DeliveryLine, Invoice, OrderLine
    from orders.selectors import agreements_for_coordinator

    agreements = agreements_for_coordinator(user).filter(activated_at__isnull=False)
    if filters.agreement is not None:
        agreements = agreements.filter(pk=filters.agreement.pk)
    if filters.company is not None:
        agreements = agreements.filter(company=filters.company)
    groups = _filtered_groups(user, filters)
    if filters.province:
        groups = groups.filter(province_code=filters.province)
    if filters.district:
        groups = groups.filter(district_code=filters.district)
    if filters.group is not None or filters.province or filters.district:
        agreements = agreements.filter(groups__in=groups)
    if filters.date_from:
        agreements = agreements.filter(valid_to__gte=filters.date_from)
    if filters.date_to:
        agreements = agreements.filter(valid_from__lte=filters.date_to)
    agreement_ids = agreements.values("pk")

    lines = AgreementLine.objects.filter(agreement__in=agreement_ids)
    if filters.category is not None:
        lines = lines.filter(product__category=filters.category)
    order_lines = OrderLine.objects.filter(agreement_line__in=lines.values("pk"), order__group__in=groups.values("pk"))
    if filters.date_from:
        order_lines = order_lines.filter(order__placed_at__date__gte=filters.date_from)
    if filters.date_to:
        order_lines = order_lines.filter(order__placed_at__date__lte=filters.date_to)
    delivery_lines = DeliveryLine.objects.filter(order_line__in=order_lines.values("pk"), accepted_quantity__gt=0)

    def by_company(queryset, company_field, value):
        return {
            row[company_field]: _money(row["total"])
            for row in queryset.order_by()
            .values(company_field)
            .annotate(total=Coalesce(Sum(value, output_field=MONEY), Value(ZERO), output_field=MONEY))
        }

    committed = by_company(lines, "agreement__company_id", F("committed_quantity") * F("unit_price"))
    ordered = by_company(
        order_lines.filter(order__status__in=HOLDING_STATUSES), "order__company_id", F("quantity") * F("unit_price")
    )
    accepted_value = F("accepted_quantity") * F("order_line__unit_price")
    accepted = by_company(delivery_lines, "order_line__order__company_id", accepted_value)
    # An invoice paid on its due date is on time: compare the Bangkok date of payment.
    on_time = delivery_lines.filter(
        delivery__invoice__status=Invoice.Status.PAID,
        delivery__invoice__paid_at__date__lte=F("delivery__invoice__due_date"),
    )
    paid_on_time = by_company(on_time, "order_line__order__company_id", accepted_value)
    companies = Company.objects.in_bulk(set(committed) | set(ordered) | set(accepted))
    return [
        CompanyFulfilment(
            company=companies[pk],
            committed=committed.get(pk, ZERO),
            ordered=ordered.get(pk, ZERO),
            accepted=accepted.get(pk, ZERO),
            paid_on_time=paid_on_time.get(pk, ZERO),
        )
        for pk in sorted(companies, key=lambda pk: str(companies[pk]))
    ]


# --- Everything the dashboard shows ---------------------------------------------------------


@dataclass
class ImpactSummary:
    filters: ImpactFilters
    households: HouseholdFigures
    money: MoneyFigures
    fulfilment: list[CompanyFulfilment]


def impact_summary(user, filters: ImpactFilters, *, top: int = 10) -> ImpactSummary:
    """On PostgreSQL the household and money figures come from one query (one ledger pass)."""
    households, money = _figures(user, filters, money_top=top)
    return ImpactSummary(
        filters=filters,
        households=households,
        money=money if money is not None else money_figures(user, filters, top=top),
        fulfilment=fulfilment_by_company(user, filters),
    )


# The dashboard's API in one place (views, exports, bench): the figures and what they are built on.
__all__ = [
    "FIGURES",
    "CompanyFulfilment",
    "HouseholdFigures",
    "HouseholdRow",
    "ImpactFilters",
    "ImpactSummary",
    "MoneyFigures",
    "can_view_dashboard",
    "drilldown",
    "drilldown_count",
    "entries",
    "filter_choices",
    "fulfilment_by_company",
    "groups_in_scope",
    "household_figures",
    "impact_summary",
    "money_figures",
    "population",
]
