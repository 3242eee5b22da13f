"""What a company's buyer adds to an order for their own procurement: their purchase order (PO)
number, where the goods go and the date they are needed by.

`ProcurementForm` asks for them on the checkout and call-off pages and the JSON API checks the
same rules through `procurement_from`; orders copy the result (`Procurement`) onto each order."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .models import Company, DeliveryAddress


@dataclass(frozen=True)
class Procurement:
    po_number: str = ""
    delivery_address: str = ""
    required_by: datetime.date | None = None

    def as_order_fields(self) -> dict:
        return {"po_number": self.po_number, "delivery_address": self.delivery_address, "required_by": self.required_by}


def addresses_of(company_ids) -> list[DeliveryAddress]:
    return list(
        DeliveryAddress.objects.filter(company_id__in=company_ids)
        .select_related("company")
        .order_by("company__name_th", "-is_default", "label", "pk")
    )


def default_address(company: Company) -> DeliveryAddress | None:
    return company.delivery_addresses.filter(is_default=True).first()


def procurement_from(
    *,
    company: Company,
    po_number: str = "",
    address: DeliveryAddress | None = None,
    required_by: datetime.date | None = None,
    latest: datetime.date | None = None,
) -> Procurement:
    """Check one order's procurement details against the company's rules. Raises ValidationError
    with every problem, keyed by field. With no address chosen, the company's default is used;
    a company with no delivery addresses has its registered address copied instead."""
    errors: dict[str, list[str]] = {}
    po_number = (po_number or "").strip()
    if company.po_number_required and not po_number:
        errors.setdefault("po_number", []).append(
            _("%(company)s asks for a purchase order (PO) number on every order.") % {"company": company.name_th}
        )
    if address is not None and address.company_id != company.pk:
        errors.setdefault("delivery_address", []).append(_("Choose one of this company's delivery addresses."))
    if address is None:
        address = default_address(company)
    if required_by is not None:
        today = timezone.localdate()
        if required_by < today:
            errors.setdefault("required_by", []).append(_("The required-by date cannot be in the past."))
        elif latest is not None and required_by > latest:
            from marketplace.templatetags.thai import be_date

            errors.setdefault("required_by", []).append(
                _("The required-by date must be on or before %(date)s.") % {"date": be_date(latest)}
            )
    if errors:
        raise ValidationError(errors)
    text = address.as_text() if address is not None else company.address.strip()
    return Procurement(po_number=po_number, delivery_address=text, required_by=required_by)


class AddressChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, show_company: bool = False, **kwargs):
        self.show_company = show_company
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: DeliveryAddress) -> str:
        label = f"{obj.label} ({pgettext('delivery address', 'default')})" if obj.is_default else obj.label
        return f"{obj.company.name_th} · {label}" if self.show_company else label


class ProcurementForm(forms.Form):
    """PO number, delivery address and required-by date for an order placed for one of
    `companies`; with more than one company the buyer chooses which (field `company`)."""

    company = forms.ModelChoiceField(label=gettext_lazy("Buying for"), queryset=Company.objects.none())
    po_number = forms.CharField(
        label=gettext_lazy("Your PO number"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Your company's purchase order number: it is printed on the invoice."),
    )
    delivery_address = AddressChoiceField(
        label=gettext_lazy("Deliver to"), queryset=DeliveryAddress.objects.none(), required=False
    )
    required_by = forms.DateField(
        label=gettext_lazy("Required by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The date you need the goods by (optional)."),
    )

    def __init__(self, *args, companies: list[Company], latest: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.companies = companies
        self.latest = latest
        ids = [company.pk for company in companies]
        self.fields["company"].queryset = Company.objects.filter(pk__in=ids).order_by("name_th")
        if len(companies) == 1:  # nothing to choose: the one company, whatever the page sends
            self.fields["company"].widget = forms.HiddenInput()
            self.fields["company"].initial = companies[0].pk
            self.fields["company"].required = False
        addresses = addresses_of(ids)
        field = self.fields["delivery_address"]
        field.queryset = DeliveryAddress.objects.filter(pk__in=[a.pk for a in addresses]).select_related("company")
        field.show_company = len(companies) > 1
        field.empty_label = _("The company's registered address")
        defaults = [a for a in addresses if a.is_default]
        if defaults:
            field.initial = defaults[0].pk
        if len(companies) == 1 and companies[0].po_number_required:
            self.fields["po_number"].widget.attrs["required"] = True
        today = timezone.localdate()
        self.fields["required_by"].widget.attrs["min"] = today.isoformat()
        if latest:
            self.fields["required_by"].widget.attrs["max"] = latest.isoformat()

    @classmethod
    def typed(cls, data) -> dict:
        """What the buyer typed, as initial values: the page is shown again (for example after
        "fill what remains") without judging an unfinished form."""
        return {name: data.get(name) for name in cls.base_fields if data.get(name)}

    @property
    def has_addresses(self) -> bool:
        return self.fields["delivery_address"].queryset.exists()

    def clean(self):
        cleaned = super().clean()
        if len(self.companies) == 1:
            cleaned["company"] = self.companies[0]
        company = cleaned.get("company")
        if company is None:
            return cleaned
        try:
            self.procurement = procurement_from(
                company=company,
                po_number=cleaned.get("po_number", ""),
                address=cleaned.get("delivery_address"),
                required_by=cleaned.get("required_by"),
                latest=self.latest,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned
