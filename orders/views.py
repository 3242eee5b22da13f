"""Buyer portal pages for agreements and orders. Each view scopes through orders.selectors (a
record of another company is a 404), checks the role, and calls one service."""

import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from buyers import selectors as buyer_selectors
from buyers.procurement import ProcurementForm

from . import buyer_todo, fulfilment, selectors, services
from .forms import AcceptanceForm, CallOffForm, CancelForm
from .models import AgreementState, Delivery, OrderStatus, PaymentStatus

THOUSANDTH = Decimal("0.001")


# --- The portal's home: what needs doing (orders.buyer_todo) -------------------------------------


@login_required
def portal_home(request):
    companies = list(buyer_selectors.companies_for(request.user).order_by("name_th"))
    if not companies:
        raise Http404  # signed in, but a member of no company: nothing of theirs here
    context = {
        "items": buyer_todo.portal_todo(request.user),
        "deliveries": list(buyer_todo.deliveries_to_accept(request.user)[:5]),
        "overdue": list(buyer_todo.invoices(request.user, "overdue")[:5]),
        "agreements": buyer_todo.agreements_to_watch(request.user),
        "companies": companies,
    }
    return TemplateResponse(request, "orders/portal/home.html", context)


@login_required
def deliveries_to_accept(request):
    deliveries = list(buyer_todo.deliveries_to_accept(request.user)[:200])
    return TemplateResponse(request, "orders/portal/deliveries_to_accept.html", {"deliveries": deliveries})


INVOICE_STATES = {
    "open": _lazy("to pay"),
    "overdue": _lazy("overdue"),
    "paid": _lazy("paid"),
    "all": _lazy("all"),
}


@login_required
def invoice_list(request):
    """The companies' invoices with their total: to pay (default), overdue, paid or all; each with
    its printable invoice and, while open, Stripe's payment page."""
    state = request.GET.get("state", "open")
    if state not in INVOICE_STATES:
        state = "open"
    rows = buyer_todo.invoices(request.user, state)
    context = {
        "invoices": list(rows[:500]),
        "count": rows.count(),
        "total": buyer_todo.total(rows),
        "state": state,
        "states": INVOICE_STATES.items(),
        "today": timezone.localdate(),
    }
    return TemplateResponse(request, "orders/portal/invoice_list.html", context)


@login_required
def agreement_list(request):
    agreements = list(selectors.agreements_for_buyer(request.user))
    return TemplateResponse(request, "orders/portal/agreement_list.html", {"agreements": agreements})


@login_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_for_buyer(request.user, pk)
    state = agreement.state()
    context = {
        "agreement": agreement,
        "state": state,
        "state_label": AgreementState(state).label,
        "performance": selectors.agreement_performance(agreement),
        "call_offs": selectors.call_offs(agreement),
        "can_call_off": state == AgreementState.ACTIVE
        and buyer_selectors.can_place_orders(request.user, agreement.company_id),
    }
    return TemplateResponse(request, "orders/portal/agreement_detail.html", context)


def _cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _quantity(value: Decimal) -> str:
    return str(value.quantize(THOUSANDTH))


def _csv_download(name: str) -> tuple[HttpResponse, object]:
    """A CSV attachment NAME-YYYYMMDD.csv, never cached, with a BOM so Excel reads Thai as UTF-8."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    return response, csv.writer(response)


def performance_csv(agreement) -> HttpResponse:
    response, writer = _csv_download(f"{agreement.code}-performance")
    writer.writerow(
        [
            "product",
            "unit",
            "unit_price",
            "committed",
            "ordered",
            "delivered",
            "accepted",
            "invoiced",
            "paid",
            "remaining",
            "percent_fulfilled",
        ]
    )
    for row in selectors.agreement_performance(agreement):
        writer.writerow(
            [
                _cell(row.line.product.title),
                row.line.unit,
                row.line.unit_price,
                *(
                    _quantity(value)
                    for value in (
                        row.committed,
                        row.ordered,
                        row.delivered,
                        row.accepted,
                        row.invoiced,
                        row.paid,
                        row.remaining,
                    )
                ),
                row.percent_fulfilled,
            ]
        )
    return response


@login_required
def agreement_performance_csv(request, pk):
    agreement = selectors.agreement_for_buyer(request.user, pk)
    return performance_csv(agreement)


@login_required
def call_off(request, pk):
    agreement = selectors.agreement_for_buyer(request.user, pk)
    if not buyer_selectors.can_place_orders(request.user, agreement.company_id):
        raise Http404  # viewers read agreements; only admins and purchasers order
    lines = list(agreement.lines.with_quantities().select_related("product").order_by("sort_order", "pk"))
    form = CallOffForm(request.POST or None, lines=lines)
    procurement = ProcurementForm(request.POST or None, companies=[agreement.company], latest=agreement.valid_to)
    fill = request.POST.get("fill") if request.method == "POST" else None
    if fill:  # "fill what remains" for one line, without JavaScript: shown again, nothing ordered
        form = form.filled(fill)
        procurement = ProcurementForm(
            initial=ProcurementForm.typed(request.POST), companies=[agreement.company], latest=agreement.valid_to
        )
    elif request.method == "POST" and all([form.is_valid(), procurement.is_valid()]):
        try:
            orders = services.call_off_place(
                agreement=agreement,
                quantities=form.quantities(),
                placed_by=request.user,
                note=form.cleaned_data["note"],
                procurement=procurement.procurement,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Call-off placed: %(numbers)s. The producer groups have been told.")
                % {"numbers": ", ".join(order.number for order in orders)},
            )
            return redirect("buyers:agreement_detail", pk=agreement.pk)
    state = agreement.state()
    context = {
        "agreement": agreement,
        "form": form,
        "procurement": procurement,
        "is_active": state == AgreementState.ACTIVE,
    }
    return TemplateResponse(request, "orders/portal/call_off.html", context)


def _buyer_orders(request):
    """The user's companies' orders, newest first, filtered by ?status= when it names one."""
    orders = (
        selectors.orders_for_buyer(request.user)
        .select_related("company", "group", "agreement", "checkout")
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")
    )
    status = request.GET.get("status")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders, status


@login_required
def order_list_csv(request):
    """Every order the list shows (not only the first 200), one row per order line, with the
    procurement details the buyer's own systems match on (PO number, delivery address, date)."""
    orders, _status = _buyer_orders(request)
    response, writer = _csv_download("orders")
    writer.writerow(
        [
            "order",
            "placed_at",
            "company",
            "producer_group",
            "agreement",
            "status",
            "payment_status",
            "po_number",
            "delivery_address",
            "required_by",
            "product",
            "unit",
            "quantity",
            "unit_price",
            "line_total",
        ]
    )
    for order in orders.iterator(chunk_size=500):
        for line in order.lines.all():
            writer.writerow(
                [
                    _cell(value)
                    for value in (
                        order.number,
                        timezone.localtime(order.placed_at).isoformat(timespec="minutes"),
                        order.company.name_th,
                        order.group.name_th,
                        order.agreement.code if order.agreement_id else "",
                        order.status,
                        order.payment_status,
                        order.po_number,
                        order.delivery_address,
                        order.required_by.isoformat() if order.required_by else "",
                        line.product_name,
                        line.unit,
                        _quantity(line.quantity),
                        line.unit_price,
                        line.line_total,
                    )
                ]
            )
    return response


@login_required
def order_list(request):
    orders, status = _buyer_orders(request)
    orders = list(orders[:200])
    awaiting = set(
        Delivery.objects.filter(order__in=orders, status=Delivery.Status.AWAITING).values_list("order_id", flat=True)
    )
    # Who may order (and so cancel) in which company: one query for the page, not one per order.
    ordering_companies = set(
        buyer_selectors.companies_for(request.user, roles=buyer_selectors.PLACE_ORDERS).values_list("pk", flat=True)
    )
    for order in orders:
        # What the buyer must do: pay a checkout left open, or accept a delivery.
        order.pay_url = ""
        if order.status == OrderStatus.PENDING_PAYMENT and order.checkout_id:
            order.pay_url = reverse("cart:checkout_detail", args=[order.checkout.reference])
        order.to_accept = order.pk in awaiting
        order.action_needed = bool(order.pay_url or order.to_accept)
        order.can_cancel = fulfilment.can_buyer_cancel(order) and order.company_id in ordering_companies
    context = {
        "orders": orders,
        "statuses": OrderStatus.choices,
        "status": status,
        "total": sum((order.total for order in orders), Decimal("0")),
    }
    return TemplateResponse(request, "orders/portal/order_list.html", context)


@login_required
def order_detail(request, pk, acceptance_forms=None):
    order = selectors.order_for_buyer(request.user, pk)
    can_order = buyer_selectors.can_place_orders(request.user, order.company_id)
    deliveries = list(selectors.deliveries_of(order))
    acceptance_forms = acceptance_forms or {}
    if can_order:
        for delivery in deliveries:
            if delivery.status == Delivery.Status.AWAITING and delivery.pk not in acceptance_forms:
                acceptance_forms[delivery.pk] = AcceptanceForm(delivery=delivery)
    for delivery in deliveries:
        delivery.acceptance_form = acceptance_forms.get(delivery.pk)
    context = {
        "order": order,
        "lines": selectors.order_lines_with_progress(order),
        "events": order.events.select_related("actor"),
        "deliveries": deliveries,
        "invoices": selectors.invoices_of(order),
        "refunds": order.refunds.all(),
        "has_receipt": order.is_marketplace and order.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED),
        "can_cancel": fulfilment.can_buyer_cancel(order) and can_order,
        "cancel_form": CancelForm(),
    }
    return TemplateResponse(request, "orders/portal/order_detail.html", context)


@login_required
@require_POST
def order_cancel(request, pk):
    order = selectors.order_for_buyer(request.user, pk)
    if not buyer_selectors.can_place_orders(request.user, order.company_id):
        raise Http404
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        order = fulfilment.order_cancel_by_buyer(order=order, actor=request.user, note=note)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if order.refunds.exists():
            messages.success(
                request,
                _("Order %(number)s was cancelled; the payment will be refunded.") % {"number": order.number},
            )
        else:
            messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
    return redirect("buyers:order_detail", pk=order.pk)


@login_required
@require_POST
def delivery_accept(request, pk):
    """The company answers a delivery: accepted and rejected quantities per line."""
    delivery = selectors.delivery_for_buyer(request.user, pk)
    order = delivery.order
    if not buyer_selectors.can_place_orders(request.user, order.company_id):
        raise Http404  # viewers read; admins and purchasers accept
    form = AcceptanceForm(request.POST, delivery=delivery)
    if form.is_valid():
        try:
            fulfilment.delivery_accept(delivery=delivery, decisions=form.decisions(), actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Delivery %(number)s is answered.") % {"number": delivery.number})
            return redirect("buyers:order_detail", pk=order.pk)
    response = order_detail(request, order.pk, acceptance_forms={delivery.pk: form})
    response.status_code = 400
    return response
