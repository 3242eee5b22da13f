"""Admin pages of the household income ledger: who supplied a delivery (per delivery, from the
order page), a household's payouts, and its printable statement.

Access: the contributions page is for the order's group staff and the coordinators who watch the
order and see its group (managers of the group edit; the others read; anyone else gets a 404); it
lists only the households the user may see. Household pages go through
`producers.selectors.household_for` (404 outside the user's scope, every view audited) and show
only the entries and payouts of groups the user may see.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from marketplace import audit
from orders import selectors as order_selectors
from orders.models import Delivery
from orders.permissions import incoming_order_policy
from producers import selectors
from producers.permissions import household_policy

from . import services as ledger
from . import statements
from .forms import ContributionGridForm, PayoutForm, StatementPeriodForm
from .models import Contribution, Payout

ZERO = Decimal("0")


def _require(policy, user, action):
    if not policy.user_has_permission(user, action):
        raise PermissionDenied


# --- Contributions --------------------------------------------------------------------------


def delivery_contributions(request, pk):
    _require(incoming_order_policy, request.user, "view")
    # Only deliveries of a group the user sees: watching the order is not enough (every
    # coordinator of an institution watches all its agreements' orders, in every province).
    delivery = get_object_or_404(
        Delivery.objects.select_related("order__group", "order__company").filter(
            order__group__in=selectors.groups_visible_to(request.user)
        ),
        pk=pk,
    )
    order = delivery.order
    # The group's own staff, and the coordinators who watch the order (its area, its agreement).
    if order.group_id not in selectors.managed_group_ids(request.user) and not order_selectors.can_cancel_as_group(
        request.user, order
    ):
        raise Http404
    can_edit = ledger.can_record_contributions(request.user, order)
    lines = list(delivery.lines.select_related("order_line").order_by("pk"))
    for line in lines:
        line.settled = ledger.line_is_settled(line)
    households = list(_contributing_households(request.user, order.group))
    # Names of the group's households are shown: personal data, so the view is audited.
    audit.record("contributions.viewed", delivery, details={"order": order.number, "households": len(households)})

    existing = {}
    for contribution in Contribution.objects.filter(delivery_line__in=lines):
        existing[ContributionGridForm.quantity_name(contribution.delivery_line, contribution.household)] = (
            contribution.quantity
        )
    # Step 2 of recording a delivery: lines nobody has answered yet come pre-filled (as last
    # time, else shared equally by the group's households) for the manager to check and save.
    proposed = {}
    if can_edit and households:
        answered = _answered_lines(lines)
        for line in lines:
            if line.settled or line.pk in answered or line.accepted_quantity == 0:
                continue
            kind, proposal = ledger.proposed_split(line, [household.pk for household in households])
            proposed[line.pk] = kind
            for household in households:
                if proposal.get(household.pk):
                    existing[ContributionGridForm.quantity_name(line, household)] = proposal[household.pk]
    form = ContributionGridForm(initial=existing, lines=lines, households=households)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ContributionGridForm(request.POST, lines=lines, households=households)
        action = request.POST.get("action", "save")
        if form.is_valid():
            if action == "save":
                rows = {line.pk: form.quantities(line) for line in lines if not line.settled and form.quantities(line)}
                if not rows:
                    form.add_error(None, _("Enter the quantity each household supplied."))
                else:
                    try:
                        ledger.contributions_record(delivery=delivery, rows=rows, actor=request.user)
                    except ValidationError as error:
                        for message in error.messages:
                            form.add_error(None, message)
                    else:
                        messages.success(
                            request, _("Who supplied delivery %(number)s is recorded.") % {"number": delivery.number}
                        )
                        return redirect("orders_admin:order_detail", pk=order.pk)
            elif action != "preview":
                form = _quick_fill(form, action, lines, households)
            proposed = {}
    _attach_shares(form, order.group.retention_rate)
    for line in lines:
        line.proposed = proposed.get(line.pk, "")
    waits_for = ledger.settlement_waits_for(delivery)
    answered = _answered_lines(lines)
    context = {
        "needs_suppliers": any(
            not line.settled and line.accepted_quantity != 0 and line.pk not in answered for line in lines
        ),
        "retention_rate": order.group.retention_rate,
        "delivery": delivery,
        "order": order,
        "form": form,
        "can_edit": can_edit,
        "waits_for": waits_for,
        "settled": ledger.delivery_is_settled(delivery),
        "has_households": bool(households),
    }
    return TemplateResponse(request, "income/ledger/contributions.html", context)


def _answered_lines(lines) -> set[int]:
    return set(Contribution.objects.filter(delivery_line__in=lines).values_list("delivery_line_id", flat=True))


def _attach_shares(form, rate) -> None:
    """Each household's baht (`form.shares[line id][household id]`) for the quantities in the
    form as it stands (typed, proposed or saved), before anything is saved."""
    form.shares = {}
    for line in form.lines:
        quantities = {}
        for household in form.households:
            bound = form[ContributionGridForm.quantity_name(line, household)]
            try:
                value = bound.field.clean(bound.value()) if form.is_bound else bound.value()
            except ValidationError:
                value = None
            if value:
                quantities[household.pk] = value
        form.shares[line.pk] = ledger.share_preview(line, rate, quantities)


def _contributing_households(user, group):
    """The group's households that may be credited, of those the user may see: a coordinator does
    not see the group's households who live outside their provinces. (A manager sees every
    household enrolled in their group, so the managers who record contributions see them all.)"""
    visible = selectors.households_visible_to(user).values("pk")
    return ledger.eligible_households(group).filter(pk__in=visible)


def _quick_fill(form, action: str, lines, households) -> ContributionGridForm:
    """Fill one line's boxes (equal split over the ticked households, or as last time) and show
    the form again for the manager to check and save; nothing is saved here."""
    kind, _sep, line_id = action.partition(":")
    line = next((line for line in lines if str(line.pk) == line_id and not line.settled), None)
    if line is None or kind not in ("equal", "last"):
        return form
    if kind == "equal":
        proposal = ledger.equal_split(line, form.picked(line))
        if not proposal:
            form.add_error(
                None,
                _("Tick the households to share “%(product)s” equally.") % {"product": line.order_line.product_name},
            )
            return form
    else:
        proposal = ledger.same_as_last_time(line)
        if not proposal:
            form.add_error(
                None,
                _("No earlier delivery of “%(product)s” by this group says who supplied it.")
                % {"product": line.order_line.product_name},
            )
            return form
    data = form.data.copy()
    for household in households:
        name = ContributionGridForm.quantity_name(line, household)
        data[name] = str(proposal.get(household.pk, "")) if household.pk in proposal else ""
    return ContributionGridForm(data, lines=lines, households=households)


# --- Household: payouts and statement -------------------------------------------------------


def _household_groups(user, household):
    """The groups of the household's entries and payouts the user may see."""
    return selectors.groups_visible_to(user).filter(enrolments__household=household).distinct().order_by("name_th")


def household_payouts(request, pk):
    _require(household_policy, request.user, "view")
    household = selectors.household_for(request.user, pk, purpose="payouts")  # audited
    groups = list(_household_groups(request.user, household))
    payable = _household_groups(request.user, household).filter(
        pk__in=[group.pk for group in groups if ledger.can_record_payouts(request.user, group)]
    )
    form = None
    if payable.exists() and not household.is_erased:
        initial = {}
        chosen = payable.filter(pk=request.GET.get("group")).first() if request.GET.get("group", "").isdigit() else None
        chosen = chosen or (payable.first() if payable.count() == 1 else None)
        if chosen is not None:  # the treasurer came to pay this group's balance: offer it all
            initial = {"group": chosen, "amount": max(ledger.household_balance(household, chosen), ZERO) or None}
        form = PayoutForm(request.POST or None, groups=payable, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payout = ledger.payout_record(
                    household=household,
                    group=data["group"],
                    amount=data["amount"],
                    method=data["method"],
                    reference=data["reference"],
                    paid_on=data["paid_on"],
                    actor=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The payout was recorded. Print the slip for the household to sign."))
                return redirect("ledger:payout_slip", pk=payout.pk)
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "household": household,
        "balances": [(group, ledger.household_balance(household, group)) for group in groups],
        "payouts": Payout.objects.filter(household=household, group__in=groups).select_related("group", "recorded_by"),
        "form": form,
    }
    return TemplateResponse(request, "income/ledger/payouts.html", context)


def payout_slip(request, pk):
    """A printable slip of one payout: what the household received, how, signed by the household
    and the treasurer (the group's record of cash handed over)."""
    _require(household_policy, request.user, "view")
    payout = get_object_or_404(
        Payout.objects.select_related("group", "recorded_by").filter(
            group__in=selectors.groups_visible_to(request.user)
        ),
        pk=pk,
    )
    household = selectors.household_for(request.user, payout.household_id, purpose="payout slip")  # audited
    context = {
        "payout": payout,
        "household": household,
        "group": payout.group,
        "balance_after": ledger.household_balance(household, payout.group),
    }
    return TemplateResponse(request, "income/ledger/payout_slip.html", context)


def household_statement(request, pk):
    """A printable statement of the household's income and payouts for a period (Thai, BE dates,
    amounts in words)."""
    _require(household_policy, request.user, "view")
    household = selectors.household_for(request.user, pk, purpose="statement")  # audited
    period_form = StatementPeriodForm(request.GET or None)
    date_from, date_to = period_form.period()
    groups = list(_household_groups(request.user, household))
    statement = statements.household_statement(household=household, groups=groups, date_from=date_from, date_to=date_to)
    context = {"household": household, "statement": statement, "period_form": period_form}
    return TemplateResponse(request, "income/ledger/statement.html", context)
