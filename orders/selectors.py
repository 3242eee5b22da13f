"""Reads about agreements and orders, scoped to who asks.

* Company members see their companies' activated agreements and their orders (buyers.selectors).
* Coordinators see the agreements of the institutions they are assigned to, and those agreements'
  orders.
* Group managers and treasurers see the orders placed with their groups.

Anything else is a 404, never a 403: the caller must not learn that another company's record exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from buyers import selectors as buyer_selectors
from marketplace import access
from producers.models import CoordinatorAssignment
from producers.selectors import managed_group_ids

from .models import ZERO, AgreementLine, Order, PurchaseAgreement

HUNDRED = Decimal("100")


# --- Buyer portal ---------------------------------------------------------------------------


def agreements_for_buyer(user) -> QuerySet[PurchaseAgreement]:
    """Activated agreements of the user's companies (drafts are the coordinators' business)."""
    company_ids = list(buyer_selectors.company_roles(user))
    return (
        PurchaseAgreement.objects.filter(company_id__in=company_ids, activated_at__isnull=False)
        .select_related("company", "institution")
        .order_by("-valid_from", "code")
    )


def agreement_for_buyer(user, pk) -> PurchaseAgreement:
    agreement = agreements_for_buyer(user).filter(pk=pk).first()
    if agreement is None:
        raise Http404
    return agreement


def orders_for_buyer(user) -> QuerySet[Order]:
    company_ids = list(buyer_selectors.company_roles(user))
    return Order.objects.filter(company_id__in=company_ids).select_related("company", "group", "agreement")


def order_for_buyer(user, pk) -> Order:
    order = orders_for_buyer(user).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


# --- Coordinators and producer groups -------------------------------------------------------


def coordinated_institution_ids(user) -> set[int]:
    if not access.is_coordinator(user):
        return set()
    return set(CoordinatorAssignment.objects.filter(user=user).values_list("institution_id", flat=True))


def agreements_for_coordinator(user) -> QuerySet[PurchaseAgreement]:
    return PurchaseAgreement.objects.filter(institution_id__in=coordinated_institution_ids(user))


def orders_for_group_staff(user) -> QuerySet[Order]:
    """Orders placed with the groups the user manages, plus, for coordinators, the orders under
    their institutions' agreements."""
    groups = managed_group_ids(user)
    institutions = coordinated_institution_ids(user)
    if not groups and not institutions:
        return Order.objects.none()
    return Order.objects.filter(Q(group_id__in=groups) | Q(agreement__institution_id__in=institutions))


def can_answer_order(user, order: Order) -> bool:
    """Only a manager of the order's own group confirms or declines it."""
    return order.group_id in set(access.memberships(user, "producer_group", roles=["manager"]))


# --- Performance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinePerformance:
    line: AgreementLine
    committed: Decimal
    ordered: Decimal
    delivered: Decimal
    accepted: Decimal
    invoiced: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.ordered

    @property
    def percent_fulfilled(self) -> Decimal:
        """Delivered as a share of committed, in per cent (one decimal)."""
        if not self.committed:
            return ZERO
        return (self.delivered / self.committed * HUNDRED).quantize(Decimal("0.1"))

    @property
    def value_committed(self) -> Decimal:
        return (self.committed * self.line.unit_price).quantize(Decimal("0.01"))

    @property
    def value_ordered(self) -> Decimal:
        return (self.ordered * self.line.unit_price).quantize(Decimal("0.01"))


def agreement_performance(agreement: PurchaseAgreement) -> list[LinePerformance]:
    """Per line: committed, ordered (open call-offs), delivered, accepted, invoiced, paid,
    remaining and % fulfilled, all computed from the records. Deliveries, acceptance, invoices and
    payments do not exist yet: those figures are 0 until the apps that record them add their sums
    here."""
    lines = agreement.lines.with_quantities().select_related("product").order_by("sort_order", "pk")
    return [
        LinePerformance(
            line=line,
            committed=line.committed_quantity,
            ordered=line.ordered_quantity,
            delivered=ZERO,
            accepted=ZERO,
            invoiced=ZERO,
            paid=ZERO,
        )
        for line in lines
    ]


def call_offs(agreement: PurchaseAgreement) -> QuerySet[Order]:
    return (
        agreement.orders.select_related("group", "placed_by")
        .prefetch_related(Prefetch("lines"))
        .order_by("-placed_at", "-pk")
    )
