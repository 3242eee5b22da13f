from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.forms import StoreReachableMixin
from marketplace.numbers import decimal_input, parse_decimal

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

    def prepare_value(self, value):
        # What the box shows: "20", "20.5"; never "2E+1" nor "20.000".
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return decimal_input(value)
        return value


class CallOffForm(forms.Form):
    """One quantity per agreement line (field `line_<id>`), empty at first: a careless submit orders
    nothing. `line.fillable` is what "fill what remains" puts in (what remains, capped by the
    line's maximum per call-off). Lines left empty or at 0 are not ordered."""

    note = forms.CharField(
        label=_("Note for the producer groups"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, lines: list[AgreementLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            remaining = max(line.remaining_quantity, ZERO)
            line.fillable = min(remaining, line.max_per_call_off) if line.max_per_call_off else remaining
            line.ordered_percent = (
                int(min(line.ordered_quantity / line.committed_quantity, 1) * 100) if line.committed_quantity else 0
            )
            self.fields[self.field_name(line)] = QuantityField(
                label=line.product.title,
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=3,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "placeholder": "0",
                        "data-price": str(line.unit_price),
                        "data-fill": decimal_input(line.fillable),
                    }
                ),
            )

    @staticmethod
    def field_name(line: AgreementLine) -> str:
        return f"line_{line.pk}"

    def rows(self):
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data.get(self.field_name(line)) or ZERO for line in self.lines}

    def filled(self, line_id) -> "CallOffForm":
        """The form again with one line set to what it can take ("fill what remains" without
        JavaScript); nothing is ordered."""
        data = self.data.copy()
        for line in self.lines:
            if str(line.pk) == str(line_id):
                data[self.field_name(line)] = decimal_input(line.fillable)
        return CallOffForm(data, lines=self.lines)

    def total(self) -> Decimal:
        """The value of the quantities typed so far (the page shows it; JavaScript keeps it live)."""
        total = ZERO
        for line in self.lines:
            try:
                quantity = parse_decimal(self[self.field_name(line)].value() or 0)
            except ValueError:
                continue
            total += max(quantity, ZERO) * line.unit_price
        return total.quantize(Decimal("0.01"))


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


class DeliveryForm(StoreReachableMixin, forms.Form):
    """One quantity per order line still open (field `line_<id>`, defaulting to what remains to
    be delivered), the date, the delivery note and an optional photo."""

    storage_fields = {"photo": "private"}

    delivered_on = forms.DateField(
        label=_("Delivered on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note_number = forms.CharField(label=_("Delivery note number"), required=False, max_length=50)
    note = forms.CharField(label=_("Delivery note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.ImageField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("A JPEG, PNG or WebP image of at most 10 MB; only the buyer and your group can see it."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.open_quantity > 0]
        self.fields["delivered_on"].initial = timezone.localdate()
        for line in self.lines:
            self.fields[self.field_name(line)] = QuantityField(
                label=f"{line.product_name} ({line.unit})",
                required=False,
                min_value=Decimal("0"),
                max_value=line.open_quantity,
                max_digits=12,
                decimal_places=3,
                initial=line.open_quantity,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            from .fulfilment import validate_delivery_photo

            validate_delivery_photo(photo)
        return photo

    def clean_delivered_on(self):
        delivered_on = self.cleaned_data["delivered_on"]
        if delivered_on > timezone.localdate():
            raise forms.ValidationError(_("The delivery date cannot be in the future."))
        return delivered_on

    def rows(self):
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data.get(self.field_name(line)) or ZERO for line in self.lines}


class AcceptanceForm(forms.Form):
    """Per delivered line: accepted and rejected quantities (defaults: all accepted, none rejected)
    and a reason, needed when anything is rejected."""

    def __init__(self, *args, delivery, **kwargs):
        super().__init__(*args, prefix=f"delivery-{delivery.pk}", **kwargs)
        self.delivery = delivery
        self.lines = list(delivery.lines.all())
        for line in self.lines:
            options = {"min_value": Decimal("0"), "max_digits": 12, "decimal_places": 3}
            text_input = {"inputmode": "decimal", "autocomplete": "off"}
            self.fields[f"accepted_{line.pk}"] = QuantityField(
                label=_("Accepted"),
                initial=line.quantity,
                widget=forms.TextInput(attrs=text_input),
                **options,
            )
            self.fields[f"rejected_{line.pk}"] = QuantityField(
                label=_("Rejected"),
                required=False,
                initial=Decimal("0"),
                widget=forms.TextInput(attrs=text_input),
                **options,
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label=_("Reason for rejecting"), required=False, max_length=500
            )

    def rows(self):
        return [
            (line, self[f"accepted_{line.pk}"], self[f"rejected_{line.pk}"], self[f"reason_{line.pk}"])
            for line in self.lines
        ]

    def decisions(self):
        from .fulfilment import LineDecision

        return {
            line.pk: LineDecision(
                accepted=self.cleaned_data.get(f"accepted_{line.pk}") or ZERO,
                rejected=self.cleaned_data.get(f"rejected_{line.pk}") or ZERO,
                reason=self.cleaned_data.get(f"reason_{line.pk}") or "",
            )
            for line in self.lines
        }


class GroupCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The buyer reads this. A paid order is refunded in full."),
    )
