"""The coordinators' impact dashboard in the Wagtail admin, its drill-down to households and its
downloads. Only coordinators reach it, and only with the households of their areas
(income.impact scopes every query through producers.selectors); group managers get no
dashboard: the programme-wide figures are the coordinators' job, and a manager already sees their
own households one by one. Drill-downs and downloads are audited with their filters and size."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.utils import flatatt
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.thaidate import format_month
from producers.forms import IdChoiceField
from producers.models import Household, PovertyStatus
from producers.views import filter_error_response
from referrals.analysis import verification_coverage

from . import charts, exports
from . import figures as impact

PAGE_SIZE = 50
FIGURE_LABELS = {
    "enrolled": gettext_lazy("Households enrolled"),
    "earning": gettext_lazy("Households earning through the marketplace"),
    "crossed": gettext_lazy("Households that crossed the poverty line"),
    "very_poor": gettext_lazy("Households still very poor"),
}


class PlainSelect(forms.Select):
    """A <select> written out in Python instead of through one template per option: a
    province-wide coordinator's group filter has a thousand options, and the whole form cost
    ~55 ms of every dashboard page through the templates, ~25 ms this way (most of it now
    loading the groups). No option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((str(key), " selected" if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class ImpactFilterForm(forms.Form):
    # <input type=date> takes only YYYY-MM-DD: the Thai d/m/Y value would be dropped by the browser.
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    province = forms.ChoiceField(label=gettext_lazy("province"), required=False, widget=PlainSelect)
    district = forms.ChoiceField(label=gettext_lazy("district"), required=False, widget=PlainSelect)
    group = IdChoiceField(label=gettext_lazy("producer group"), queryset=None, required=False, widget=PlainSelect)
    agreement = IdChoiceField(label=gettext_lazy("agreement"), queryset=None, required=False, widget=PlainSelect)
    company = IdChoiceField(label=gettext_lazy("company"), queryset=None, required=False, widget=PlainSelect)
    category = IdChoiceField(label=gettext_lazy("category"), queryset=None, required=False, widget=PlainSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = impact.filter_choices(user)
        everything = [("", _("all"))]
        self.fields["province"].choices = everything + choices["provinces"]
        self.fields["district"].choices = everything + choices["districts"]
        self.fields["group"].queryset = choices["groups"]
        self.fields["agreement"].queryset = choices["agreements"]
        self.fields["company"].queryset = choices["companies"]
        self.fields["category"].queryset = choices["categories"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The end of the period cannot be before its start."))
        return data

    def filters(self) -> impact.ImpactFilters:
        data = self.cleaned_data
        return impact.ImpactFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            province=data.get("province") or "",
            district=data.get("district") or "",
            group=data.get("group"),
            agreement=data.get("agreement"),
            company=data.get("company"),
            category=data.get("category"),
        )


def _require_coordinator(request):
    if not impact.can_view_dashboard(request.user):
        raise PermissionDenied


def _filters(request) -> tuple[impact.ImpactFilters | None, HttpResponse | None]:
    """Downloads and drill-downs take the dashboard's filters: (filters, None), or (None, a 400
    that says which filter is malformed). A value outside the user's scope (a group of another
    province) is not an error to explain but a page that does not exist: Http404."""
    form = ImpactFilterForm(request.GET, user=request.user)
    error = filter_error_response(form)
    return (None, error) if error else (form.filters(), None)


def _status_labels() -> dict[str, str]:
    return {status.value: str(status.label) for status in PovertyStatus}


def dashboard(request):
    _require_coordinator(request)
    form = ImpactFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound and form.is_valid() else impact.ImpactFilters()
    summary = None if form.is_bound and not form.is_valid() else impact.impact_summary(request.user, filters)
    context = {"form": form, "summary": summary, "query": request.GET.urlencode()}
    if summary is not None:
        labels = _status_labels()
        context.update(
            monthly_chart=charts.bar_chart(
                [(format_month(month, get_language()), total) for month, total in summary.money.monthly],
                title=_("Income to households by month"),
            ),
            group_chart=charts.bar_chart(
                [(str(group), total) for group, total in summary.money.by_group],
                title=_("Income to households by producer group"),
            ),
            status_chart=charts.stacked_status_bars(
                [
                    (_("baseline"), summary.households.baseline_counts),
                    (_("now"), summary.households.current_counts),
                ],
                labels=labels,
                title=_("Poverty status of enrolled households, at baseline and now"),
            ),
            status_labels=labels,
            # The register's quality next to what it earned: verified in the field (target 100%).
            verification=verification_coverage(request.user, province=filters.province, district=filters.district),
        )
    return TemplateResponse(request, "income/impact/dashboard.html", context)


def _figure(request, figure: str) -> str:
    if figure not in impact.FIGURES:
        raise Http404
    return figure


def drilldown(request, figure):
    """The households behind one figure, a page at a time; audited (who looked at which
    households' data, under which filters)."""
    _require_coordinator(request)
    figure = _figure(request, figure)
    filters, error = _filters(request)
    if error:
        return error
    count = impact.drilldown_count(request.user, filters, figure)
    paginator = Paginator(range(count), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = impact.drilldown(
        request.user, filters, figure, limit=PAGE_SIZE, offset=page.start_index() - 1 if count else 0
    )
    audit.record(
        "impact.drilldown",
        object_type=Household._meta.label_lower,
        details={"figure": figure, "filters": filters.as_details(), "count": count, "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "figure": figure,
        "figure_label": FIGURE_LABELS[figure],
        "rows": rows,
        "count": count,
        "page": page,
        "query": query.urlencode(),
    }
    response = TemplateResponse(request, "income/impact/drilldown.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _download(content, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def export_figures(request, fmt):
    _require_coordinator(request)
    filters, error = _filters(request)
    if error:
        return error
    summary = impact.impact_summary(request.user, filters)
    audit.record(
        "impact.exported",
        object_type=Household._meta.label_lower,
        details={
            "what": "figures",
            "format": fmt,
            "filters": filters.as_details(),
            "count": summary.households.enrolled,
        },
    )
    stamp = f"{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        return _download(exports.figures_xlsx(summary), filename=f"impact-{stamp}.xlsx", content_type=XLSX)
    return _download(exports.figures_csv(summary), filename=f"impact-{stamp}.csv", content_type=CSV)


def export_households(request, figure, fmt):
    _require_coordinator(request)
    figure = _figure(request, figure)
    filters, error = _filters(request)
    if error:
        return error
    rows = impact.drilldown(request.user, filters, figure)
    audit.record(
        "impact.exported",
        object_type=Household._meta.label_lower,
        details={"what": f"households:{figure}", "format": fmt, "filters": filters.as_details(), "count": len(rows)},
    )
    stamp = f"{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        return _download(exports.households_xlsx(rows), filename=f"impact-{figure}-{stamp}.xlsx", content_type=XLSX)
    return _download(exports.households_csv(rows), filename=f"impact-{figure}-{stamp}.csv", content_type=CSV)


def export_iris(request):
    _require_coordinator(request)
    filters, error = _filters(request)
    if error:
        return error
    summary = impact.impact_summary(request.user, filters)
    scope = "; ".join(
        f"{key}={value}" for key, value in filters.as_details().items() if value and key not in ("from", "to")
    )
    audit.record(
        "impact.exported",
        object_type=Household._meta.label_lower,
        details={
            "what": "iris",
            "format": "csv",
            "filters": filters.as_details(),
            "count": summary.households.enrolled,
        },
    )
    content = exports.iris_csv(summary, scope=scope or _("all households in your areas"))
    return _download(content, filename=f"iris-{timezone.localdate():%Y%m%d}.csv", content_type=CSV)
