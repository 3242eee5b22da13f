from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CompanyRole


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("The person signs up or in with this address."))
    role = forms.ChoiceField(label=_("Role"), choices=CompanyRole.choices, initial=CompanyRole.PURCHASER)
