"""Admin pages beyond the model forms: an agreement's overview (state, what blocks activation,
performance, call-offs, amendments) with activate / terminate / amend, the signed document, the
CSV export, inviting a company's admin, and a group's view of one order with confirm / decline,
deliveries, cancellation and its invoices; coordinators' list of overdue invoices.
Each view checks the permission policy, looks the record up inside the user's scope (404 outside
it) and calls one service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buyers import services as buyer_services
from buyers.forms import InvitationForm
from buyers.models import CompanyRole
from marketplace import access, audit

from . import fulfilment, hooks, selectors, services
from .forms import AmendmentForm, ConfirmForm, DeclineForm, DeliveryForm, GroupCancelForm, TerminateForm
from .models import AgreementAmendment, AgreementState, Invoice, OrderStatus
from .permissions import agreement_policy, company_policy, incoming_order_policy
from .views import performance_csv


def _require(policy, user, action):
    if not policy.user_has_permission(user, action):
        raise PermissionDenied


def _agreement(request, pk, action="view"):
    _require(agreement_policy, request.user, action)
    return get_object_or_404(agreement_policy.instances_user_has_permission_for(request.user, action), pk=pk)


def _show_errors(request, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)


def agreement_overview(request, pk, amendment_form=None, terminate_form=None):
    agreement = _agreement(request, pk)
    state = agreement.state()
    context = {
        "agreement": agreement,
        "state": state,
        "state_label": AgreementState(state).label,
        "problems": services.check_activation(agreement) if state == AgreementState.DRAFT else [],
        "performance": selectors.agreement_performance(agreement),
        "call_offs": selectors.call_offs(agreement),
        "amendments": AgreementAmendment.objects.filter(line__agreement=agreement).select_related(
            "line__product", "amended_by"
        ),
        "can_change": agreement_policy.user_has_permission(request.user, "change"),
        "amendment_form": amendment_form or AmendmentForm(agreement=agreement),
        "terminate_form": terminate_form or TerminateForm(),
        "is_draft": state == AgreementState.DRAFT,
        "is_terminated": state == AgreementState.TERMINATED,
    }
    return TemplateResponse(request, "orders/admin/agreement_overview.html", context)


@require_POST
def agreement_activate(request, pk):
    agreement = _agreement(request, pk, "activate")
    try:
        services.agreement_activate(agreement=agreement, actor=request.user)
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, _("Agreement %(code)s is now active.") % {"code": agreement.code})
    return redirect("orders_admin:agreement_overview", pk=agreement.pk)


@require_POST
def agreement_terminate(request, pk):
    agreement = _agreement(request, pk, "terminate")
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_terminate(agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("Agreement %(code)s was terminated.") % {"code": agreement.code})
            return redirect("orders_admin:agreement_overview", pk=agreement.pk)
    return agreement_overview(request, pk, terminate_form=form)


@require_POST
def agreement_amend(request, pk):
    agreement = _agreement(request, pk, "amend")
    form = AmendmentForm(request.POST, agreement=agreement)
    if form.is_valid():
        try:
            services.line_amend(
                line=form.cleaned_data["line"],
                field=form.cleaned_data["field"],
                new_value=form.cleaned_data["new_value"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The amendment was recorded."))
            return redirect("orders_admin:agreement_overview", pk=agreement.pk)
    return agreement_overview(request, pk, amendment_form=form)


def agreement_csv(request, pk):
    return performance_csv(_agreement(request, pk))


def agreement_document(request, pk):
    agreement = _agreement(request, pk)
    if not agreement.signed_document:
        raise Http404
    audit.record("agreement.document_viewed", agreement)
    response = FileResponse(agreement.signed_document.open("rb"), as_attachment=True, filename=f"{agreement.code}.pdf")
    response["Cache-Control"] = "no-store"
    return response


def company_invite(request, pk):
    _require(company_policy, request.user, "invite")
    company = get_object_or_404(company_policy.instances_user_has_permission_for(request.user, "invite"), pk=pk)
    form = InvitationForm(request.POST or None, initial={"role": CompanyRole.ADMIN})
    if request.method == "POST" and form.is_valid():
        try:
            buyer_services.invitation_create(
                company=company,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("companies:index")
    return TemplateResponse(request, "orders/admin/company_invite.html", {"company": company, "form": form})


# --- Incoming orders ------------------------------------------------------------------------


def _order(request, pk):
    _require(incoming_order_policy, request.user, "view")
    return get_object_or_404(
        incoming_order_policy.instances_user_has_permission_for(request.user, "view").select_related(
            "company", "group", "agreement", "placed_by"
        ),
        pk=pk,
    )


def order_detail(request, pk, decline_form=None, delivery_form=None, cancel_form=None):
    order = _order(request, pk)
    is_manager = selectors.can_answer_order(request.user, order)
    lines = list(selectors.order_lines_with_progress(order))
    can_deliver = is_manager and order.status == OrderStatus.CONFIRMED and any(line.open_quantity > 0 for line in lines)
    can_see_suppliers = selectors.can_see_suppliers(request.user, order)
    deliveries = list(selectors.deliveries_of(order))
    if can_see_suppliers:
        without = set().union(*hooks.fire(hooks.DELIVERIES_WITHOUT_SUPPLIERS, deliveries=deliveries))
        for delivery in deliveries:  # where the group says who supplied it (a page of a higher app)
            delivery.suppliers_url = next(filter(None, hooks.fire(hooks.DELIVERY_SUPPLIERS_URL, delivery=delivery)), "")
            delivery.needs_suppliers = delivery.pk in without
    context = {
        "order": order,
        "lines": lines,
        "events": order.events.select_related("actor"),
        "can_answer": order.status == OrderStatus.PLACED and is_manager,
        "confirm_form": ConfirmForm(),
        "decline_form": decline_form or DeclineForm(),
        "can_deliver": can_deliver,
        "can_see_suppliers": can_see_suppliers,
        "delivery_form": delivery_form or (DeliveryForm(lines=lines) if can_deliver else None),
        "deliveries": deliveries,
        "invoices": selectors.invoices_of(order),
        "refunds": order.refunds.all(),
        "can_cancel": fulfilment.can_group_cancel(order) and selectors.can_cancel_as_group(request.user, order),
        "cancel_form": cancel_form or GroupCancelForm(),
        "can_retry_invoices": selectors.can_cancel_as_group(request.user, order) and not is_manager,
    }
    return TemplateResponse(request, "orders/admin/order_detail.html", context)


def _answerable(request, pk):
    order = _order(request, pk)
    if not selectors.can_answer_order(request.user, order):
        raise PermissionDenied
    return order


@require_POST
def order_confirm(request, pk):
    order = _answerable(request, pk)
    form = ConfirmForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.order_confirm(order=order, actor=request.user, note=note)
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(
            request, _("Order %(number)s is confirmed; the buyer has been told.") % {"number": order.number}
        )
    return redirect("orders_admin:order_detail", pk=order.pk)


@require_POST
def order_decline(request, pk):
    order = _answerable(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return order_detail(request, pk, decline_form=form)
    try:
        services.order_decline(order=order, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(
            request, _("Order %(number)s was declined; the buyer has been told.") % {"number": order.number}
        )
    return redirect("orders_admin:order_detail", pk=order.pk)


@require_POST
def order_deliver(request, pk):
    order = _answerable(request, pk)  # only the group's own managers deliver
    lines = list(selectors.order_lines_with_progress(order))
    form = DeliveryForm(request.POST, request.FILES, lines=lines)
    if not form.is_valid():
        return order_detail(request, pk, delivery_form=form)
    try:
        delivery = fulfilment.delivery_record(
            order=order,
            quantities=form.quantities(),
            delivered_on=form.cleaned_data["delivered_on"],
            note_number=form.cleaned_data["note_number"],
            note=form.cleaned_data["note"],
            photo=form.cleaned_data.get("photo"),
            actor=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return order_detail(request, pk, delivery_form=form)
    # Step 2 of the same flow: who supplied it, the page the households' income depends on.
    suppliers_url = next(filter(None, hooks.fire(hooks.DELIVERY_SUPPLIERS_URL, delivery=delivery)), "")
    messages.success(
        request,
        _("Delivery %(number)s is recorded; the buyer has been asked to accept it.") % {"number": delivery.number},
    )
    return redirect(suppliers_url or reverse("orders_admin:order_detail", args=[order.pk]))


@require_POST
def order_cancel(request, pk):
    order = _order(request, pk)
    if not selectors.can_cancel_as_group(request.user, order):
        raise PermissionDenied
    form = GroupCancelForm(request.POST)
    if not form.is_valid():
        return order_detail(request, pk, cancel_form=form)
    try:
        fulfilment.order_cancel_by_group(order=order, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(
            request, _("Order %(number)s was cancelled; the buyer has been told.") % {"number": order.number}
        )
    return redirect("orders_admin:order_detail", pk=order.pk)


@require_POST
def invoice_retry(request, pk):
    """A coordinator sends again an invoice whose Stripe call failed (it stayed a draft)."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    invoice = get_object_or_404(
        Invoice.objects.filter(order__in=incoming_order_policy.instances_user_has_permission_for(request.user, "view")),
        pk=pk,
    )
    invoice = fulfilment.invoice_issue(invoice)
    if invoice.stripe_invoice_id:
        messages.success(request, _("Invoice %(number)s was sent.") % {"number": invoice.number})
    else:
        messages.error(request, _("Stripe could not be reached; the invoice is still a draft. Try again later."))
    return redirect("orders_admin:order_detail", pk=invoice.order_id)


def overdue_invoices(request):
    """Open invoices past due of the agreements and areas the coordinator watches."""
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    invoices = list(selectors.overdue_invoices_for_coordinator(request.user, today)[:500])
    for invoice in invoices:
        invoice.days_overdue = (today - invoice.due_date).days
    return TemplateResponse(request, "orders/admin/overdue_invoices.html", {"invoices": invoices, "today": today})
