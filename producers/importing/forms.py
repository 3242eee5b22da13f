"""The household import upload form (admin)."""

from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from marketplace.forms import StoreReachableMixin

from .. import selectors
from ..models import CoordinatorAssignment, Institution
from .parsing import check_header

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_EXTENSIONS = (".csv", ".xlsx")


class HouseholdImportForm(StoreReachableMixin, forms.Form):
    storage_fields = {"file": "private"}

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8, or TIS-620 as Thai Excel saves it) or Excel .xlsx (first sheet), at most 20 MB. "
            "The first row names the columns; see the example file in the documentation."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    institution = forms.ModelChoiceField(label=_("Institution"), queryset=Institution.objects.none())
    default_group = forms.ModelChoiceField(
        label=_("Default producer group"),
        queryset=None,
        required=False,
        help_text=_("Households whose row has no group code are enrolled in this group."),
    )
    dry_run = forms.BooleanField(
        label=_("Preview only"),
        required=False,
        initial=True,
        help_text=_("Check the file and list what would change, without writing. You can confirm afterwards."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.filter(
            pk__in=CoordinatorAssignment.objects.filter(user=user).values("institution")
        )
        self.fields["default_group"].queryset = selectors.groups_visible_to(user).select_related("institution")
        institutions = list(self.fields["institution"].queryset[:2])
        if len(institutions) == 1:
            self.fields["institution"].initial = institutions[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in ALLOWED_EXTENSIONS:
            raise ValidationError(_("Upload a CSV (.csv) or Excel (.xlsx) file."), code="extension")
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
                code="size",
            )
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        problems = check_header(data, upload.name)
        if problems:
            raise ValidationError([str(problem) for problem in problems], code="content")
        return upload

    def clean(self):
        cleaned = super().clean()
        institution, group = cleaned.get("institution"), cleaned.get("default_group")
        if institution and group and group.institution_id != institution.pk:
            self.add_error("default_group", _("This group belongs to another institution."))
        return cleaned
