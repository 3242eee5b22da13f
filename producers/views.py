"""Admin pages around households and groups that are more than a model form: the household page
(audited), consent decisions, erasure, export, group verification. Each view checks access through
the permission policies / selectors and calls one service."""

import csv

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail import hooks

from marketplace import audit

from . import selectors, services
from .forms import ConsentForm, ErasureForm, HouseholdExportFilterForm, VerificationForm
from .models import Household
from .permissions import consent_policy, group_policy, household_policy


def _require(policy, user, action):
    if not policy.user_has_permission(user, action):
        raise PermissionDenied


def group_verification(request, pk):
    _require(group_policy, request.user, "verify")
    group = get_object_or_404(group_policy.instances_user_has_permission_for(request.user, "verify"), pk=pk)
    form = VerificationForm(request.POST or None, initial={"status": group.verification_status})
    if request.method == "POST" and form.is_valid():
        services.group_set_verification(
            group=group, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("“%(group)s” is now %(status)s.") % {"group": group, "status": group.get_verification_status_display()},
        )
        return redirect("producer_groups:index")
    return TemplateResponse(request, "producers/admin/group_verification.html", {"group": group, "form": form})


def household_detail(request, pk):
    _require(household_policy, request.user, "view")
    household = selectors.household_for(request.user, pk)  # audited
    context = {
        "household": household,
        "enrolments": household.enrolments.select_related("group"),
        "consents": household.consents.select_related("recorded_by"),
        "surveys": household.income_surveys.all(),
        "consent_form": ConsentForm(),
        "can_record_consent": consent_policy.user_has_permission(request.user, "record") and not household.is_erased,
        "can_erase": household_policy.user_has_permission(request.user, "erase") and not household.is_erased,
        "can_edit": household_policy.user_has_permission(request.user, "change") and not household.is_erased,
    }
    # Panels of higher apps (income: poverty status over time), each a hook returning
    # (template name, its context), called in registration order.
    context["panels"] = []
    for panel in hooks.get_hooks("producers_household_panels"):
        template_name, panel_context = panel(request, household)
        context.update(panel_context)
        context["panels"].append(template_name)
    return TemplateResponse(request, "producers/admin/household_detail.html", context)


@require_POST
def household_consent(request, pk):
    _require(consent_policy, request.user, "record")
    household = get_object_or_404(selectors.households_visible_to(request.user), pk=pk)
    form = ConsentForm(request.POST, request.FILES)
    if form.is_valid():
        services.consent_record(
            household=household,
            status=form.cleaned_data["status"],
            scope=form.cleaned_data["scope"],
            recorded_by=request.user,
            evidence=form.cleaned_data["evidence"],
        )
        messages.success(request, _("The consent decision was recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("producers_admin:household_detail", pk=household.pk)


def household_erase(request, pk):
    _require(household_policy, request.user, "erase")
    household = get_object_or_404(selectors.households_visible_to(request.user), pk=pk, erased_at__isnull=True)
    form = ErasureForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        services.household_erase(household=household, reason=form.cleaned_data["reason"])
        messages.success(request, _("The household's personal data was erased."))
        return redirect("households:index")
    return TemplateResponse(request, "producers/admin/household_erase.html", {"household": household, "form": form})


def consent_evidence(request, pk):
    """Stream a consent document to someone who may see its household; audited."""
    _require(consent_policy, request.user, "view")
    consent = get_object_or_404(
        consent_policy.instances_user_has_permission_for(request.user, "view").exclude(evidence=""), pk=pk
    )
    audit.record("consent.evidence_viewed", consent.household, details={"consent_id": consent.pk})
    response = FileResponse(
        consent.evidence.open("rb"), as_attachment=True, filename=consent.evidence.name.split("/")[-1]
    )
    response["Cache-Control"] = "no-store"
    return response


def filter_error_response(form) -> HttpResponseBadRequest | None:
    """None when the filters of a download are valid. A malformed value is a bad request that says
    which filter is wrong; a well-formed id outside the user's scope (a group of another province)
    is a 404, as if it did not exist."""
    if form.is_valid():
        return None
    errors = form.errors.as_data()
    if all(error.code == "invalid_choice" for field_errors in errors.values() for error in field_errors):
        raise Http404
    lines = [_("The download was not made: a filter is not valid.")]
    for name, field_errors in errors.items():
        for error in field_errors:
            for message in error.messages:
                if name == NON_FIELD_ERRORS:
                    lines.append(message)
                else:
                    lines.append(_("%(field)s: %(error)s") % {"field": form.fields[name].label, "error": message})
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


EXPORT_COLUMNS = [
    "household_code",
    "head_name",
    "phone",
    "citizen_id_last4",
    "members",
    "province_code",
    "district_code",
    "subdistrict_code",
    "village",
    "group_codes",
    "poverty_source",
    "poverty_year",
    "baseline_annual_income",
    "baseline_year",
    "baseline_status",
]


def households_export(request):
    """CSV of the identifiable households in the user's scope (optionally one group). Households
    without consent, or erased, are left out. The export is audited with its size."""
    _require(household_policy, request.user, "export")
    filters = HouseholdExportFilterForm(request.GET, user=request.user)
    if error := filter_error_response(filters):
        return error
    households = selectors.households_visible_to(request.user).identifiable().with_baseline_status()
    group = filters.cleaned_data["group"]
    group_id = str(group.pk) if group else ""
    if group:
        households = households.filter(enrolments__group=group, enrolments__active=True)
    households = households.prefetch_related("enrolments__group").order_by("code")
    count = households.count()
    audit.record(
        "household.exported",
        object_type=Household._meta.label_lower,
        details={"count": count, "group": group_id or "", "format": "csv"},
    )

    def rows():
        writer = csv.writer(_Echo())
        yield "\ufeff"  # so Excel opens Thai text as UTF-8
        yield writer.writerow(EXPORT_COLUMNS)
        for household in households.iterator(chunk_size=2000):
            groups = " ".join(sorted(e.group.code for e in household.enrolments.all() if e.active))
            yield writer.writerow(
                [
                    _cell(value)
                    for value in (
                        household.code,
                        household.head_name,
                        household.phone,
                        household.citizen_id_last4,
                        household.members,
                        household.province_code,
                        household.district_code,
                        household.subdistrict_code,
                        household.village,
                        groups,
                        household.poverty_source,
                        household.poverty_year,
                        household.baseline_annual_income,
                        household.baseline_year,
                        household.baseline_status,
                    )
                ]
            )

    filename = f"households-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
