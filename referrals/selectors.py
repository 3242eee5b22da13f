"""Who sees which households' needs and referrals: the one scoping layer of the referrals app.

* A coordinator sees the households of their areas (producers.selectors.households_visible_to).
* An area research manager sees the households of the provinces and districts assigned to them
  (FieldAssignment), whatever group they are in: they verify the register in the field.
* Agency staff see a household only through a referral to their agency, and only while the
  household's latest referral consent is "given"; never its income or ledger.
Everyone else sees nothing. One object asked for outside the scope is a 404 (and an audit event).
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from marketplace import access, audit
from producers import selectors as producer_selectors
from producers.models import Consent, Household

from .models import AgencyMembership, FieldAssignment, Referral


def field_areas(user) -> tuple[set[str], set[str]]:
    """(provinces, districts) assigned to the user as an area research manager."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set(), set()
    rows = FieldAssignment.objects.filter(user=user).values_list("province_code", "district_code")
    provinces = {province for province, district in rows if not district}
    districts = {district for _province, district in rows if district}
    return provinces, districts


def is_area_research_manager(user) -> bool:
    provinces, districts = field_areas(user)
    return bool(provinces or districts)


def agency_ids(user) -> set[int]:
    return set(access.memberships(user, "agency"))


def works_with_household_data(user) -> bool:
    """Area research managers and agency staff: they must have a second factor (access)."""
    return FieldAssignment.objects.filter(user=user).exists() or AgencyMembership.objects.filter(user=user).exists()


def field_households(user) -> QuerySet[Household]:
    """Households whose data the user verifies and whose needs they assess and refer: an area
    research manager's areas, and a coordinator's."""
    provinces, districts = field_areas(user)
    visible = producer_selectors.households_visible_to(user)
    if visible.query.is_empty() and not (provinces or districts):
        return Household.objects.none()
    condition = Q(pk__in=[])
    if not visible.query.is_empty():
        condition |= Q(pk__in=visible.values("pk"))
    if provinces:
        condition |= Q(province_code__in=provinces)
    if districts:
        condition |= Q(district_code__in=districts)
    return Household.objects.filter(condition, erased_at__isnull=True)


def can_do_field_work(user) -> bool:
    return is_area_research_manager(user) or access.is_coordinator(user)


def field_household(user, pk, *, purpose: str = "view") -> Household:
    household = field_households(user).with_consent_status().filter(pk=pk).first()
    if household is None:
        raise Http404
    audit.record(f"household.{purpose}", household)
    return household


def has_referral_consent(household: Household) -> bool:
    latest = household.consents.filter(scope=Consent.Scope.REFERRAL).order_by("-recorded_at", "-pk").first()
    return latest is not None and latest.status == Consent.Status.GIVEN and not household.is_erased


def referrals_for_agency_user(user) -> QuerySet[Referral]:
    """The referrals to the user's agencies whose household still consents to referral."""
    ids = agency_ids(user)
    if not ids:
        return Referral.objects.none()
    latest = Consent.objects.filter(household=OuterRef("household_id"), scope=Consent.Scope.REFERRAL).order_by(
        "-recorded_at", "-pk"
    )
    return (
        Referral.objects.filter(agency_id__in=ids, household__erased_at__isnull=True)
        .annotate(consent=Subquery(latest.values("status")[:1]))
        .filter(consent=Consent.Status.GIVEN)
    )


def referral_for_agency_user(user, pk) -> Referral:
    """One referral an agency user may open, or 404; every opening (and every refusal) is audited:
    a guessed id leaves a trace."""
    referral = (
        referrals_for_agency_user(user).select_related("household", "need__assessment", "agency").filter(pk=pk).first()
    )
    if referral is None:
        audit.record("referral.denied", object_type="referrals.referral", object_id=str(pk)[:40])
        raise Http404
    audit.record("household.view", referral.household, details={"via": "referral", "referral": referral.pk})
    return referral


def referrals_for_field_user(user) -> QuerySet[Referral]:
    return Referral.objects.filter(household__in=field_households(user).values("pk"))
