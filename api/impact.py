"""GET /impact: the company's impact statement (income.company_impact.statement), suppressed exactly as in
the portal: a suppressed figure is {"value": null, "suppressed": true, "display": "<5"}."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from income.company_impact import statement as impact

from .agreements import agreement_for_key
from .base import ProblemSchema, require_scope
from .schemas import DateIn, ImpactOut, money, percent

router = Router(tags=["impact"])


class ImpactQuery(Schema):
    # Absent, not null, when not given: a query string has no null.
    date_from: DateIn = Field(None, description="Paid from (inclusive), YYYY-MM-DD.")
    date_to: DateIn = Field(None, description="Paid until (inclusive), YYYY-MM-DD.")
    agreement: str = Field(
        "",
        max_length=40,
        description=f"An agreement code of the company, or '{impact.MARKETPLACE}' for marketplace purchases only.",
    )


def _figure(figure: impact.Figure, written=str) -> dict:
    if figure.suppressed:
        display = f"<{impact.MIN_HOUSEHOLDS}"
    elif figure.value is None:
        display = "—"
    else:
        display = written(figure.value)
    return {"value": figure.value, "suppressed": figure.suppressed, "display": display}


@router.get("/impact", response={200: ImpactOut, 404: ProblemSchema}, summary="The company's impact statement")
def get_impact(request, params: Query[ImpactQuery]):
    """Aggregates only. Counts of 1 to 4 households, and the figures that would describe them, are
    suppressed (see buyers/impact.py for the rules)."""
    require_scope(request, "read")
    agreement, marketplace_only = None, False
    if params.agreement == impact.MARKETPLACE:
        marketplace_only = True
    elif params.agreement:
        agreement = agreement_for_key(request, params.agreement)
    filters = impact.StatementFilters(
        date_from=params.date_from, date_to=params.date_to, agreement=agreement, marketplace_only=marketplace_only
    )
    statement = impact.statement(request.auth.company, filters)
    return {
        "company": statement.company.name_th,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "as_of": filters.as_of,
        "agreement": agreement.code if agreement else None,
        "marketplace_only": marketplace_only,
        "households_reached": _figure(statement.households_reached),
        "paid_to_households": _figure(statement.paid_to_households, money),
        "purchase_value": statement.purchase_value,
        "share_reached_percent": _figure(statement.share_reached, percent),
        "crossed_poverty_line": _figure(statement.crossed),
        "crossed_poverty_line_percent": _figure(statement.crossed_share, percent),
    }
