"""Reads about agreements and orders, scoped to who asks.

* Company members see their companies' activated agreements and their orders (buyers.selectors).
* Coordinators see the agreements of the institutions they are assigned to, and those agreements'
  orders.
* Group managers and treasurers see the orders placed with their groups.

Anything else is a 404, never a 403: the caller must not learn that another company's record exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from buyers import selectors as buyer_selectors
from marketplace import access
from producers.models import CoordinatorAssignment
from producers.selectors import coordinator_scope, groups_visible_to, managed_group_ids

from .models import QUANTITY, ZERO, AgreementLine, Delivery, DeliveryLine, Invoice, Order, PurchaseAgreement

HUNDRED = Decimal("100")


# --- Buyer portal ---------------------------------------------------------------------------


def agreements_for_buyer(user) -> QuerySet[PurchaseAgreement]:
    """Activated agreements of the user's companies (drafts are the coordinators' business)."""
    return agreements_for_companies(list(buyer_selectors.company_roles(user)))


def agreements_for_companies(company_ids) -> QuerySet[PurchaseAgreement]:
    """Activated agreements of these companies: the portal's rule, also the buyer API's (by key)."""
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


def can_see_suppliers(user, order: Order) -> bool:
    """May the user open the "who supplied it" page of the order's deliveries: the group is in the
    user's own scope (watching the order, as every coordinator of its institution does, is not
    enough: the page names the group's households)."""
    return groups_visible_to(user).filter(pk=order.group_id).exists()


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
    def stages(self) -> list[tuple[str, Decimal, Decimal]]:
        """(key, quantity, per cent of committed, capped at 100) from ordered to paid: the
        layers of the line's progress bar, each no longer than the one before."""
        rows = []
        for key in ("ordered", "delivered", "accepted", "paid"):
            quantity = getattr(self, key)
            share = min(quantity / self.committed * HUNDRED, HUNDRED) if self.committed else ZERO
            rows.append((key, quantity, share.quantize(Decimal("0.1"))))
        return rows

    @property
    def value_committed(self) -> Decimal:
        return (self.committed * self.line.unit_price).quantize(Decimal("0.01"))

    @property
    def value_ordered(self) -> Decimal:
        return (self.ordered * self.line.unit_price).quantize(Decimal("0.01"))


def _delivered_sum(field: str, **filters):
    """Sum of `field` over the delivery lines of one agreement line's call-offs, as a subquery:
    joining deliveries into the same query as the order lines would count each order line once per
    delivery line."""
    rows = (
        DeliveryLine.objects.filter(order_line__agreement_line_id=OuterRef("pk"), **filters)
        .order_by()
        .values("order_line__agreement_line_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(rows, output_field=DecimalField(**QUANTITY)), Value(ZERO), output_field=DecimalField(**QUANTITY)
    )


def agreement_performance(agreement: PurchaseAgreement) -> list[LinePerformance]:
    """Per line: committed, ordered (open and completed call-offs), delivered, accepted, invoiced
    (accepted goods on an issued invoice: open or paid), paid (on a paid invoice), remaining and
    % fulfilled, all summed in SQL from the order, delivery and invoice rows (one query)."""
    lines = (
        agreement.lines.with_quantities()
        .annotate(
            delivered_quantity=_delivered_sum("quantity"),
            accepted_quantity=_delivered_sum("accepted_quantity"),
            invoiced_quantity=_delivered_sum(
                "accepted_quantity", delivery__invoice__status__in=[Invoice.Status.OPEN, Invoice.Status.PAID]
            ),
            paid_quantity=_delivered_sum("accepted_quantity", delivery__invoice__status=Invoice.Status.PAID),
        )
        .select_related("product")
        .order_by("sort_order", "pk")
    )
    return [
        LinePerformance(
            line=line,
            committed=line.committed_quantity,
            ordered=line.ordered_quantity,
            delivered=line.delivered_quantity,
            accepted=line.accepted_quantity,
            invoiced=line.invoiced_quantity,
            paid=line.paid_quantity,
        )
        for line in lines
    ]


def call_offs(agreement: PurchaseAgreement) -> QuerySet[Order]:
    return (
        agreement.orders.select_related("group", "placed_by")
        .prefetch_related(Prefetch("lines"))
        .order_by("-placed_at", "-pk")
    )


# --- Fulfilment -----------------------------------------------------------------------------


def order_lines_with_progress(order: Order) -> QuerySet:
    """The order's lines annotated with `delivered` and `accepted` quantities (subqueries, so each
    line is counted once) and `open_quantity` = ordered − delivered."""
    delivered = DeliveryLine.objects.filter(order_line_id=OuterRef("pk")).order_by().values("order_line_id")
    quantity = DecimalField(**QUANTITY)

    def total(field):
        rows = delivered.annotate(total=Sum(field)).values("total")
        return Coalesce(Subquery(rows, output_field=quantity), Value(ZERO), output_field=quantity)

    return (
        order.lines.annotate(delivered=total("quantity"), accepted=total("accepted_quantity"))
        .annotate(open_quantity=F("quantity") - F("delivered"))
        .order_by("pk")
    )


def deliveries_of(order: Order) -> QuerySet[Delivery]:
    return (
        order.deliveries.select_related("recorded_by", "accepted_by")
        .prefetch_related(Prefetch("lines", queryset=DeliveryLine.objects.select_related("order_line")))
        .order_by("recorded_at", "pk")
    )


def invoices_of(order: Order) -> QuerySet[Invoice]:
    return order.invoices.select_related("delivery").order_by("issued_at", "pk")


def delivery_for_buyer(user, pk) -> Delivery:
    delivery = Delivery.objects.filter(order__in=orders_for_buyer(user), pk=pk).select_related("order").first()
    if delivery is None:
        raise Http404
    return delivery


def _coordinator_orders_filter(user, prefix: str = "") -> Q | None:
    """Orders a coordinator watches: under their institutions' agreements, or with groups of their
    provinces or assigned groups. None for someone who coordinates nothing."""
    institutions = coordinated_institution_ids(user)
    provinces, groups = coordinator_scope(user)
    if not institutions and not provinces and not groups:
        return None
    return (
        Q(**{f"{prefix}agreement__institution_id__in": institutions})
        | Q(**{f"{prefix}group__province_code__in": provinces})
        | Q(**{f"{prefix}group_id__in": groups})
    )


def overdue_invoices_for_coordinator(user, today: datetime.date | None = None) -> QuerySet[Invoice]:
    """Open invoices past their due date, of the orders the coordinator watches, oldest due first;
    each annotated with `days_overdue`."""
    scope = _coordinator_orders_filter(user, prefix="order__")
    if scope is None:
        return Invoice.objects.none()
    today = today or timezone.localdate()
    return (
        Invoice.objects.filter(scope, status=Invoice.Status.OPEN, due_date__lt=today)
        .select_related("order__company", "order__group", "order__agreement")
        .order_by("due_date", "pk")
    )


def orders_for_documents(user) -> QuerySet[Order]:
    """Whose documents (receipts, invoices, delivery photos) the user may read: their companies'
    orders, orders with the groups they run (managers and treasurers), and orders a coordinator
    watches."""
    scope = Q(company_id__in=list(buyer_selectors.company_roles(user))) | Q(group_id__in=managed_group_ids(user))
    coordinated = _coordinator_orders_filter(user)
    if coordinated is not None:
        scope |= coordinated
    return Order.objects.filter(scope)


def can_cancel_as_group(user, order: Order) -> bool:
    """A manager of the order's group, or a coordinator who watches it."""
    if can_answer_order(user, order):
        return True
    coordinated = _coordinator_orders_filter(user)
    return coordinated is not None and Order.objects.filter(coordinated, pk=order.pk).exists()
