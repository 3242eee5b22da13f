"""Buyer portal: the company pages and invitations. Each view scopes through buyers.selectors and
calls one service; agreements and orders are in orders.views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import DeliveryAddressForm, InvitationForm, PoRuleForm
from .models import CompanyMembership, CompanyRole, DeliveryAddress


@login_required
def portal_home(request):
    companies = list(selectors.companies_for(request.user))
    if len(companies) == 1:
        return redirect("buyers:company", pk=companies[0].pk)
    return TemplateResponse(request, "buyers/portal_home.html", {"companies": companies})


@login_required
def company_detail(request, pk):
    company = selectors.company_for(request.user, pk)
    can_manage = selectors.can_manage_people(request.user, company.pk)
    form = InvitationForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            return redirect("buyers:company", pk=company.pk)
        if form.is_valid():
            try:
                services.invitation_create(
                    company=company,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                messages.success(
                    request, _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]}
                )
                return redirect("buyers:company", pk=company.pk)
    context = {
        "company": company,
        "role": CompanyRole(selectors.role_in(request.user, company.pk)).label,
        "members": company.memberships.select_related("user").order_by("role", "user__email"),
        "invitations": selectors.pending_invitations(company) if can_manage else [],
        "can_manage": can_manage,
        "form": form,
    }
    return TemplateResponse(request, "buyers/company_detail.html", context)


@login_required
@require_POST
def invitation_revoke(request, pk, invitation_pk):
    company = selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)
    invitation = get_object_or_404(company.invitations, pk=invitation_pk)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("buyers:company", pk=company.pk)


@login_required
@require_POST
def member_remove(request, pk, membership_pk):
    company = selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)
    membership = get_object_or_404(CompanyMembership.objects.select_related("user"), company=company, pk=membership_pk)
    try:
        services.membership_revoke(membership=membership)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(person)s was removed from the company.") % {"person": membership.user})
    return redirect("buyers:company", pk=company.pk)


def invitation(request, token):
    """The link from the invitation email. Anonymous visitors are asked to sign up or sign in
    (allauth) and come back here; a signed-in visitor accepts with one button."""
    try:
        found = services.invitation_find(token)
        services.check_invitation_usable(found)
    except services.InvitationError as error:
        return TemplateResponse(
            request,
            "buyers/invitation.html",
            {"error": error.messages[0]},
            status=410 if error.code != "unknown" else 404,
        )
    context = {"invitation": found, "company": found.company, "next": request.get_full_path()}
    if request.user.is_authenticated and request.user.email.lower() != found.email.lower():
        context["error"] = _("This invitation is for %(email)s, but you are signed in as %(current)s.") % {
            "email": found.email,
            "current": request.user.email,
        }
        return TemplateResponse(request, "buyers/invitation.html", context, status=403)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except services.InvitationError as error:
            context["error"] = error.messages[0]
            return TemplateResponse(request, "buyers/invitation.html", context, status=410)
        messages.success(
            request,
            _("Welcome to %(company)s. You are a %(role)s.")
            % {"company": membership.company, "role": membership.get_role_display()},
        )
        return redirect("buyers:company", pk=membership.company_id)
    return TemplateResponse(request, "buyers/invitation.html", context)


# --- Delivery addresses and the PO number rule (company admins) ------------------------------


def _managed_company(request, pk):
    return selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)


@login_required
def address_list(request, pk):
    """A company's delivery addresses (purchasers choose one at checkout and on a call-off) and
    whether every order needs a PO number. Admins only; other members get 404."""
    company = _managed_company(request, pk)
    form = DeliveryAddressForm(request.POST or None, instance=DeliveryAddress(company=company))
    rule = PoRuleForm(initial={"po_number_required": company.po_number_required})
    if request.method == "POST":
        if "po_rule" in request.POST:
            rule = PoRuleForm(request.POST)
            if rule.is_valid():
                services.po_number_rule_set(
                    company=company, required=rule.cleaned_data["po_number_required"], actor=request.user
                )
                messages.success(request, _("Saved."))
                return redirect("buyers:addresses", pk=company.pk)
            form = DeliveryAddressForm(instance=DeliveryAddress(company=company))
        elif form.is_valid():
            services.address_save(address=form.instance, actor=request.user)
            messages.success(request, _("The delivery address was added."))
            return redirect("buyers:addresses", pk=company.pk)
    context = {
        "company": company,
        "addresses": company.delivery_addresses.order_by("-is_default", "label", "pk"),
        "form": form,
        "rule": rule,
    }
    return TemplateResponse(request, "buyers/addresses.html", context)


def _address(request, pk, address_pk) -> DeliveryAddress:
    company = _managed_company(request, pk)
    return get_object_or_404(DeliveryAddress, company=company, pk=address_pk)


@login_required
def address_edit(request, pk, address_pk):
    address = _address(request, pk, address_pk)
    form = DeliveryAddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.address_save(address=form.instance, actor=request.user)
        messages.success(request, _("The delivery address was saved."))
        return redirect("buyers:addresses", pk=address.company_id)
    return TemplateResponse(request, "buyers/address_edit.html", {"company": address.company, "form": form})


@login_required
@require_POST
def address_default(request, pk, address_pk):
    address = _address(request, pk, address_pk)
    services.address_make_default(address=address, actor=request.user)
    messages.success(request, _("“%(label)s” is now the default delivery address.") % {"label": address.label})
    return redirect("buyers:addresses", pk=address.company_id)


@login_required
@require_POST
def address_delete(request, pk, address_pk):
    address = _address(request, pk, address_pk)
    services.address_delete(address=address, actor=request.user)
    messages.success(request, _("The delivery address was removed; orders keep their copy of it."))
    return redirect("buyers:addresses", pk=pk)
