"""Phone-first pages. /field/: area research managers and coordinators verify households, assess
their needs and refer them, and read the area's figures. /agency/: agency staff answer the
referrals to their agency. Views scope through referrals.selectors and call referrals.services."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace import areas, audit
from producers.models import Consent, VerificationStatus
from producers.services import consent_record

from . import analysis, selectors, services
from .forms import ACTION_LABELS, NeedsForm, ReferForm, TransitionForm, VerifyForm
from .models import TRANSITIONS, Dimension, Need, NeedsAssessment, ReferralState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _only_for(allowed):
    """A signed-in user for whom allowed(user) holds, or the 403 page."""

    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


field_worker = _only_for(selectors.can_do_field_work)
agency_staff = _only_for(lambda user: bool(selectors.agency_ids(user)))


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


# --- Field work -----------------------------------------------------------------------------


@field_worker
def queue(request):
    """The area's households still to verify (unverified first, then those needing correction)."""
    status = request.GET.get("status") or "todo"
    households = selectors.field_households(request.user).with_consent_status()
    counts = {value: households.filter(verification_status=value).count() for value in VerificationStatus.values}
    if status == "todo":
        listed = households.exclude(verification_status=VerificationStatus.VERIFIED)
    elif status in VerificationStatus.values:
        listed = households.filter(verification_status=status)
    else:
        listed = households
    district = request.GET.get("district", "")
    if district:
        listed = listed.filter(district_code=district)
    page = Paginator(listed.order_by("verification_status", "district_code", "village", "code"), 50).get_page(
        request.GET.get("page")
    )
    audit.record(
        "household.listed",
        object_type="producers.household",
        details={"via": "field queue", "status": status, "district": district, "count": page.paginator.count},
    )
    total = sum(counts.values())
    context = {
        "page": page,
        "counts": counts,
        "total": total,
        "verified_percent": analysis._percent(counts.get(VerificationStatus.VERIFIED, 0), total),
        "status": status,
        "statuses": VerificationStatus.choices,
        "district": district,
    }
    return _private(TemplateResponse(request, "referrals/field/queue.html", context))


def _household_context(request, household, **forms):
    assessments = list(
        NeedsAssessment.objects.filter(household=household)
        .select_related("assessed_by")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.prefetch_related("referrals__agency")))
        .order_by("-assessed_on", "-pk")
    )
    latest = assessments[0] if assessments else None
    refer_forms = []
    if latest is not None:
        for need in latest.needs.all():
            form = forms.get("refer") if forms.get("refer_need") == need.pk else None
            refer_forms.append((need, form or ReferForm(need=need)))
    return {
        "household": household,
        "verify_form": forms.get("verify") or VerifyForm(initial={"status": VerificationStatus.VERIFIED}),
        "needs_form": forms.get("needs") or NeedsForm(),
        "assessments": assessments,
        "latest": latest,
        "refer_forms": refer_forms,
        "referral_consent": selectors.has_referral_consent(household),
        "referrals": household.referrals.select_related("agency", "need").order_by("-referred_at"),
    }


@field_worker
def household(request, pk):
    household = selectors.field_household(request.user, pk)
    return _private(TemplateResponse(request, "referrals/field/household.html", _household_context(request, household)))


@field_worker
@require_POST
def verify(request, pk):
    household = selectors.field_household(request.user, pk, purpose="verify")
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            services.household_verify(
                household=household,
                actor=request.user,
                status=form.cleaned_data["status"],
                method=form.cleaned_data["method"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Verification recorded for %(code)s.") % {"code": household.code})
            return redirect("field:queue")
    context = _household_context(request, household, verify=form)
    return _private(TemplateResponse(request, "referrals/field/household.html", context, status=400))


@field_worker
@require_POST
def assess(request, pk):
    household = selectors.field_household(request.user, pk, purpose="assess")
    form = NeedsForm(request.POST)
    if form.is_valid():
        try:
            services.needs_assess(
                household=household,
                actor=request.user,
                needs=form.needs(),
                assessed_on=form.cleaned_data["assessed_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Needs assessment recorded."))
            return redirect("field:household", pk=household.pk)
    context = _household_context(request, household, needs=form)
    return _private(TemplateResponse(request, "referrals/field/household.html", context, status=400))


@field_worker
@require_POST
def refer(request, need_pk):
    visible = selectors.field_households(request.user).values("pk")
    need = get_object_or_404(
        Need.objects.select_related("assessment__household"), pk=need_pk, assessment__household__in=visible
    )
    household = selectors.field_household(request.user, need.assessment.household_id, purpose="refer")
    form = ReferForm(request.POST, need=need)
    if form.is_valid():
        try:
            referral = services.referral_create(
                need=need,
                agency=form.cleaned_data["agency"],
                actor=request.user,
                expected_by=form.cleaned_data["expected_by"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Referral %(number)s sent to %(agency)s.")
                % {"number": referral.number, "agency": referral.agency.name},
            )
            return redirect("field:household", pk=household.pk)
    context = _household_context(request, household, refer=form, refer_need=need.pk)
    return _private(TemplateResponse(request, "referrals/field/household.html", context, status=400))


@field_worker
@require_POST
def consent(request, pk):
    """The household's decision on referral, recorded in the field (a withdrawal closes its open
    referrals and cuts the agencies' access at once: referrals.receivers, selectors)."""
    household = selectors.field_household(request.user, pk, purpose="consent")
    status = request.POST.get("status")
    if status not in Consent.Status.values:
        messages.error(request, _("Choose given or withdrawn."))
    else:
        consent_record(household=household, status=status, scope=Consent.Scope.REFERRAL, recorded_by=request.user)
        messages.success(request, _("The consent decision was recorded."))
    return redirect("field:household", pk=household.pk)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@field_worker
def referral_list(request):
    referrals = selectors.referrals_for_field_user(request.user).select_related("agency", "household", "need")
    state = request.GET.get("state", "")
    if state in ReferralState.values:
        referrals = referrals.filter(state=state)
    page = Paginator(referrals.order_by("-referred_at", "-pk"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "state": state, "states": ReferralState.choices, "today": timezone.localdate()}
    return _private(TemplateResponse(request, "referrals/field/referral_list.html", context))


def _area_filters(request) -> dict:
    province = request.GET.get("province", "")
    district = request.GET.get("district", "")
    return {
        "province": province if areas.province(province) else "",
        "district": district if district.isdigit() and len(district) == 4 else "",
    }


@field_worker
def analysis_view(request):
    filters = _area_filters(request)
    result = analysis.analyse(request.user, **filters)
    provinces = sorted(set(selectors.field_households(request.user).values_list("province_code", flat=True).distinct()))
    context = {
        "result": result,
        "filters": filters,
        "provinces": [(code, areas.area_name(code)) for code in provinces],
        "exact": analysis.exact_counts_for(request.user, province=filters["province"]),
        "K_MIN": analysis.K_MIN,
        "dimensions": [(code, label, result.households_by_dimension[code]) for code, label in Dimension.choices],
        "states": [(state, label, result.referrals_by_state[state]) for state, label in ReferralState.choices],
    }
    return _private(TemplateResponse(request, "referrals/field/analysis.html", context))


@field_worker
def analysis_list(request):
    filters = _area_filters(request)
    households = analysis.drilldown(
        request.user,
        **filters,
        dimension=request.GET.get("dimension", ""),
        state=request.GET.get("state", ""),
        verification=request.GET.get("verification", ""),
    ).with_consent_status()
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters}
    return _private(TemplateResponse(request, "referrals/field/analysis_list.html", context))


@field_worker
def analysis_export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filters = _area_filters(request)
    exact = analysis.exact_counts_for(request.user, province=filters["province"])
    rows = analysis.export_rows(analysis.analyse(request.user, **filters), exact=exact)
    audit.record("referrals.analysis_exported", None, details={"format": fmt, "exact": exact, **filters})
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(analysis.to_xlsx(rows), content_type=XLSX)
    else:
        response = HttpResponse(analysis.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="referrals-{stamp}.{fmt}"'
    return _private(response)


# --- Agencies -------------------------------------------------------------------------------


@agency_staff
def agency_home(request):
    referrals = selectors.referrals_for_agency_user(request.user).select_related("agency", "need")
    state = request.GET.get("state", "open")
    if state == "open":
        referrals = referrals.filter(
            state__in=[ReferralState.REFERRED, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS]
        )
    elif state in ReferralState.values:
        referrals = referrals.filter(state=state)
    page = Paginator(referrals.order_by("expected_by", "pk"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "state": state, "states": ReferralState.choices, "today": timezone.localdate()}
    return _private(TemplateResponse(request, "referrals/agency/home.html", context))


def _actions(referral) -> list[tuple[str, str]]:
    return [(to, ACTION_LABELS[to]) for to in ReferralState.values if to in TRANSITIONS[referral.state]]


@agency_staff
def agency_referral(request, pk, form=None):
    referral = selectors.referral_for_agency_user(request.user, pk)
    context = {
        "referral": referral,
        "household": referral.household,
        "events": referral.events.select_related("actor"),
        "actions": _actions(referral),
        "form": form or TransitionForm(),
    }
    return _private(TemplateResponse(request, "referrals/agency/referral.html", context, status=400 if form else 200))


@agency_staff
@require_POST
def agency_transition(request, pk):
    referral = selectors.referral_for_agency_user(request.user, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.referral_transition(
                referral=referral, to=form.cleaned_data["to"], actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("agency:referral", pk=referral.pk)
    return agency_referral(request, pk, form=form)
