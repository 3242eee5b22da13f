"""Forms of the ledger pages: who supplied a delivery, a payout, a statement's period."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.forms import QuantityField

from .models import Payout


class ContributionGridForm(forms.Form):
    """One quantity box (and one "pick" box for the equal split) per delivery line × eligible
    household. Checks the numbers only; `ledger.contributions_record` checks the rules."""

    def __init__(self, *args, lines, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        self.households = list(households)
        for line in self.lines:
            for household in self.households:
                self.fields[self.quantity_name(line, household)] = QuantityField(
                    label=household.code,
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=12,
                    decimal_places=3,
                    widget=forms.TextInput(
                        attrs={"inputmode": "decimal", "autocomplete": "off", "class": "contribution-quantity"}
                    ),
                )
                self.fields[self.pick_name(line, household)] = forms.BooleanField(required=False)

    @staticmethod
    def quantity_name(line, household) -> str:
        return f"q_{line.pk}_{household.pk}"

    @staticmethod
    def pick_name(line, household) -> str:
        return f"pick_{line.pk}_{household.pk}"

    def grid(self):
        """[(line, [(household, quantity field, pick field, share in baht or None)])] for the
        template; the shares are set by the view (`shares[line id][household id]`)."""
        shares = getattr(self, "shares", {})
        return [
            (
                line,
                [
                    (
                        household,
                        self[self.quantity_name(line, household)],
                        self[self.pick_name(line, household)],
                        shares.get(line.pk, {}).get(household.pk),
                    )
                    for household in self.households
                ],
            )
            for line in self.lines
        ]

    def quantities(self, line) -> dict[int, Decimal]:
        data = self.cleaned_data
        return {
            household.pk: data[self.quantity_name(line, household)]
            for household in self.households
            if data.get(self.quantity_name(line, household))
        }

    def picked(self, line) -> list[int]:
        return [h.pk for h in self.households if self.cleaned_data.get(self.pick_name(line, h))]


class PayoutForm(forms.Form):
    group = forms.ModelChoiceField(label=_("producer group"), queryset=None, empty_label=None)
    amount = QuantityField(
        label=_("amount (THB)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(label=_("method"), choices=Payout.Method.choices, widget=forms.RadioSelect)
    reference = forms.CharField(
        label=_("reference"),
        max_length=100,
        required=False,
        help_text=_("Required for a bank transfer or PromptPay: the transfer reference."),
    )
    paid_on = forms.DateField(
        label=_("paid on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class StatementPeriodForm(forms.Form):
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The chosen period; by default this year up to today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or datetime.date(date_to.year, 1, 1)
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        return date_from, date_to
