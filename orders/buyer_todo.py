"""What a partner company's purchasers have to do next: the buyer portal's home (`buyers:home`)
and its invoices page. Every figure is a queryset of the user's companies' rows (through
`selectors.orders_for_buyer` / `agreements_for_buyer`), so a count and the list it links to agree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import AgreementState, Delivery, Invoice, Order, OrderStatus, PurchaseAgreement

ZERO = Decimal("0")
NEAR_END_DAYS = 30
LITTLE_LEFT = Decimal("0.10")  # a line with less than a tenth of its commitment left


def deliveries_to_accept(user) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(order__in=selectors.orders_for_buyer(user), status=Delivery.Status.AWAITING)
        .select_related("order__group", "order__company")
        .order_by("delivered_on", "pk")
    )


def invoices(user, state: str = "open", today: datetime.date | None = None) -> QuerySet[Invoice]:
    """The user's companies' invoices: "open" (to pay), "overdue" (open, past due), "paid", "all"."""
    today = today or timezone.localdate()
    rows = Invoice.objects.filter(order__in=selectors.orders_for_buyer(user)).exclude(status=Invoice.Status.DRAFT)
    if state in ("open", "overdue"):
        rows = rows.filter(status=Invoice.Status.OPEN)
    if state == "overdue":
        rows = rows.filter(due_date__lt=today)
    elif state == "paid":
        rows = rows.filter(status=Invoice.Status.PAID)
    return rows.select_related("order__group", "order__company", "order__agreement").order_by("due_date", "pk")


def total(rows: QuerySet) -> Decimal:
    return rows.aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))
    )["total"]


def orders_awaiting_payment(user) -> QuerySet[Order]:
    return (
        selectors.orders_for_buyer(user)
        .filter(status=OrderStatus.PENDING_PAYMENT)
        .select_related("group", "checkout")
        .order_by("placed_at", "pk")
    )


def call_offs_awaiting_confirmation(user) -> QuerySet[Order]:
    return (
        selectors.orders_for_buyer(user)
        .filter(kind=Order.Kind.CONTRACT, status=OrderStatus.PLACED)
        .select_related("group", "agreement")
        .order_by("placed_at", "pk")
    )


def agreements_to_watch(user, today: datetime.date | None = None) -> list[PurchaseAgreement]:
    """Active agreements ending within NEAR_END_DAYS, or with a line nearly all called off."""
    today = today or timezone.localdate()
    watched = []
    for agreement in selectors.agreements_for_buyer(user).prefetch_related("lines").order_by("valid_to", "pk"):
        if agreement.state(today) != AgreementState.ACTIVE:
            continue
        lines = list(agreement.lines.with_quantities())
        agreement.ends_soon = bool(
            agreement.valid_to and agreement.valid_to <= today + datetime.timedelta(NEAR_END_DAYS)
        )
        agreement.little_left = any(
            line.committed_quantity and line.remaining_quantity < line.committed_quantity * LITTLE_LEFT
            for line in lines
        )
        if agreement.ends_soon or agreement.little_left:
            watched.append(agreement)
    return watched


@dataclass
class Item:
    key: str
    label: str
    count: int
    url: str
    amount: Decimal | None = None

    @property
    def done(self) -> bool:
        return self.count == 0


def portal_todo(user) -> list[Item]:
    open_invoices = invoices(user, "open")
    overdue = invoices(user, "overdue")
    agreements = agreements_to_watch(user)
    invoice_url = reverse("buyers:invoice_list")
    return [
        Item(
            "accept",
            str(_("Deliveries to accept")),
            deliveries_to_accept(user).count(),
            reverse("buyers:deliveries_to_accept"),
        ),
        Item(
            "overdue",
            str(_("Invoices overdue")),
            overdue.count(),
            f"{invoice_url}?{urlencode({'state': 'overdue'})}",
            total(overdue),
        ),
        Item("invoices", str(_("Invoices to pay")), open_invoices.count(), invoice_url, total(open_invoices)),
        Item(
            "payment",
            str(_("Orders awaiting payment")),
            orders_awaiting_payment(user).count(),
            f"{reverse('buyers:order_list')}?{urlencode({'status': OrderStatus.PENDING_PAYMENT})}",
        ),
        Item(
            "confirmation",
            str(_("Call-offs awaiting the group's confirmation")),
            call_offs_awaiting_confirmation(user).count(),
            f"{reverse('buyers:order_list')}?{urlencode({'status': OrderStatus.PLACED})}",
        ),
        Item(
            "agreements",
            str(_("Agreements ending soon or nearly used")),
            len(agreements),
            reverse("buyers:agreement_list"),
        ),
    ]
