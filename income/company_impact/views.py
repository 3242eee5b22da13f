"""The company impact statement in the buyer portal: aggregates only (income.company_impact.statement), for members of
the company in any role; anyone else gets a 404 (never confirming that the company exists)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from buyers import selectors

from . import statement as impact


class StatementForm(forms.Form):
    date_from = forms.DateField(label=_("Paid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Paid until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    agreement = forms.ChoiceField(label=_("Purchases"), required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreements = {str(agreement.pk): agreement for agreement in impact.statement_agreements(company)}
        self.fields["agreement"].choices = [
            ("", _("All agreements and marketplace purchases")),
            (impact.MARKETPLACE, _("Marketplace purchases only")),
            *((pk, f"{agreement.code} · {agreement.title}") for pk, agreement in self.agreements.items()),
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data

    def filters(self) -> impact.StatementFilters:
        """Call after is_valid()."""
        data = self.cleaned_data
        choice = data.get("agreement") or ""
        return impact.StatementFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            agreement=self.agreements.get(choice),
            marketplace_only=choice == impact.MARKETPLACE,
        )


@login_required
def impact_home(request):
    """The nav's "Impact" link: straight to the statement of the user's only company, else a choice."""
    companies = list(selectors.companies_for(request.user).order_by("name_th"))
    if not companies:
        raise Http404
    if len(companies) == 1:
        return redirect("company_impact:impact", pk=companies[0].pk)
    return TemplateResponse(request, "income/company_impact/impact_choose.html", {"companies": companies})


@login_required
def impact_statement(request, pk):
    company = selectors.company_for(request.user, pk)
    form = StatementForm(request.GET or None, company=company)
    if form.is_bound and not form.is_valid():
        result = None
    else:
        result = impact.statement(company, form.filters() if form.is_bound else impact.StatementFilters())
    context = {
        "company": company,
        "form": form,
        "statement": result,
        "min_households": impact.MIN_HOUSEHOLDS,
    }
    return TemplateResponse(request, "income/company_impact/impact.html", context)
