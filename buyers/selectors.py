"""Which companies a user belongs to, and in which role. Every buyer-portal view scopes through
here (and orders.selectors, which builds on it): an id outside the user's companies is a 404."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from marketplace import access

from .models import Company, CompanyRole, Invitation

MANAGE_PEOPLE = {CompanyRole.ADMIN}
PLACE_ORDERS = {CompanyRole.ADMIN, CompanyRole.PURCHASER}


def company_roles(user) -> dict[int, str]:
    """{company id: role} for the user (cached on the user object: asked several times a request)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if not hasattr(user, "_company_roles"):
        user._company_roles = access.memberships(user, "company")
    return user._company_roles


def is_company_member(user) -> bool:
    return bool(company_roles(user))


def companies_for(user, roles: Iterable[str] | None = None) -> QuerySet[Company]:
    memberships = company_roles(user)
    if roles is not None:
        wanted = set(roles)
        memberships = {pk: role for pk, role in memberships.items() if role in wanted}
    return Company.objects.filter(pk__in=list(memberships))


def company_for(user, pk, roles: Iterable[str] | None = None) -> Company:
    """One of the user's companies, or 404 (never 403: do not confirm that another company exists).
    With `roles`, a member in another role gets 404 too."""
    company = companies_for(user, roles).filter(pk=pk).first()
    if company is None:
        raise Http404
    return company


def role_in(user, company_id: int) -> str | None:
    return company_roles(user).get(company_id)


def can_place_orders(user, company_id: int) -> bool:
    return role_in(user, company_id) in PLACE_ORDERS


def can_manage_people(user, company_id: int) -> bool:
    return role_in(user, company_id) in MANAGE_PEOPLE


def pending_invitations(company: Company) -> QuerySet[Invitation]:
    return company.invitations.pending().select_related("invited_by")
