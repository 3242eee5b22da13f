"""The impact dashboard's set-based household query: one pass over the ledger that gives every
household of the population its baseline and current status, earnings and uplift, written once
for PostgreSQL (merge-joined in household order over the index-only ledger pass) and once for
SQLite. `income.impact.figures` aggregates what it returns. Kept apart from the figures because
it changes with the databases' planners, not with what the dashboard shows."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction

from producers.models import VERY_POOR_SHARE, PovertyLine, PovertyStatus

from .scope import ImpactFilters, _filtered_groups, population

# --- Household figures: one set-based query ------------------------------------------------


def _satang(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


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
