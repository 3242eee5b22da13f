"""Verification and referral figures for an area: how much of the register is verified (target
100%), households by need and dimension, referrals by state and agency, the median days agencies
take to accept and to resolve, the share of identified needs referred (target 100%) and resolved.

Needs count from each household's NEWEST assessment (an older one is history). Exports of these
counts suppress small cells (1–4 become "<5") for anyone but the coordinators of the area: a count
of 1 in a district can name a household. Where cells add up to a published total (the verification
states to the households, the districts to the households, the referral states and the agencies
to the referrals), one hidden cell could be worked out by subtraction, so a second one is hidden
with it (complementary suppression).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from marketplace import access, areas
from producers.models import Enrolment, Household, VerificationStatus

from .models import Agency, Dimension, Need, NeedsAssessment, Referral, ReferralState
from .selectors import field_households

K_MIN = 5
HIDDEN = f"<{K_MIN}"
BOM = "\ufeff"


@dataclass
class Coverage:
    label: str
    total: int
    verified: int
    code: str = ""

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.verified, self.total)


@dataclass
class Analysis:
    households: int = 0
    verification: dict[str, int] = field(default_factory=dict)
    by_district: list[Coverage] = field(default_factory=list)
    by_group: list[Coverage] = field(default_factory=list)
    assessed: int = 0
    households_by_dimension: dict[str, int] = field(default_factory=dict)
    needs_total: int = 0
    needs_referred: int = 0
    referrals_by_state: dict[str, int] = field(default_factory=dict)
    referrals_by_agency: list[tuple[Agency, int]] = field(default_factory=list)
    median_days_to_accept: Decimal | None = None
    median_days_to_resolve: Decimal | None = None
    referrals_total: int = 0
    referrals_resolved: int = 0

    @property
    def verified_percent(self) -> Decimal | None:
        return _percent(self.verification.get(VerificationStatus.VERIFIED, 0), self.households)

    @property
    def referred_percent(self) -> Decimal | None:
        return _percent(self.needs_referred, self.needs_total)

    @property
    def resolved_percent(self) -> Decimal | None:
        return _percent(self.referrals_resolved, self.referrals_total)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _median_days(durations) -> Decimal | None:
    days = [duration.total_seconds() / 86400 for duration in durations if duration is not None]
    if not days:
        return None
    return Decimal(str(statistics.median(days))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def area_households(user, *, province: str = "", district: str = "") -> QuerySet[Household]:
    households = field_households(user)
    if province:
        households = households.filter(province_code=province)
    if district:
        households = households.filter(district_code=district)
    return households


def latest_needs(households: QuerySet[Household]) -> QuerySet[Need]:
    """The needs of each household's newest assessment."""
    newest = NeedsAssessment.objects.filter(household=OuterRef("assessment__household")).order_by("-assessed_on", "-pk")
    return Need.objects.filter(assessment__household__in=households.values("pk")).filter(
        assessment_id=Subquery(newest.values("pk")[:1])
    )


def analyse(user, *, province: str = "", district: str = "") -> Analysis:
    households = area_households(user, province=province, district=district)
    result = Analysis()
    _verification(result, households)
    _needs_and_referrals(result, households)
    return result


def verification_coverage(user, *, province: str = "", district: str = "") -> Analysis:
    """Only the verification figures (the impact dashboard shows them next to income)."""
    result = Analysis()
    _verification(result, area_households(user, province=province, district=district))
    return result


def _verification(result: Analysis, households: QuerySet[Household]) -> None:
    # One query for the totals and the districts: the totals are the districts' sums.
    verified = Q(verification_status=VerificationStatus.VERIFIED)
    correction = Q(verification_status=VerificationStatus.NEEDS_CORRECTION)
    rows = list(
        households.values("district_code")
        .annotate(total=Count("pk"), verified=Count("pk", filter=verified), correction=Count("pk", filter=correction))
        .order_by("district_code")
    )
    result.households = sum(row["total"] for row in rows)
    result.verification = {
        VerificationStatus.UNVERIFIED: sum(row["total"] - row["verified"] - row["correction"] for row in rows),
        VerificationStatus.VERIFIED: sum(row["verified"] for row in rows),
        VerificationStatus.NEEDS_CORRECTION: sum(row["correction"] for row in rows),
    }
    for row in rows:
        result.by_district.append(
            Coverage(areas.area_name(row["district_code"]), row["total"], row["verified"], row["district_code"])
        )
    enrolled = (
        Enrolment.objects.filter(household__in=households.values("pk"), active=True)
        .values("group__name_th")
        .annotate(
            total=Count("household", distinct=True),
            verified=Count(
                "household", filter=Q(household__verification_status=VerificationStatus.VERIFIED), distinct=True
            ),
        )
        .order_by("group__name_th")
    )
    result.by_group = [Coverage(row["group__name_th"], row["total"], row["verified"]) for row in enrolled]


def _needs_and_referrals(result: Analysis, households: QuerySet[Household]) -> None:

    needs = latest_needs(households)
    result.assessed = (
        NeedsAssessment.objects.filter(household__in=households.values("pk")).values("household").distinct().count()
    )
    per_dimension = dict(needs.values_list("dimension").annotate(n=Count("assessment__household", distinct=True)))
    result.households_by_dimension = {code: per_dimension.get(code, 0) for code in Dimension.values}
    result.needs_total = needs.count()
    result.needs_referred = needs.filter(Exists(Referral.objects.filter(need=OuterRef("pk")))).count()

    referrals = Referral.objects.filter(household__in=households.values("pk"))
    by_state = dict(referrals.values_list("state").annotate(n=Count("pk")))
    result.referrals_by_state = {state: by_state.get(state, 0) for state in ReferralState.values}
    result.referrals_total = sum(by_state.values())
    result.referrals_resolved = by_state.get(ReferralState.RESOLVED, 0)
    agencies = dict(referrals.values_list("agency").annotate(n=Count("pk")))
    result.referrals_by_agency = [
        (agency, agencies[agency.pk]) for agency in Agency.objects.filter(pk__in=agencies).order_by("name")
    ]
    timings = list(referrals.values_list("referred_at", "accepted_at", "closed_at", "state"))
    result.median_days_to_accept = _median_days(
        accepted - referred for referred, accepted, _closed, _state in timings if accepted
    )
    result.median_days_to_resolve = _median_days(
        closed - referred
        for referred, _accepted, closed, state in timings
        if closed and state == ReferralState.RESOLVED
    )


def drilldown(
    user, *, province: str = "", district: str = "", dimension: str = "", state: str = "", verification: str = ""
):
    """The households behind one figure: with a need in `dimension`, a referral in `state`, or
    a `verification` status."""
    households = area_households(user, province=province, district=district)
    if dimension in Dimension.values:
        households = households.filter(
            pk__in=latest_needs(households).filter(dimension=dimension).values("assessment__household")
        )
    if state in ReferralState.values:
        households = households.filter(referrals__state=state)
    if verification in VerificationStatus.values:
        households = households.filter(verification_status=verification)
    return households.distinct().order_by("code")


# --- Export with small-cell suppression ------------------------------------------------------


def exact_counts_for(user, *, province: str = "") -> bool:
    """Only the coordinators of the area see counts under K_MIN in an export."""
    from producers.selectors import coordinator_scope

    if not access.is_coordinator(user):
        return False
    provinces, _groups = coordinator_scope(user)
    return (bool(province) and province in provinces) or (not province and bool(provinces))


def cells_to_hide(counts: dict[str, int], groups: list[tuple[str, list[str]]]) -> set[str]:
    """The keys of the counts an export must hide: every small cell (1 to K_MIN-1), and, in each
    group of cells that adds up to a published total, one more cell wherever exactly one is hidden
    (else total minus the others gives it away): the smallest non-zero one left, or the total
    itself. Repeated until nothing changes, as a cell hidden in one group can expose another."""
    hidden = {key for key, value in counts.items() if 0 < value < K_MIN}
    changed = True
    while changed:
        changed = False
        for total, members in groups:
            if total in hidden or sum(1 for key in members if key in hidden) != 1:
                continue
            shown = [key for key in members if key not in hidden and counts[key] > 0]
            hidden.add(min(shown, key=lambda key: (counts[key], key)) if shown else total)
            changed = True
    return hidden


def export_rows(result: Analysis, *, exact: bool) -> list[tuple[str, str, object]]:
    """(key, label, count) rows: counts hidden by cells_to_hide unless `exact`; the medians are
    left out when there are fewer than K_MIN referrals."""
    rows: list[tuple[str, str, object]] = [("households", _("Households"), result.households)]
    for status, count in result.verification.items():
        rows.append((f"verification_{status}", str(VerificationStatus(status).label), count))
    for coverage in result.by_district:
        rows.append(
            (f"district_total:{coverage.code}", _("Households in %(area)s") % {"area": coverage.label}, coverage.total)
        )
        rows.append(
            (
                f"district_verified:{coverage.code}",
                _("Verified in %(area)s") % {"area": coverage.label},
                coverage.verified,
            )
        )
    for code, count in result.households_by_dimension.items():
        rows.append(
            (
                f"need_{code}",
                _("Households needing help with %(dimension)s") % {"dimension": Dimension(code).label},
                count,
            )
        )
    rows.append(("needs_total", _("Needs identified"), result.needs_total))
    rows.append(("needs_referred", _("Needs referred"), result.needs_referred))
    rows.append(("referrals_total", _("Referrals"), result.referrals_total))
    for state, count in result.referrals_by_state.items():
        rows.append((f"referrals_{state}", _("Referrals: %(state)s") % {"state": ReferralState(state).label}, count))
    for agency, count in result.referrals_by_agency:
        rows.append((f"agency:{agency.pk}", _("Referrals to %(agency)s") % {"agency": agency.name}, count))
    if not exact:
        districts = result.by_district
        groups = [
            ("households", [f"verification_{status}" for status in result.verification]),
            ("households", [f"district_total:{coverage.code}" for coverage in districts]),
            (f"verification_{VerificationStatus.VERIFIED}", [f"district_verified:{c.code}" for c in districts]),
            ("referrals_total", [f"referrals_{state}" for state in result.referrals_by_state]),
            ("referrals_total", [f"agency:{agency.pk}" for agency, _count in result.referrals_by_agency]),
        ]
        hidden = cells_to_hide({key: value for key, _label, value in rows}, groups)
        rows = [(key, label, HIDDEN if key in hidden else value) for key, label, value in rows]
    small = not exact and 0 < result.referrals_total < K_MIN
    rows.append(("median_days_to_accept", _("Median days to accept"), "" if small else result.median_days_to_accept))
    rows.append(("median_days_to_resolve", _("Median days to resolve"), "" if small else result.median_days_to_resolve))
    return rows


def _cell(value) -> object:
    text = "" if value is None else value
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "label", "value"])
    for key, label, value in rows:
        writer.writerow([_cell(key), _cell(label), _cell(value)])
    return BOM + out.getvalue()


def to_xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "referrals"
    sheet.append(["key", "label", "value"])
    for key, label, value in rows:
        sheet.append([_cell(key), _cell(label), _cell(str(value) if isinstance(value, Decimal) else value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
