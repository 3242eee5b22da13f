from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.numbers import parse_decimal

from .models import ZERO, AgreementAmendment, AgreementLine


class QuantityField(forms.DecimalField):
    """A quantity as Thai users type it (Thai digits, thousands separators)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            raise forms.ValidationError(_("Enter a number."), code="invalid") from None


class CallOffForm(forms.Form):
    """One quantity per agreement line (field `line_<id>`), defaulting to what remains, capped by
    the line's maximum per call-off. Lines left at 0 are not ordered."""

    note = forms.CharField(
        label=_("Note for the producer groups"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, lines: list[AgreementLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            remaining = max(line.remaining_quantity, ZERO)
            default = min(remaining, line.max_per_call_off) if line.max_per_call_off else remaining
            self.fields[self.field_name(line)] = QuantityField(
                label=line.product.title,
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=3,
                initial=default.normalize() if default else Decimal("0"),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    @staticmethod
    def field_name(line: AgreementLine) -> str:
        return f"line_{line.pk}"

    def rows(self):
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data.get(self.field_name(line)) or ZERO for line in self.lines}


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The buyer reads this. The quantity returns to the agreement."),
    )


class ConfirmForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the buyer (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class AmendmentForm(forms.Form):
    line = forms.ModelChoiceField(label=_("Line"), queryset=AgreementLine.objects.none())
    field = forms.ChoiceField(label=_("What changes"), choices=AgreementAmendment.Field.choices)
    new_value = QuantityField(label=_("New value"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = agreement.lines.select_related("product")
        self.fields["line"].label_from_instance = lambda line: f"{line.product.title} ({line.unit})"
