"""Who sees which producer groups and households: the one scoping layer.

Every list, detail page, export and API reads households through `households_visible_to()` (or
`household_for()` for one), so the rule lives here only:

* a coordinator sees the groups and households of the provinces and groups assigned to them;
* a group's manager or treasurer sees that group and the households enrolled in it;
* nobody else sees household data: not company users, not anonymous visitors, and not platform
  superusers unless they are also assigned as coordinators (communities own their data).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from marketplace import access, audit

from .models import CoordinatorAssignment, Enrolment, Household, ProducerGroup


def coordinator_scope(user) -> tuple[set[str], set[int]]:
    if not access.is_coordinator(user):
        return set(), set()
    rows = CoordinatorAssignment.objects.filter(user=user).values_list("province_code", "group_id")
    provinces = {province for province, _group in rows if province}
    groups = {group for _province, group in rows if group}
    return provinces, groups


def managed_group_ids(user) -> set[int]:
    return set(access.memberships(user, "producer_group"))


def groups_visible_to(user) -> QuerySet[ProducerGroup]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ProducerGroup.objects.none()
    provinces, assigned_groups = coordinator_scope(user)
    group_ids = assigned_groups | managed_group_ids(user)
    if user.is_superuser:
        return ProducerGroup.objects.all()  # group records are organisational, not personal, data
    if not provinces and not group_ids:
        return ProducerGroup.objects.none()
    return ProducerGroup.objects.filter(Q(province_code__in=provinces) | Q(pk__in=group_ids))


def households_visible_to(user) -> QuerySet[Household]:
    """All households the user may know of (identifiable or not: see `Household.identifiable`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Household.objects.none()
    provinces, assigned_groups = coordinator_scope(user)
    group_ids = assigned_groups | managed_group_ids(user)
    if not provinces and not group_ids:
        return Household.objects.none()
    # Conditions on the household row only (no join, so no duplicates to remove): the planner
    # estimates them well, which the impact dashboard's joins over the whole register rely on.
    condition = Q(province_code__in=provinces) if provinces else Q()
    if group_ids:
        condition |= Exists(Enrolment.objects.filter(household=OuterRef("pk"), group_id__in=group_ids, active=True))
    return Household.objects.filter(condition)


def can_see_households(user) -> bool:
    provinces, assigned_groups = coordinator_scope(user)
    return bool(provinces or assigned_groups or managed_group_ids(user))


def household_for(user, pk, *, purpose: str = "view") -> Household:
    """One household the user may see, or 404 (never 403: do not confirm that it exists). The
    access is written to the audit log."""
    household = households_visible_to(user).with_consent_status().filter(pk=pk).first()
    if household is None:
        raise Http404
    audit.record(f"household.{purpose}", household)
    return household
