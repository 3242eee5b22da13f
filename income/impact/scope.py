"""The impact dashboard's scope and filters: who may see it, which groups and households a
coordinator's figures cover, the filter choices, and the population and ledger entries the
filters select (`income.impact.figures` has the definitions)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import geothai
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from marketplace import access, areas
from producers import selectors
from producers.models import Enrolment, Household
from producers.models import ProducerGroup as Group

from ..ledger.models import HouseholdIncomeEntry

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
