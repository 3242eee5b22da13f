"""Wagtail admin for coordinators: the agencies (with the dimensions they handle and the provinces
they serve), the agencies' staff accounts and the area research managers' areas. The field and
agency work itself happens on /field/ and /agency/ (referrals.views)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup

from marketplace import access, areas, audit
from marketplace.permissions import ScopedPolicy
from marketplace.viewsets import ScopedEditView, ScopedViewSet

from .models import Agency, AgencyMembership, Dimension, FieldAssignment


def _coordinators_see_all(model):
    return lambda user: model.objects.all() if access.is_coordinator(user) else model.objects.none()


agency_policy = ScopedPolicy(Agency, scope=_coordinators_see_all(Agency), coordinator={"add", "change", "view"})
agency_staff_policy = ScopedPolicy(
    AgencyMembership, scope=_coordinators_see_all(AgencyMembership), coordinator={"add", "change", "view", "delete"}
)
field_policy = ScopedPolicy(
    FieldAssignment, scope=_coordinators_see_all(FieldAssignment), coordinator={"add", "change", "view", "delete"}
)

POLICIES = (agency_policy, agency_staff_policy, field_policy)


class AgencyForm(WagtailAdminModelForm):
    dimensions = forms.MultipleChoiceField(
        label=_("dimensions handled"), choices=Dimension.choices, widget=forms.CheckboxSelectMultiple
    )
    province_codes = forms.MultipleChoiceField(
        label=_("provinces served"),
        choices=areas.province_choices,
        required=False,
        help_text=_("Empty for a central agency that serves all."),
    )

    class Meta:
        model = Agency
        fields = [
            "name",
            "name_en",
            "level",
            "dimensions",
            "province_codes",
            "contact_email",
            "contact_phone",
            "answer_days",
        ]


class AccountEmailField(forms.EmailField):
    """An existing account, by its e-mail address (people sign up first, then get the role)."""

    def clean(self, value):
        email = super().clean(value)
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active account has this e-mail address: ask the person to sign up first.")
            )
        return user


class AgencyStaffForm(WagtailAdminModelForm):
    user = AccountEmailField(label=_("e-mail of the staff member's account"))

    class Meta:
        model = AgencyMembership
        fields = ["user", "agency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["user"] = self.instance.user.email


class FieldAssignmentForm(WagtailAdminModelForm):
    user = AccountEmailField(label=_("e-mail of the area research manager's account"))
    province_code = forms.ChoiceField(label=_("province"), choices=areas.province_choices)

    class Meta:
        model = FieldAssignment
        fields = ["user", "province_code", "district_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["user"] = self.instance.user.email
        self.fields["district_code"].help_text = _("Four digits, e.g. 4601; empty for the whole province.")

    def clean(self):
        cleaned = super().clean()
        district = cleaned.get("district_code") or ""
        province = cleaned.get("province_code") or ""
        if district and (not district.startswith(province) or areas.district(district) is None):
            self.add_error("district_code", _("%(code)s is not a district of this province.") % {"code": district})
        return cleaned


class AuditedCreateView(generic.CreateView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record(f"{instance._meta.model_name}.created", instance)
        return instance


class AuditedEditView(ScopedEditView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record(
                f"{instance._meta.model_name}.updated", instance, details={"fields": sorted(self.form.changed_data)}
            )
        return instance


class AgencyViewSet(ScopedViewSet):
    model = Agency
    icon = "group"
    menu_label = _("Agencies")
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    list_display = ["name", "level", "contact_email"]
    search_fields = ["name", "name_en"]
    search_backend_name = None
    edit_handler = ObjectList([FieldPanel(name) for name in AgencyForm.Meta.fields], base_form_class=AgencyForm)


class AgencyStaffViewSet(ScopedViewSet):
    model = AgencyMembership
    icon = "user"
    menu_label = _("Agency staff")
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    list_display = ["user", "agency"]
    edit_handler = ObjectList([FieldPanel("user"), FieldPanel("agency")], base_form_class=AgencyStaffForm)


class FieldAssignmentViewSet(ScopedViewSet):
    model = FieldAssignment
    icon = "site"
    menu_label = _("Area research managers")
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    list_display = ["user", "province_code", "district_code"]
    edit_handler = ObjectList(
        [FieldPanel("user"), FieldPanel("province_code"), FieldPanel("district_code")],
        base_form_class=FieldAssignmentForm,
    )


class ReferralsViewSetGroup(ViewSetGroup):
    menu_label = _("Verification and referrals")
    menu_icon = "tasks"
    menu_order = 230
    items = (
        AgencyViewSet("agencies", policy=agency_policy),
        AgencyStaffViewSet("agency_staff", policy=agency_staff_policy),
        FieldAssignmentViewSet("area_research_managers", policy=field_policy),
    )
