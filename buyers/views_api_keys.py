"""API keys in the buyer portal: company admins make, name, re-issue and revoke their company's keys
for the buyer API (api/). A new key is shown once, on the page that made it; only its hash is kept.
Keys that no longer work are listed as inactive, with the reason. Members in other roles, and
everyone else, get a 404 for a company's keys page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from . import api_keys, selectors
from .models import ApiKeyScope


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Where the key is used, e.g. “SAP purchasing”."),
    )
    scopes = forms.MultipleChoiceField(
        label=pgettext_lazy("api key permissions", "May"),
        choices=[
            (ApiKeyScope.READ, gettext_lazy("read the catalogue, agreements, orders and impact")),
            (ApiKeyScope.ORDER, gettext_lazy("place call-offs, cancel orders and accept deliveries")),
        ],
        initial=[ApiKeyScope.READ],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Last day it works"),
        required=False,
        help_text=gettext_lazy("Optional: the key stops working at the end of this day. Empty: it does not expire."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day


@login_required
def api_keys_home(request):
    """The nav's "API keys" link: the keys of the user's only company they administer, else a choice."""
    companies = list(selectors.companies_for(request.user, roles=selectors.MANAGE_PEOPLE).order_by("name_th"))
    if not companies:
        raise PermissionDenied
    if len(companies) == 1:
        return redirect("buyers:api_keys", pk=companies[0].pk)
    return TemplateResponse(request, "buyers/api_keys_choose.html", {"companies": companies})


def _keys_page(request, company, form, new_key=None):
    context = {
        "company": company,
        "keys": company.api_keys.with_creator_role().select_related("company", "created_by", "replaced_by"),
        "form": form,
        "new_key": new_key,
    }
    response = TemplateResponse(request, "buyers/api_keys.html", context)
    # The page may hold a key in clear: no cache may keep it.
    add_never_cache_headers(response)
    return response


@login_required
def api_key_list(request, pk):
    company = selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            row, new_key = api_keys.create_key(
                company=company,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
                expires_at=api_keys.end_of_day(expires_on) if expires_on else None,
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            message = _("The key “%(name)s” was made. Copy it now: it is not shown again.") % {"name": row.name}
            messages.success(request, message)
            form = ApiKeyForm()
    return _keys_page(request, company, form, new_key)


@login_required
@require_POST
def api_key_reissue(request, pk, key_pk):
    """A new secret for the key (same name and scopes, made in this admin's name); the old one is
    revoked. The new key is shown once, on the page this answers."""
    company = selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)
    key = get_object_or_404(company.api_keys, pk=key_pk)
    try:
        row, new_key = api_keys.reissue_key(key, actor=request.user)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("buyers:api_keys", pk=company.pk)
    message = _(
        "The key “%(name)s” was re-issued and the old one revoked. Copy the new key now: it is not shown again."
    )
    messages.success(request, message % {"name": row.name})
    return _keys_page(request, company, ApiKeyForm(), new_key)


@login_required
@require_POST
def api_key_revoke(request, pk, key_pk):
    company = selectors.company_for(request.user, pk, roles=selectors.MANAGE_PEOPLE)
    key = get_object_or_404(company.api_keys, pk=key_pk)
    if api_keys.revoke_key(key, actor=request.user):
        messages.success(request, _("The key “%(name)s” was revoked.") % {"name": key.name})
    return redirect("buyers:api_keys", pk=company.pk)
