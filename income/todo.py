"""What a producer group's staff and a coordinator have to do next: the admin home's to-do panels
and the work lists they link to (income.todo_views).

Every to-do is a queryset of the rows waiting, so the panel's count and the list behind its button
always agree. Group staff see their own groups (per group); a coordinator sees what waits in the
groups they watch (their provinces and assigned groups).

A delivery "needs who supplied it" while one of its lines that was not rejected in full has no
contributions yet: `contributions_record` writes a line's contributions all at once and checks
they sum to the delivered quantity, so "has none" is "not recorded".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, WorkflowState

from cms.models import ProducerGroupPage, ProductPage
from marketplace import access
from orders import selectors as order_selectors
from orders.models import Delivery, FulfilmentStatus, Invoice, Order, OrderStatus
from producers import selectors
from producers.models import Enrolment, GroupMembership, Household, ProducerGroup

from .ledger.models import HouseholdIncomeEntry, Payout
from .ledger.services import needs_suppliers_filter

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- The rows waiting -------------------------------------------------------------------------


def orders_to_confirm(group_ids) -> QuerySet[Order]:
    return (
        Order.objects.filter(group_id__in=group_ids, status=OrderStatus.PLACED)
        .select_related("company", "group")
        .order_by("placed_at", "pk")
    )


def orders_to_deliver(group_ids) -> QuerySet[Order]:
    """Confirmed orders with goods still to deliver."""
    return (
        Order.objects.filter(
            group_id__in=group_ids,
            status=OrderStatus.CONFIRMED,
            fulfilment_status__in=[FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTIAL],
        )
        .select_related("company", "group")
        .order_by("placed_at", "pk")
    )


def deliveries_without_suppliers(group_ids) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(order__group_id__in=group_ids)
        .exclude(order__status=OrderStatus.CANCELLED)
        .filter(needs_suppliers_filter())
        .select_related("order__company", "order__group")
        .order_by("delivered_on", "pk")
    )


def deliveries_awaiting_acceptance(group_ids) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(order__group_id__in=group_ids, status=Delivery.Status.AWAITING)
        .exclude(order__status=OrderStatus.CANCELLED)
        .select_related("order__company", "order__group")
        .order_by("delivered_on", "pk")
    )


def households_owed(group_ids) -> QuerySet[Enrolment]:
    """Enrolments whose household the group still owes money (earned − paid out > 0), annotated
    `earned`, `paid` and `balance`; largest balance first."""
    earned = (
        HouseholdIncomeEntry.objects.filter(household=OuterRef("household_id"), group=OuterRef("group_id"))
        .order_by()
        .values("household")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    paid = (
        Payout.objects.filter(household=OuterRef("household_id"), group=OuterRef("group_id"))
        .order_by()
        .values("household")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Enrolment.objects.filter(group_id__in=group_ids)
        .annotate(
            earned=Coalesce(Subquery(earned, output_field=MONEY), Value(ZERO), output_field=MONEY),
            paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY),
        )
        .annotate(balance=F("earned") - F("paid"))
        .filter(balance__gt=0)
        .select_related("household", "group")
        .order_by("-balance", "household__code")
    )


def products_low_on_stock(group_ids) -> QuerySet[ProductPage]:
    """Live products that cannot fill even their minimum order (0 is out of stock)."""
    return (
        ProductPage.objects.live()
        .filter(_under_groups(group_ids), available_quantity__lt=F("min_order_quantity"))
        .order_by("available_quantity", "title")
    )


def _under_groups(group_ids) -> Q:
    condition = Q(pk__in=[])
    for path in ProducerGroupPage.objects.filter(group_id__in=group_ids).values_list("path", flat=True):
        condition |= Q(path__startswith=path)
    return condition


def changes_awaiting_approval(group_ids) -> QuerySet[WorkflowState]:
    """The group's pages (its profile, its products) submitted and not yet approved."""
    pages = Page.objects.filter(_under_groups(group_ids))
    page_type = ContentType.objects.get_for_model(Page)
    return (
        WorkflowState.objects.active()
        .filter(base_content_type=page_type, object_id__in=[str(pk) for pk in pages.values_list("pk", flat=True)])
        .select_related("requested_by", "current_task_state__task")
        .order_by("created_at")
    )


# Coordinators.


def groups_to_verify(user) -> QuerySet[ProducerGroup]:
    return (
        selectors.groups_visible_to(user)
        .filter(verification_status=ProducerGroup.Verification.PENDING)
        .order_by("name_th")
    )


def overdue_invoices(user) -> QuerySet[Invoice]:
    return order_selectors.overdue_invoices_for_coordinator(user)


def watched_group_ids(user) -> list[int]:
    return list(selectors.groups_visible_to(user).values_list("pk", flat=True))


def households_without_consent(user) -> QuerySet[Household]:
    """Enrolled households of the coordinator's area with no consent recorded: their income
    cannot be credited until it is."""
    return (
        selectors.households_visible_to(user)
        .with_consent_status()
        .filter(consent_status__isnull=True, enrolments__active=True)
        .distinct()
        .order_by("code")
    )


# --- The panels -------------------------------------------------------------------------------


@dataclass
class Item:
    key: str
    label: str
    count: int
    url: str
    hint: str = ""

    @property
    def done(self) -> bool:
        return self.count == 0


@dataclass
class GroupTodo:
    group: ProducerGroup
    role: str
    items: list[Item]

    @property
    def role_label(self) -> str:
        return str(dict(GroupMembership.Role.choices).get(self.role, self.role))

    @property
    def waiting(self) -> int:
        return sum(item.count for item in self.items)


# Which lists each role of a group works through (a treasurer pays, a manager runs the orders).
MANAGER_KEYS = ("confirm", "deliver", "suppliers", "acceptance", "payouts", "stock", "approval")
TREASURER_KEYS = ("payouts", "acceptance", "suppliers")

LABELS = {
    "confirm": (_("Orders to confirm"), _("Confirm or decline: the buyer is waiting.")),
    "deliver": (_("Deliveries to record"), _("Confirmed orders with goods still to deliver.")),
    "suppliers": (_("Who supplied it?"), _("Deliveries that do not yet say which households supplied them.")),
    "acceptance": (_("Awaiting the buyer's acceptance"), _("Delivered; the buyer has not accepted yet.")),
    "payouts": (_("To pay out to households"), _("Households the group owes money for goods that were paid.")),
    "stock": (_("Out of or low on stock"), _("Products that cannot fill their minimum order.")),
    "approval": (_("Waiting for the coordinator's approval"), _("Changes to your pages submitted for approval.")),
    "verify_groups": (_("Groups to verify"), _("Producer groups awaiting verification.")),
    "overdue": (_("Overdue invoices"), _("Open invoices past their due date.")),
    "area_suppliers": (
        _("Contributions missing in your area"),
        _("Deliveries whose households are not recorded yet."),
    ),
    "no_consent": (_("Households without a consent record"), _("Their income cannot be credited until it is.")),
}


def rows_for(key: str, group_ids):
    return {
        "confirm": orders_to_confirm,
        "deliver": orders_to_deliver,
        "suppliers": deliveries_without_suppliers,
        "acceptance": deliveries_awaiting_acceptance,
        "payouts": households_owed,
        "stock": products_low_on_stock,
        "approval": changes_awaiting_approval,
        "area_suppliers": deliveries_without_suppliers,
    }[key](group_ids)


def list_url(key: str, group: ProducerGroup | None = None) -> str:
    if key == "verify_groups":
        return reverse("producer_groups:index") + "?" + urlencode({"verification_status": "pending"})
    if key == "overdue":
        return reverse("orders_admin:overdue_invoices")
    if key == "no_consent":
        return reverse("households:index") + "?" + urlencode({"consent": "none"})
    url = reverse("todo:list", args=[key])
    return f"{url}?{urlencode({'group': group.pk})}" if group is not None else url


def group_todos(user) -> list[GroupTodo]:
    """One panel per group the user works for (manager or treasurer)."""
    roles = access.memberships(user, "producer_group")
    todos = []
    for group in ProducerGroup.objects.filter(pk__in=roles).order_by("name_th"):
        role = roles[group.pk]
        keys = MANAGER_KEYS if role == GroupMembership.Role.MANAGER else TREASURER_KEYS
        items = []
        for key in keys:
            label, hint = LABELS[key]
            items.append(Item(key, str(label), rows_for(key, [group.pk]).count(), list_url(key, group), str(hint)))
        todos.append(GroupTodo(group=group, role=role, items=items))
    return todos


def coordinator_todo(user) -> list[Item]:
    if not access.is_coordinator(user):
        return []
    group_ids = watched_group_ids(user)
    counts = {
        "verify_groups": groups_to_verify(user).count(),
        "overdue": overdue_invoices(user).count(),
        "area_suppliers": deliveries_without_suppliers(group_ids).count(),
        "no_consent": households_without_consent(user).count(),
    }
    return [Item(key, str(LABELS[key][0]), count, list_url(key), str(LABELS[key][1])) for key, count in counts.items()]
