"""Where a household stands against the poverty line over time, counting what it earned through
the marketplace (the ledger): `with_current_status` annotates a household queryset in SQL (the
impact dashboard and the company statement restate its rule), `poverty_panel` is the household
page's panel (its history survey by survey, and its marketplace income by year).

Baseline status alone needs no ledger and stays with the households
(`HouseholdQuerySet.with_baseline_status`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce, Concat, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from producers.models import VERY_POOR_SHARE, Household, IncomeSurvey, PovertyLine, PovertyStatus, poverty_status

from .ledger.models import HouseholdIncomeEntry

SATANG = Decimal("0.01")


def with_current_status(households: QuerySet[Household], today: datetime.date | None = None) -> QuerySet[Household]:
    """Annotate the households, in the database, with what the household earns now and where that puts it:

    - `current_annual_income`: the newest income survey's annual income (else the baseline),
      plus marketplace income the household earned after that measurement and within the last
      12 months (earlier marketplace income is in the survey already, or too old to count);
    - `current_members`: members at that survey (else the household's count);
    - `current_status` against the poverty line of today's year (the latest published), and
      `crossed_line`: poor or very poor at baseline, at or above the line now.

    Compares annual figures to avoid dividing: income < line × 12 × members."""

    today = today or timezone.localdate()
    money = models.DecimalField(max_digits=14, decimal_places=2)
    survey = IncomeSurvey.objects.filter(household=models.OuterRef("pk"), surveyed_on__lte=today).order_by(
        "-surveyed_on", "-pk"
    )
    year_ago = today - datetime.timedelta(days=365)
    measured_on = Coalesce(
        models.Subquery(survey.values("surveyed_on")[:1]),
        models.F("baseline_date"),
        # No date for the baseline: it describes its year, so income from the year after counts.
        Cast(Concat(Cast(models.F("baseline_year"), models.CharField()), models.Value("-12-31")), models.DateField()),
    )
    earned = (
        HouseholdIncomeEntry.objects.filter(
            Q(earned_on__gt=models.OuterRef("measured_on")),
            household=models.OuterRef("pk"),
            earned_on__gt=year_ago,
            earned_on__lte=today,
        )
        .order_by()
        .values("household")
        .annotate(total=models.Sum("amount"))
        .values("total")
    )
    line = PovertyLine.for_year(today.year)
    queryset = households.with_baseline_status().annotate(
        measured_on=measured_on,
        current_members=Coalesce(models.Subquery(survey.values("members")[:1]), models.F("members")),
        current_annual_income=models.ExpressionWrapper(
            Coalesce(models.Subquery(survey.values("annual_income")[:1]), models.F("baseline_annual_income"))
            + Coalesce(models.Subquery(earned, output_field=money), models.Value(Decimal("0")), output_field=money),
            output_field=money,
        ),
    )
    if line is None:
        status = models.Value(PovertyStatus.UNKNOWN)
    else:
        annual_line = models.ExpressionWrapper(
            models.Value(line.baht_per_person_month * 12) * models.F("current_members"), output_field=money
        )
        status = models.Case(
            models.When(
                current_annual_income__lt=annual_line * VERY_POOR_SHARE, then=models.Value(PovertyStatus.VERY_POOR)
            ),
            models.When(current_annual_income__lt=annual_line, then=models.Value(PovertyStatus.POOR)),
            default=models.Value(PovertyStatus.ABOVE),
            output_field=models.CharField(),
        )
    return queryset.annotate(current_status=status).annotate(
        crossed_line=models.Case(
            models.When(
                baseline_status__in=[PovertyStatus.POOR, PovertyStatus.VERY_POOR],
                current_status=PovertyStatus.ABOVE,
                then=models.Value(True),
            ),
            default=models.Value(False),
            output_field=models.BooleanField(),
        )
    )


@dataclass
class SurveyRow:
    date: datetime.date
    label: str
    annual_income: Decimal
    members: int
    monthly_per_person: Decimal
    line: PovertyLine | None
    status: str

    @property
    def status_label(self) -> str:
        return str(PovertyStatus(self.status).label)


def _survey_row(date, label, annual_income, members) -> SurveyRow:
    monthly = (annual_income / 12 / members).quantize(SATANG)
    line = PovertyLine.for_year(date.year)
    # Compare annual figures, as the database does (no rounding at the boundary).
    if line is None:
        status = PovertyStatus.UNKNOWN
    else:
        annual_line = line.baht_per_person_month * 12 * members
        status = poverty_status(annual_income, annual_line)
    return SurveyRow(date, label, annual_income, members, monthly, line, status)


def poverty_panel(household: Household, today: datetime.date | None = None) -> dict:
    """Where the household stands (from `with_current_status`, computed in SQL) and how it got
    there: one row per income survey (at that year's line) after the baseline, and its
    marketplace income by year."""
    today = today or timezone.localdate()
    now = with_current_status(Household.objects.all(), today).get(pk=household.pk)
    line = PovertyLine.for_year(today.year)
    current_monthly = (now.current_annual_income / 12 / now.current_members).quantize(SATANG)
    baseline_date = household.baseline_date or datetime.date(household.baseline_year, 12, 31)
    history = [_survey_row(baseline_date, _("baseline"), household.baseline_annual_income, household.members)]
    for survey in IncomeSurvey.objects.filter(household=household).order_by("surveyed_on", "pk"):
        history.append(
            _survey_row(survey.surveyed_on, survey.get_source_display(), survey.annual_income, survey.members)
        )
    by_year = (
        HouseholdIncomeEntry.objects.filter(household=household)
        .annotate(year=ExtractYear("earned_on"))
        .order_by("year")
        .values("year")
        .annotate(total=Sum("amount"))
    )
    return {
        "poverty": {
            "baseline_monthly": household.baseline_monthly_income_per_person,
            "baseline_status": now.baseline_status,
            "baseline_status_label": PovertyStatus(now.baseline_status).label,
            "current_monthly": current_monthly,
            "current_members": now.current_members,
            "current_annual_income": now.current_annual_income,
            "current_status": now.current_status,
            "current_status_label": PovertyStatus(now.current_status).label,
            "crossed_line": now.crossed_line,
            "line": line,
            "history": history,
            "income_by_year": [(row["year"], row["total"]) for row in by_year],
        }
    }
