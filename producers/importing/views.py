"""Admin pages of the household import: upload (with preview), progress and result, confirmation.

Only coordinators import, each into the institutions and areas assigned to them; every page
checks that here, whichever URLconf mounts them. An import is visible to whoever uploaded it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin.auth import require_admin_access

from marketplace import access, audit

from . import uploads
from .forms import HouseholdImportForm
from .models import HouseholdImport
from .parsing import REQUIRED_COLUMNS, all_columns

REFRESH_SECONDS = 3


def _require_coordinator(user) -> None:
    if not access.is_coordinator(user):
        raise PermissionDenied


def _own_import(request, pk) -> HouseholdImport:
    return get_object_or_404(
        HouseholdImport.objects.select_related("institution", "default_group", "preview"),
        pk=pk,
        created_by=request.user,
    )


@require_admin_access
@require_http_methods(["GET", "POST"])
def upload(request):
    _require_coordinator(request.user)
    form = HouseholdImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        household_import = uploads.start_import(
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            institution=form.cleaned_data["institution"],
            default_group=form.cleaned_data["default_group"],
            dry_run=form.cleaned_data["dry_run"],
        )
        return redirect("household_import:detail", pk=household_import.pk)
    recent = HouseholdImport.objects.filter(created_by=request.user).select_related("institution")[:10]
    return TemplateResponse(
        request,
        "producers/import/upload.html",
        {"form": form, "recent": recent, "columns": all_columns(), "required": REQUIRED_COLUMNS},
    )


@require_admin_access
@require_http_methods(["GET"])
def detail(request, pk):
    _require_coordinator(request.user)
    household_import = _own_import(request, pk)
    if household_import.is_finished and household_import.outcomes:
        # The result lists household codes: household-level data, so its viewing is on record.
        audit.record("household_import.viewed", household_import, details={"outcomes": len(household_import.outcomes)})
    context = {
        "household_import": household_import,
        "refresh_seconds": None if household_import.is_finished else REFRESH_SECONDS,
        "confirmation": getattr(household_import, "confirmation", None),
        "ignored_columns": household_import.details.get("ignored_columns", []),
        "outcomes_cut": household_import.total_rows > len(household_import.outcomes),
        "errors_cut": household_import.error_count > len(household_import.errors),
    }
    return TemplateResponse(request, "producers/import/detail.html", context)


@require_admin_access
@require_POST
def confirm(request, pk):
    _require_coordinator(request.user)
    preview = _own_import(request, pk)
    try:
        household_import = uploads.confirm_preview(preview=preview, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("household_import:detail", pk=preview.pk)
    messages.success(request, _("The import of “%(file)s” has started.") % {"file": household_import.original_name})
    return redirect("household_import:detail", pk=household_import.pk)
