from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CompanyRole, DeliveryAddress


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("The person signs up or in with this address."))
    role = forms.ChoiceField(label=_("Role"), choices=CompanyRole.choices, initial=CompanyRole.PURCHASER)


class DeliveryAddressForm(forms.ModelForm):
    class Meta:
        model = DeliveryAddress
        fields = ["label", "recipient", "phone", "address", "is_default"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "phone": forms.TextInput(attrs={"type": "tel"})}


class PoRuleForm(forms.Form):
    po_number_required = forms.BooleanField(
        label=_("Every order must carry our purchase order (PO) number"), required=False
    )
