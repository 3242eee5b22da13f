from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from marketplace import areas
from marketplace.forms import StoreReachableMixin

from . import citizen_id, selectors
from .models import Consent, CoordinatorAssignment, Enrolment, Household, IncomeSurvey, Institution, ProducerGroup


class IdChoiceField(forms.ModelChoiceField):
    """A record chosen by its id, as filters of lists and downloads take it. A value that is not an
    id at all is "invalid" (a mangled link: say so); an id outside the queryset is "invalid_choice"
    (not found, without saying whether it exists elsewhere)."""

    default_error_messages = {"invalid": _("Enter the number of a record from the list.")}

    def to_python(self, value):
        if value not in self.empty_values and not str(value).strip().isdigit():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class HouseholdExportFilterForm(forms.Form):
    group = IdChoiceField(label=_("producer group"), queryset=ProducerGroup.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = selectors.groups_visible_to(user)


class ProvinceSelect(forms.Select):
    def __init__(self, attrs=None):
        super().__init__(attrs, choices=lambda: [("", "---------"), *areas.province_choices()])


class ProducerGroupForm(WagtailAdminModelForm):
    class Meta:
        model = ProducerGroup
        fields = [
            "code",
            "institution",
            "name_th",
            "name_en",
            "registration_number",
            "province_code",
            "district_code",
            "subdistrict_code",
            "village",
            "retention_rate",
            "vat_registered",
            "bank_name",
            "bank_account_name",
            "bank_account_number",
            "promptpay_id",
        ]
        widgets = {"province_code": ProvinceSelect}
        help_texts = {
            "district_code": _("4-digit DOPA code, e.g. 4601 for Mueang Kalasin."),
            "subdistrict_code": _("6-digit DOPA code."),
        }

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and not for_user.is_superuser:
            self.fields["institution"].queryset = Institution.objects.filter(
                pk__in=CoordinatorAssignment.objects.filter(user=for_user).values("institution")
            )


class HouseholdForm(WagtailAdminModelForm):
    citizen_id = forms.CharField(
        label=_("citizen ID"),
        required=False,
        help_text=_("13 digits. Stored only as a one-way hash and the last 4 digits; leave empty to keep."),
    )

    class Meta:
        model = Household
        fields = [
            "code",
            "institution",
            "head_name",
            "phone",
            "members",
            "province_code",
            "district_code",
            "subdistrict_code",
            "village",
            "poverty_source",
            "poverty_year",
            "baseline_annual_income",
            "baseline_year",
            "baseline_date",
        ]
        widgets = {"province_code": ProvinceSelect}

    # Shown only while the household may be identified (consent given, not erased), as on the
    # household page; otherwise the boxes start empty and an empty box keeps the stored value.
    PERSONAL_FIELDS = ("head_name", "phone", "village")

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        if for_user is not None:
            self.fields["institution"].queryset = Institution.objects.filter(
                pk__in=CoordinatorAssignment.objects.filter(user=for_user).values("institution")
            )
        self.personal_hidden = (
            self.instance.pk is not None and not Household.objects.identifiable().filter(pk=self.instance.pk).exists()
        )
        if self.personal_hidden:
            for name in self.PERSONAL_FIELDS:
                self.fields[name].required = False
                self.fields[name].help_text = _(
                    "Hidden: the household has not given consent. Type a new value to replace it; "
                    "leave empty to keep it."
                )
                self.initial[name] = ""

    def _kept_if_hidden(self, name):
        value = self.cleaned_data.get(name)
        if self.personal_hidden and value in self.fields[name].empty_values:
            return getattr(self.instance, name)
        return value

    def clean_head_name(self):
        return self._kept_if_hidden("head_name")

    def clean_phone(self):
        return self._kept_if_hidden("phone")

    def clean_village(self):
        return self._kept_if_hidden("village")

    def clean_citizen_id(self):
        value = self.cleaned_data.get("citizen_id", "")
        if not value:
            return ""
        digits = citizen_id.validate(value)
        taken = Household.objects.filter(citizen_id_hash=citizen_id.hash_id(digits))
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("This person is already registered in the programme."), code="citizen_id_taken")
        return digits

    def clean(self):
        cleaned = super().clean()
        province = cleaned.get("province_code")
        if province and self.for_user is not None:
            provinces, _groups = selectors.coordinator_scope(self.for_user)
            if province not in provinces:
                self.add_error("province_code", _("You do not cover this province."))
        return cleaned

    def save(self, commit=True):
        digits = self.cleaned_data.get("citizen_id")
        if digits:
            self.instance.citizen_id_hash = citizen_id.hash_id(digits)
            self.instance.citizen_id_last4 = digits[-4:]
        return super().save(commit)


class ConsentForm(StoreReachableMixin, forms.Form):
    storage_fields = {"evidence": "private"}

    status = forms.ChoiceField(label=_("decision"), choices=Consent.Status.choices)
    scope = forms.ChoiceField(label=_("scope"), choices=Consent.Scope.choices, initial=Consent.Scope.PROGRAMME)
    evidence = forms.FileField(
        label=_("evidence"),
        required=False,
        help_text=_("A scan or photo of the signed form: PDF, JPEG or PNG, up to 5 MB."),
    )

    MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
    EVIDENCE_SIGNATURES = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence:
            return None
        if evidence.size > self.MAX_EVIDENCE_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        head = evidence.read(8)
        evidence.seek(0)
        if not head.startswith(self.EVIDENCE_SIGNATURES):
            raise ValidationError(_("Upload a PDF, JPEG or PNG file."))
        return evidence


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the head of household asked for erasure on 1 Dec 2569 (request no. …)."),
    )
    confirm_code = forms.CharField(label=_("type the household code to confirm"), max_length=40)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household

    def clean_confirm_code(self):
        value = self.cleaned_data["confirm_code"].strip()
        if value != self.household.code:
            raise ValidationError(_("The code does not match this household."))
        return value


class VerificationForm(forms.Form):
    status = forms.ChoiceField(label=_("new status"), choices=ProducerGroup.Verification.choices)
    reason = forms.CharField(
        label=_("reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ScopedHouseholdFormMixin:
    """Household and group choices limited to what the user may see: a dropdown must not list
    households from outside the user's scope."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None:
            self.fields["household"].queryset = selectors.households_visible_to(for_user)
            if "group" in self.fields:
                self.fields["group"].queryset = selectors.groups_visible_to(for_user)


class ConsentAdminForm(ScopedHouseholdFormMixin, WagtailAdminModelForm):
    """The consent viewset's form. Its policy grants no "add" or "change" (decisions are recorded
    from the household page), but should that change, the household list stays scoped."""

    class Meta:
        model = Consent
        fields = ["household", "status", "scope"]


class EnrolmentForm(ScopedHouseholdFormMixin, WagtailAdminModelForm):
    class Meta:
        model = Enrolment
        fields = ["household", "group", "since", "active"]


class IncomeSurveyForm(ScopedHouseholdFormMixin, WagtailAdminModelForm):
    class Meta:
        model = IncomeSurvey
        fields = ["household", "surveyed_on", "annual_income", "members", "source"]

    def save(self, commit=True):
        if self.instance.recorded_by_id is None and self.for_user is not None:
            self.instance.recorded_by = self.for_user
        return super().save(commit)

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
