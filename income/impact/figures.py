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
statements); the programme-wide figures are the coordinators' (see views_impact).
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import geothai
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from marketplace import access, areas

from . import selectors
from .models import VERY_POOR_SHARE, Enrolment, Household, HouseholdIncomeEntry, PovertyLine, PovertyStatus
from .models import ProducerGroup as Group

ZERO = Decimal("0")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)

FIGURES = ("enrolled", "earning", "crossed", "very_poor")


@dataclass(frozen=True)
class ImpactFilters:
    """What the coordinator asked for; every field optional. Model fields are already checked to
    be inside the user's scope (the form's choices come from `filter_choices`)."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    province: str = ""
    district: str = ""
    group: Group | None = None
    agreement: object | None = None
    company: object | None = None
    category: object | None = None

    @property
    def as_of(self) -> datetime.date:
        today = timezone.localdate()
        return min(self.date_to, today) if self.date_to else today

    def as_details(self) -> dict:
        """For audit rows and export headers: plain values only."""
        return {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "province": self.province,
            "district": self.district,
            "group": self.group.code if self.group else "",
            "agreement": self.agreement.code if self.agreement else "",
            "company": self.company.pk if self.company else "",
            "category": self.category.slug if self.category else "",
        }

    def describe_period(self) -> str:
        start = self.date_from.isoformat() if self.date_from else "…"
        end = self.date_to.isoformat() if self.date_to else self.as_of.isoformat()
        return f"{start}/{end}"


# --- Scope and filter choices ---------------------------------------------------------------


def can_view_dashboard(user) -> bool:
    return access.is_coordinator(user)


@dataclass(frozen=True)
class _Scope:
    provinces: frozenset
    group_ids: frozenset
    households: QuerySet
    groups: QuerySet


def _scope(user) -> _Scope:
    """The user's coverage, looked up once per request (cached on the user object, like
    `access.is_coordinator`): the figures build several queries on it."""
    cached = user.__dict__.get("_impact_scope") if hasattr(user, "__dict__") else None
    if cached is not None:
        return cached
    provinces, group_ids = selectors.coordinator_scope(user)
    if not provinces and not group_ids:
        groups = Group.objects.none()
    else:
        # Not the superuser's everything (groups_visible_to): the dashboard describes households,
        # which need an assignment.
        groups = selectors.groups_visible_to(user).filter(Q(province_code__in=provinces) | Q(pk__in=group_ids))
    scope = _Scope(
        provinces=frozenset(provinces),
        group_ids=frozenset(group_ids),
        households=selectors.households_visible_to(user),
        groups=groups,
    )
    if hasattr(user, "__dict__"):
        user.__dict__["_impact_scope"] = scope
    return scope


def groups_in_scope(user) -> QuerySet[Group]:
    """The groups of the coordinator's provinces and assigned groups."""
    return _scope(user).groups


def filter_choices(user) -> dict:
    """Choices the filter form offers: only what lies in the user's scope."""
    from buyers.models import Company
    from cms.models import Category
    from orders.selectors import agreements_for_coordinator

    groups = groups_in_scope(user).order_by("name_th")
    group_rows = list(groups.values("pk", "code", "name_th", "province_code", "district_code"))
    assigned_provinces = _scope(user).provinces
    provinces = set(assigned_provinces) | {row["province_code"] for row in group_rows}
    districts = set()
    for code in assigned_provinces:
        districts |= {district.code for district in geothai.districts(code)}
    districts |= {row["district_code"] for row in group_rows if row["district_code"]}
    agreements = agreements_for_coordinator(user).select_related("company").order_by("code")
    company_ids = set(agreements.values_list("company_id", flat=True))
    company_ids |= set(
        Company.objects.filter(orders__group__in=groups).values_list("pk", flat=True).distinct().order_by()
    )
    return {
        "provinces": sorted(((code, areas.area_name(code)) for code in provinces), key=lambda c: c[1]),
        "districts": sorted(((code, areas.area_name(code)) for code in districts), key=lambda c: c[1]),
        "groups": groups,
        "agreements": agreements,
        "companies": Company.objects.filter(pk__in=company_ids).order_by("name_th"),
        "categories": Category.objects.all(),
    }


def _filtered_groups(user, filters: ImpactFilters) -> QuerySet[Group]:
    """Groups in scope that the group / agreement / company / category filters leave."""
    from orders.models import Order

    groups = groups_in_scope(user)
    if filters.group is not None:
        groups = groups.filter(pk=filters.group.pk)
    orders = Order.objects.filter(group=OuterRef("pk"))
    if filters.agreement is not None:
        orders = orders.filter(agreement=filters.agreement)
    if filters.company is not None:
        orders = orders.filter(company=filters.company)
    if filters.category is not None:
        orders = orders.filter(lines__product__category=filters.category)
    if filters.agreement is not None or filters.company is not None or filters.category is not None:
        groups = groups.filter(Exists(orders))
    return groups


def population(user, filters: ImpactFilters) -> QuerySet[Household]:
    """The enrolled households the figures describe (see the module docstring)."""
    households = _scope(user).households
    if filters.province:
        households = households.filter(province_code=filters.province)
    if filters.district:
        households = households.filter(district_code=filters.district)
    enrolled = Enrolment.objects.filter(
        household=OuterRef("pk"), active=True, group__in=_filtered_groups(user, filters)
    )
    return households.filter(Exists(enrolled))


def entries(user, filters: ImpactFilters) -> QuerySet[HouseholdIncomeEntry]:
    """Ledger rows behind "total paid" (reversals included)."""
    rows = HouseholdIncomeEntry.objects.filter(
        group__in=_filtered_groups(user, filters), household__in=population(user, filters).values("pk")
    )
    if filters.date_from:
        rows = rows.filter(earned_on__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(earned_on__lte=filters.date_to)
    if filters.agreement is not None:
        rows = rows.filter(order__agreement=filters.agreement)
    if filters.company is not None:
        rows = rows.filter(order__company=filters.company)
    if filters.category is not None:
        rows = rows.filter(delivery_line__order_line__product__category=filters.category)
    return rows.order_by()


# --- Household figures: one set-based query ------------------------------------------------


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _date(value: datetime.date):
    return connection.ops.adapt_datefield_value(value)


@contextlib.contextmanager
def _cursor():
    """A cursor for the dashboard's set-based queries. On PostgreSQL, for these queries only:
    - no just-in-time compilation (the planner's estimates for joined CTEs run into the
      billions, so it would spend over a second compiling a query that runs in less);
    - enough working memory to sort and group 100,000 households without spilling to disk;
    - no hash joins: the household query is written to be merge-joined in household order
      (see _postgresql_flows), and the planner, which cannot see that the index-only pass and
      integer grouping are cheaper than it thinks, would otherwise hash the million ledger rows
      (0.8 s against 1.2 s at 100,000 households)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    nested = connection.in_atomic_block
    # No savepoint: set_config(…, true) lasts until the end of the transaction, and a savepoint
    # would cost two more statements per query.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
            "set_config('enable_hashjoin', 'off', true)"
        )
        try:
            yield cursor
        finally:
            if nested and not connection.needs_rollback:
                # Inside the caller's transaction: give the rest of it the usual settings.
                cursor.execute(
                    "SELECT set_config(name, reset_val, true) FROM pg_settings "
                    "WHERE name IN ('jit', 'work_mem', 'enable_hashjoin')"
                )


def _period_condition(user, filters: ImpactFilters, *, group_ids: list | None = None) -> tuple[str, list]:
    """The `entries` filters as one SQL condition on the ledger row `e` (the household condition
    excepted: the caller joins the population): so one pass over the ledger can sum both the
    period's income and the income that updates each household's status. `group_ids`
    (PostgreSQL): the groups' ids, as an array parameter, which PostgreSQL hashes once, rather
    than a subquery evaluated per row."""
    from orders.models import DeliveryLine, Order

    parts, params = [], []

    def subquery(column: str, queryset) -> None:
        sql, sub_params = _sql(queryset.order_by().values("pk"))
        parts.append(f"e.{column} IN ({sql})")
        params.extend(sub_params)

    if group_ids is not None:
        parts.append("e.group_id = ANY(CAST(%s AS bigint[]))")
        params.append(group_ids)
    else:
        subquery("group_id", _filtered_groups(user, filters))
    if filters.date_from:
        parts.append("e.earned_on >= %s")
        params.append(_date(filters.date_from))
    if filters.date_to:
        parts.append("e.earned_on <= %s")
        params.append(_date(filters.date_to))
    if filters.agreement is not None or filters.company is not None:
        orders = Order.objects.all()
        if filters.agreement is not None:
            orders = orders.filter(agreement=filters.agreement)
        if filters.company is not None:
            orders = orders.filter(company=filters.company)
        subquery("order_id", orders)
    if filters.category is not None:
        subquery("delivery_line_id", DeliveryLine.objects.filter(order_line__product__category=filters.category))
    return " AND ".join(parts), params


# GROUPING(p.id, e.group_id) of each grouping set in the PostgreSQL `sums` (a bit per column left out).
BY_HOUSEHOLD, BY_GROUP_MONTH = 0b01, 0b10


def _household_rows_sql(user, filters: ImpactFilters, *, with_money: bool = False) -> tuple[str, list] | None:
    """(The SQL here and in its callers is assembled only from constants and querysets compiled by
    Django; every value travels as a parameter: hence the S608 exemptions.)
    A `WITH … ` prefix ending in the CTE `statuses`: one row per household of the population
    with baseline_income, baseline_status, current_income, current_status, earning (0/1), paid
    (its entries in the period) and uplift, amounts (and the lines) in whole satang.

    Amounts are summed as whole satang (`amount_satang`, an integer the database keeps beside each
    entry's amount): integer sums cost a fraction of decimal ones, and stay exact.

    PostgreSQL (`_postgresql_flows`): one pass over the ledger in household order, joined to
    each household's latest measurement. SQLite: the ledger is read once in full (`ledger`,
    `flows`) and the households measured within the last 12 months once more
    (`measured_in_window`).

    `with_money` (PostgreSQL only): the prefix also holds the CTE `money` (group_id, month, paid
    in satang: the period's entries of the population by group and month, a row where there is
    an entry), from the ledger's running totals when they cover the filters (_rollups_cover),
    else from the same pass over the ledger."""
    as_of = filters.as_of
    year_ago = as_of - datetime.timedelta(days=365)
    postgresql = connection.vendor == "postgresql"
    try:
        # PostgreSQL reads the population's own columns (one pass over the register), SQLite
        # its ids (its query joins the register again).
        columns = ["pk"]
        if postgresql:
            columns = ["id", "members", "baseline_annual_income", "baseline_year", "baseline_date"]
        scope_sql, scope_params = _sql(population(user, filters).order_by().values(*columns))
        group_ids = None
        if postgresql:
            group_ids = list(_filtered_groups(user, filters).order_by().values_list("pk", flat=True))
        period_sql, period_params = _period_condition(user, filters, group_ids=group_ids)
    except EmptyResultSet:  # nothing in scope: Django will not even write the query
        return None
    lines = list(PovertyLine.objects.order_by("-year").values_list("year", "baht_per_person_month"))
    # The baseline's line: the latest published in or before the baseline year (PovertyLine.for_year).
    if lines:
        baseline_line = (
            "CASE " + " ".join("WHEN h.baseline_year >= %s THEN CAST(%s AS bigint)" for _ in lines) + " ELSE NULL END"
        )
        baseline_params = [value for year, line in lines for value in (year, _satang(line) * 12)]
    else:
        baseline_line, baseline_params = "NULL", []
    # Today's line: the latest published in or before the as-of year (PovertyLine.for_year).
    current = next((line for year, line in lines if year <= as_of.year), None)
    current_line_params = [_satang(current) * 12 if current is not None else None]
    parts = (scope_sql, scope_params, period_sql, period_params, baseline_line, baseline_params)
    if postgresql:
        money = None
        if with_money:
            money = "rollups" if _rollups_cover(filters) else "pass"
        flows_sql, flows_params = _postgresql_flows(
            *parts, as_of=as_of, year_ago=year_ago, money=money, group_ids=group_ids, filters=filters
        )
    else:
        flows_sql, flows_params = _sqlite_flows(*parts, as_of=as_of, year_ago=year_ago)
    # "Very poor": below VERY_POOR_SHARE of the line, compared in whole numbers (income × 5 <
    # line × 4 for 0.8).
    share, whole = Fraction(VERY_POOR_SHARE).as_integer_ratio()
    sql = f"""
WITH {flows_sql},
lined AS (SELECT r.*, CAST(%s AS bigint) * r.current_members AS current_line FROM r),
statuses AS MATERIALIZED (
  -- Materialised: each status is computed once, not once per aggregate that reads it (and on
  -- SQLite the median reads `statuses` again: see _figures).
  SELECT lined.*,
         current_income - baseline_income AS uplift,
         CASE WHEN baseline_line IS NULL THEN '{PovertyStatus.UNKNOWN}'
              WHEN baseline_income * {whole} < baseline_line * {share} THEN '{PovertyStatus.VERY_POOR}'
              WHEN baseline_income < baseline_line THEN '{PovertyStatus.POOR}'
              ELSE '{PovertyStatus.ABOVE}' END AS baseline_status,
         CASE WHEN current_line IS NULL THEN '{PovertyStatus.UNKNOWN}'
              WHEN current_income * {whole} < current_line * {share} THEN '{PovertyStatus.VERY_POOR}'
              WHEN current_income < current_line THEN '{PovertyStatus.POOR}'
              ELSE '{PovertyStatus.ABOVE}' END AS current_status
  FROM lined
)
"""  # noqa: S608
    return sql, [*flows_params, *current_line_params]


def _rollups_cover(filters: ImpactFilters) -> bool:
    """Whether the running totals per group and month (GroupIncomeMonth) can give the money by
    month and group: nothing narrows the entries below a group (agreement, company, category),
    the period is made of whole months, and the population is not narrowed to an area (the
    households left out would all have to be subtracted again)."""
    if filters.agreement or filters.company or filters.category or filters.province or filters.district:
        return False
    if filters.date_from and filters.date_from.day != 1:
        return False
    return not (filters.date_to and (filters.date_to + datetime.timedelta(days=1)).day != 1)


def _postgresql_flows(
    scope_sql,
    scope_params,
    period_sql,
    period_params,
    baseline_line,
    baseline_params,
    *,
    as_of,
    year_ago,
    money,
    group_ids,
    filters,
) -> tuple[str, list]:
    """CTEs ending in `r` (one row per household: id, baseline_income, baseline_line,
    current_members, current_income, earning, paid; amounts and lines in satang), for PostgreSQL.

    The population's households, with what their latest measurement says, are read in id order
    and merge-joined to the ledger through its index on (household, earned on, group, satang),
    read alone (an index-only scan): each household's rows arrive together, so they are summed as
    they come, grouped by the household's id and its own figures (integers, cheap to compare),
    instead of hashing a million rows. Each row's period condition is evaluated once; the income
    that updates the status is the rows after the household's latest measurement and within the
    12 months before "as of" (HouseholdQuerySet.with_current_status, the same rule).

    `money` adds the CTE `money` (see _household_rows_sql): "pass" sums it in the same pass
    (grouping sets: every ledger row through a hash table, ~350 ms at a million rows),
    "rollups" from the ledger's running totals (GroupIncomeMonth), None leaves it out."""
    keys = "p.id, p.baseline_income, p.baseline_line, p.current_members, p.measured_income"
    money_columns, grouping, group_by = "", "", keys
    money_sql, money_params = "", []
    if money == "pass":
        # The month and group totals in the same pass (money_figures' figures), from the
        # period's amounts only (NULL outside it, so a group or a month appears exactly when it
        # has an entry in the period, as in money_figures).
        month = "CAST(date_trunc('month', CAST(e.earned_on AS timestamp)) AS date)"
        money_columns = f", e.group_id, {month} AS month"
        grouping = "GROUPING(p.id, e.group_id) AS grouping_set, "
        group_by = f"GROUPING SETS (({keys}), (e.group_id, {month}))"
        money_sql = f"""money AS (
  SELECT group_id, month, paid FROM sums WHERE grouping_set = {BY_GROUP_MONTH} AND paid IS NOT NULL
),
"""  # noqa: S608
    elif money == "rollups":
        # The running totals of the filtered groups over the period's months, less the entries
        # of the households outside the population (who left their group, or whom the user may
        # not see): found through the totals per household and group, and read one by one.
        # A group and month is kept while entries remain, as in the pass.
        months, month_params = "", []
        if filters.date_from:
            months += " AND m.month >= %s"
            month_params.append(_date(filters.date_from))
        if filters.date_to:
            months += " AND m.month <= %s"
            month_params.append(_date(filters.date_to))
        money_sql = f"""outside AS (
  SELECT t.household_id FROM producers_householdgroupincome t
  WHERE t.group_id = ANY(CAST(%s AS bigint[])) AND t.entries > 0
  EXCEPT
  SELECT id FROM sums
),
money AS (
  SELECT group_id, month, SUM(amount) AS paid
  FROM (
    SELECT m.group_id, m.month, m.amount_satang AS amount, m.entries
    FROM producers_groupincomemonth m
    WHERE m.group_id = ANY(CAST(%s AS bigint[])){months}
    UNION ALL
    SELECT e.group_id, CAST(date_trunc('month', CAST(e.earned_on AS timestamp)) AS date), -e.amount_satang, -1
    FROM outside JOIN producers_householdincomeentry e ON e.household_id = outside.household_id
    WHERE {period_sql}
  ) parts
  GROUP BY group_id, month
  HAVING SUM(entries) > 0
),
"""  # noqa: S608
        money_params = [group_ids, group_ids, *month_params, *period_params]
    sql = f"""latest AS (
  SELECT DISTINCT ON (s.household_id) s.household_id, s.surveyed_on, s.annual_income, s.members
  FROM producers_incomesurvey s
  WHERE s.surveyed_on <= %s
  ORDER BY s.household_id, s.surveyed_on DESC, s.id DESC
),
sums AS MATERIALIZED (
  SELECT {grouping}{keys},
         CAST(SUM(e.amount_satang) FILTER (WHERE {period_sql}) AS bigint) AS paid,
         CAST(SUM(e.amount_satang) FILTER (WHERE e.earned_on > p.window_from AND e.earned_on <= %s) AS bigint)
           AS window_income
         {money_columns}
  FROM (
    -- The population with its latest measurement, first (OFFSET 0 keeps the planner from
    -- checking the population on every ledger row after the join instead), in the order of
    -- the grouping keys, so the ledger is merge-joined and summed without sorting.
    SELECT h.id,
           CAST(h.baseline_annual_income * 100 AS bigint) AS baseline_income,
           ({baseline_line}) * h.members AS baseline_line,
           COALESCE(latest.members, h.members) AS current_members,
           CAST(COALESCE(latest.annual_income, h.baseline_annual_income) * 100 AS bigint) AS measured_income,
           GREATEST(COALESCE(latest.surveyed_on, h.baseline_date, make_date(h.baseline_year, 12, 31)), %s)
             AS window_from
    FROM ({scope_sql}) h
    LEFT JOIN latest ON latest.household_id = h.id
    ORDER BY {keys.replace("p.", "")}
    OFFSET 0
  ) p
  LEFT JOIN producers_householdincomeentry e ON e.household_id = p.id
  GROUP BY {group_by}
),
{money_sql}r AS (
  SELECT id, baseline_income, baseline_line, current_members,
         measured_income + COALESCE(window_income, 0) AS current_income,
         CASE WHEN paid IS NOT NULL THEN 1 ELSE 0 END AS earning,
         COALESCE(paid, 0) AS paid
  FROM sums
  {f"WHERE grouping_set = {BY_HOUSEHOLD}" if money == "pass" else ""}
)"""  # noqa: S608
    params = [
        _date(as_of),
        *period_params,
        _date(as_of),
        *baseline_params,
        _date(year_ago),
        *scope_params,
        *money_params,
    ]
    return sql, params


def _sqlite_flows(
    scope_sql, scope_params, period_sql, period_params, baseline_line, baseline_params, *, as_of, year_ago
) -> tuple[str, list]:
    """CTEs ending in `r` (see _postgresql_flows), for SQLite: each household's rows are summed
    for the period's figures (`entries`' conditions, evaluated once per row) and over the 12
    months before "as of" (every group). The income that updates the status is the latter less
    what was earned up to the latest measurement, for the households measured within those 12
    months: only their rows in that stretch are read again (`measured_in_window`)."""
    year_end = "(CAST(h.baseline_year AS TEXT) || '-12-31')"
    sql = f"""scope(pk) AS MATERIALIZED ({scope_sql}),
latest AS (
  SELECT s.household_id, s.annual_income, s.members, s.surveyed_on,
         ROW_NUMBER() OVER (PARTITION BY s.household_id ORDER BY s.surveyed_on DESC, s.id DESC) AS rn
  FROM producers_incomesurvey s JOIN scope ON scope.pk = s.household_id
  WHERE s.surveyed_on <= %s
),
hh AS MATERIALIZED (
  SELECT h.id, h.code, CAST(ROUND(h.baseline_annual_income * 100) AS INTEGER) AS baseline_income,
         ({baseline_line}) * h.members AS baseline_line,
         CAST(ROUND(COALESCE(l.annual_income, h.baseline_annual_income) * 100) AS INTEGER) AS measured_income,
         COALESCE(l.members, h.members) AS current_members,
         COALESCE(l.surveyed_on, h.baseline_date, {year_end}) AS measured_on
  FROM scope JOIN producers_household h ON h.id = scope.pk
  LEFT JOIN latest l ON l.household_id = h.id AND l.rn = 1
),
ledger AS (
  SELECT e.household_id,
         CASE WHEN {period_sql} THEN e.amount_satang END AS period_amount,
         CASE WHEN e.earned_on > %s AND e.earned_on <= %s THEN e.amount_satang END AS window_amount
  FROM producers_householdincomeentry e
  WHERE e.household_id IN (SELECT pk FROM scope)
),
flows AS (
  SELECT household_id, SUM(period_amount) AS paid, SUM(window_amount) AS window_income
  FROM ledger
  GROUP BY household_id
),
measured_in_window AS (
  SELECT e.household_id, SUM(e.amount_satang) AS amount
  FROM hh JOIN producers_householdincomeentry e ON e.household_id = hh.id
  WHERE hh.measured_on > %s AND e.earned_on > %s AND e.earned_on <= hh.measured_on AND e.earned_on <= %s
  GROUP BY e.household_id
),
r AS (
  SELECT hh.id, hh.baseline_income, hh.baseline_line, hh.current_members,
         hh.measured_income + COALESCE(flows.window_income, 0) - COALESCE(measured_in_window.amount, 0)
           AS current_income,
         CASE WHEN flows.paid IS NOT NULL THEN 1 ELSE 0 END AS earning,
         COALESCE(flows.paid, 0) AS paid
  FROM hh
  LEFT JOIN flows ON flows.household_id = hh.id
  LEFT JOIN measured_in_window ON measured_in_window.household_id = hh.id
)"""  # noqa: S608
    params = [
        *scope_params,
        _date(as_of),
        *baseline_params,
        *period_params,
        _date(year_ago),
        _date(as_of),
        _date(year_ago),
        _date(year_ago),
        _date(as_of),
    ]
    return sql, params


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


def _satang(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


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
