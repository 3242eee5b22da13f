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
from .forms import InvitationForm
from .models import CompanyMembership, CompanyRole


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
