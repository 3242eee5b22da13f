from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from producers.models import VerificationMethod, VerificationStatus

from .models import Agency, Dimension, Need, ReferralState, Severity


class VerifyForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (VerificationStatus.VERIFIED, _("The data is right: verified")),
            (VerificationStatus.NEEDS_CORRECTION, _("Something is wrong: needs correction")),
        ],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How did you check it?"), choices=[("", "—"), *VerificationMethod.choices], required=False
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a correction: what is wrong and what it should be."),
    )


class NeedsForm(forms.Form):
    """One row per dimension: ticked if the household needs help there, with how urgent and what."""

    assessed_on = forms.DateField(
        label=_("Assessed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        for code, label in Dimension.choices:
            self.fields[f"need_{code}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"severity_{code}"] = forms.TypedChoiceField(
                label=_("How urgent"),
                choices=Severity.choices,
                coerce=int,
                initial=Severity.MEDIUM,
                required=False,
                empty_value=int(Severity.MEDIUM),
            )
            self.fields[f"text_{code}"] = forms.CharField(label=_("What is needed"), required=False, max_length=1000)

    def dimension_rows(self):
        return [
            (code, label, self[f"need_{code}"], self[f"severity_{code}"], self[f"text_{code}"])
            for code, label in Dimension.choices
        ]

    def clean_assessed_on(self):
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The assessment date cannot be in the future."))
        return value

    def needs(self) -> list[tuple[str, int, str]]:
        return [
            (code, self.cleaned_data[f"severity_{code}"], self.cleaned_data[f"text_{code}"])
            for code, _label in Dimension.choices
            if self.cleaned_data.get(f"need_{code}")
        ]


class ReferForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())
    expected_by = forms.DateField(
        label=_("Answer expected by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Left empty: the agency's usual answer time."),
    )
    note = forms.CharField(label=_("Note for the agency"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, need: Need, **kwargs):
        super().__init__(*args, **kwargs)
        self.need = need
        province = need.assessment.household.province_code
        agencies = [
            agency
            for agency in Agency.objects.order_by("level", "name")
            if need.dimension in agency.dimensions and agency.serves(province)
        ]
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by(
            "level", "name"
        )
        self.fields["expected_by"].widget.attrs["min"] = max(
            need.assessment.assessed_on, timezone.localdate()
        ).isoformat()
        self.prefix = f"need{need.pk}"


ACTION_LABELS = {
    ReferralState.ACCEPTED: _("Accept"),
    ReferralState.DECLINED: _("Decline"),
    ReferralState.IN_PROGRESS: _("Start work"),
    ReferralState.RESOLVED: _("Resolved"),
    ReferralState.NOT_RESOLVABLE: _("Cannot be resolved"),
}


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ReferralState.choices)
    reason = forms.CharField(
        label=_("Reason or outcome"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to decline or to close as not resolvable."),
    )
