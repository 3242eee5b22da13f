"""Files coordinators download from the impact dashboard: the figures and the households behind a
figure as CSV or XLSX, and the IRIS+ metrics as CSV. The views audit every download; these
functions only write. CSV cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import openpyxl
from django.utils.translation import gettext as _

from .figures import HouseholdRow, ImpactSummary

BOM = "\ufeff"  # so Excel opens Thai text as UTF-8


def cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value) -> str:
    """Numbers stay numbers: a negative amount is not a formula, so it is not prefixed."""
    return "" if value is None else str(value)


# --- Figures --------------------------------------------------------------------------------


def figure_rows(summary: ImpactSummary) -> list[tuple[str, str, object]]:
    """(key, label, value) for every figure on the dashboard, in its order."""
    h = summary.households
    rows = [
        ("households_enrolled", _("Households enrolled"), h.enrolled),
        ("households_earning", _("Households earning through the marketplace"), h.earning),
        ("total_paid_thb", _("Total paid to households (THB)"), h.total_paid),
        ("median_uplift_thb", _("Median uplift over baseline (THB a year)"), h.median_uplift),
        ("mean_uplift_thb", _("Mean uplift over baseline (THB a year)"), h.mean_uplift),
        ("households_crossed", _("Households that crossed the poverty line"), h.crossed),
        (
            "households_crossed_percent",
            _("Share that crossed (per cent of enrolled households with a known baseline)"),
            h.crossed_share,
        ),
        ("households_very_poor_now", _("Households still very poor"), h.very_poor),
    ]
    for status, count in h.baseline_counts.items():
        rows.append((f"baseline_{status}", _("At baseline: %(status)s") % {"status": status}, count))
    for status, count in h.current_counts.items():
        rows.append((f"now_{status}", _("Now: %(status)s") % {"status": status}, count))
    for month, total in summary.money.monthly:
        rows.append(
            (f"paid_{month:%Y-%m}", _("Paid to households in %(month)s (THB)") % {"month": f"{month:%Y-%m}"}, total)
        )
    for group, total in summary.money.by_group:
        rows.append((f"paid_group_{group.code}", _("Paid to households of %(group)s (THB)") % {"group": group}, total))
    for row in summary.fulfilment:
        prefix = f"company_{row.company.pk}"
        rows += [
            (f"{prefix}_committed_thb", _("%(company)s: committed (THB)") % {"company": row.company}, row.committed),
            (f"{prefix}_ordered_thb", _("%(company)s: ordered (THB)") % {"company": row.company}, row.ordered),
            (f"{prefix}_accepted_thb", _("%(company)s: accepted (THB)") % {"company": row.company}, row.accepted),
            (
                f"{prefix}_paid_on_time_thb",
                _("%(company)s: paid on time (THB)") % {"company": row.company},
                row.paid_on_time,
            ),
        ]
    return rows


def _filter_rows(summary: ImpactSummary) -> list[tuple[str, str]]:
    return [(f"filter_{key}", str(value)) for key, value in summary.filters.as_details().items()]


def figures_csv(summary: ImpactSummary) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["figure", "label", "value"])
    for key, label, value in figure_rows(summary):
        writer.writerow([key, cell(label), _number(value)])
    for key, value in _filter_rows(summary):
        writer.writerow([key, "", cell(value)])
    return BOM + buffer.getvalue()


def figures_xlsx(summary: ImpactSummary) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "figures"
    sheet.append(["figure", "label", "value"])
    for key, label, value in figure_rows(summary):
        # Spreadsheet cells keep their type: Decimal amounts arrive as numbers.
        sheet.append([key, str(label), value])
    for key, value in _filter_rows(summary):
        sheet.append([key, "", value])
    return _save(workbook)


# --- Drill-down -----------------------------------------------------------------------------

HOUSEHOLD_COLUMNS = [
    "household_code",
    "head_name",
    "groups",
    "baseline_annual_income",
    "baseline_status",
    "current_annual_income",
    "current_status",
    "paid_in_period",
]


def _household_values(row: HouseholdRow) -> list:
    # The name only where consent allows (display_name masks it otherwise).
    return [
        row.household.code,
        row.household.display_name,
        row.groups,
        row.baseline_income,
        row.baseline_status,
        row.current_income,
        row.current_status,
        row.paid,
    ]


def households_csv(rows: Iterable[HouseholdRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HOUSEHOLD_COLUMNS)
    for row in rows:
        code, name, groups, baseline, baseline_status, current, current_status, paid = _household_values(row)
        writer.writerow(
            [
                cell(code),
                cell(name),
                cell(groups),
                _number(baseline),
                baseline_status,
                _number(current),
                current_status,
                _number(paid),
            ]
        )
    return BOM + buffer.getvalue()


def households_xlsx(rows: Iterable[HouseholdRow]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "households"
    sheet.append(HOUSEHOLD_COLUMNS)
    for row in rows:
        values = _household_values(row)
        # Text cells are stored as text (openpyxl never evaluates them), but a leading "=" would
        # still turn into a formula: neutralise the text ones.
        sheet.append([cell(v) if isinstance(v, str) else v for v in values])
    return _save(workbook)


# --- IRIS+ ----------------------------------------------------------------------------------

IRIS_COLUMNS = ["code", "name", "value", "unit", "period", "scope"]


def iris_rows(summary: ImpactSummary, *, scope: str) -> list[list]:
    """IRIS+ metrics (REFERENCE.md; https://iris.thegiin.org/metrics/):
    PI7852 payments to smallholder suppliers = total paid to households in the period (THB);
    PI7318 low-income client households = enrolled households poor or very poor at baseline;
    PI1726 poor client households = enrolled households below the line now;
    PI4548 client household size = mean members (newest survey, else the household record)."""
    h = summary.households
    period = summary.filters.describe_period()
    return [
        ["PI7852", "Payments to smallholder suppliers", h.total_paid, "THB", period, scope],
        ["PI7318", "Low-income client households", h.poor_at_baseline, "households", period, scope],
        ["PI1726", "Poor client households", h.poor_now, "households", period, scope],
        [
            "PI4548",
            "Client household size",
            h.mean_members if h.mean_members is not None else "",
            "persons",
            period,
            scope,
        ],
    ]


def iris_csv(summary: ImpactSummary, *, scope: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IRIS_COLUMNS)
    for row in iris_rows(summary, scope=scope):
        writer.writerow([cell(row[0]), cell(row[1]), _number(row[2]), row[3], cell(row[4]), cell(row[5])])
    return BOM + buffer.getvalue()


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
