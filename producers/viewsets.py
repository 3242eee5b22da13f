"""Wagtail admin for producer groups and households. Every queryset and object lookup goes
through the permission policies in producers.permissions (and so through producers.selectors), by
the scoped viewset bases in marketplace.viewsets."""

import django_filters
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.button import MenuItem

from marketplace import areas, audit
from marketplace.viewsets import ScopedEditView, ScopedIndexView, ScopedViewSet, be_column

from . import hooks, selectors
from .forms import ConsentAdminForm, EnrolmentForm, HouseholdForm, IncomeSurveyForm, ProducerGroupForm
from .models import Consent, Enrolment, Household, IncomeSurvey, PovertyStatus, ProducerGroup
from .permissions import consent_policy, enrolment_policy, group_policy, household_policy, income_survey_policy

# --- Producer groups ------------------------------------------------------------------------


class ProducerGroupFilterSet(WagtailFilterSet):
    province_code = django_filters.ChoiceFilter(label=_("province"), choices=areas.province_choices)
    verification_status = django_filters.ChoiceFilter(
        label=_("verification"), choices=ProducerGroup.Verification.choices
    )

    class Meta:
        model = ProducerGroup
        fields = ["province_code", "verification_status", "institution"]


class ProducerGroupIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.permission_policy.user_has_permission(self.request.user, "verify"):
            buttons.append(
                MenuItem(
                    _("Verify or suspend"),
                    url=reverse("producers_admin:group_verification", args=[instance.pk]),
                    icon_name="tick-inverse",
                    priority=40,
                )
            )
        return buttons


class GroupEditView(ScopedEditView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("group.updated", instance, details={"fields": sorted(self.form.changed_data)})
            # A new code renames the collection; a new province changes who publishes the pages.
            hooks.fire(hooks.GROUP_SAVED, group=instance, user=self.request.user)
        return instance


class GroupCreateView(generic.CreateView):
    def save_instance(self):
        # The group and its page, collection, editor/publisher groups and workflow, or nothing.
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("group.created", instance)
            hooks.fire(hooks.GROUP_SAVED, group=instance, user=self.request.user)
        return instance


class ProducerGroupViewSet(ScopedViewSet):
    model = ProducerGroup
    icon = "group"
    menu_label = _("Producer groups")
    index_view_class = ProducerGroupIndexView
    edit_view_class = GroupEditView
    add_view_class = GroupCreateView
    delete_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "name_th",
        "code",
        Column("district_name", label=_("district")),
        Column("province_name", label=_("province")),
        "verification_status",
    ]
    filterset_class = ProducerGroupFilterSet
    search_fields = ["name_th", "name_en", "code", "registration_number"]
    search_backend_name = None
    inspect_view_fields = [
        "code",
        "name_th",
        "name_en",
        "registration_number",
        "province_name",
        "district_name",
        "subdistrict_name",
        "village",
        "verification_status",
        "verified_at",
        "retention_rate",
        "vat_registered",
        "bank_name",
        "bank_account_name",
        "bank_account_number",
        "promptpay_id",
    ]

    def get_form_class(self, for_update=False):
        return ProducerGroupForm

    def get_delete_url(self, instance):
        return None


# --- Households -----------------------------------------------------------------------------


def _group_choices(request):
    if request is None:
        return ProducerGroup.objects.none()
    return selectors.groups_visible_to(request.user)


class HouseholdFilterSet(WagtailFilterSet):
    province_code = django_filters.ChoiceFilter(label=_("province"), choices=areas.province_choices)
    district_code = django_filters.CharFilter(label=_("district code"))
    group = django_filters.ModelChoiceFilter(
        label=_("producer group"), queryset=_group_choices, field_name="enrolments__group", distinct=True
    )
    consent = django_filters.ChoiceFilter(
        label=_("consent"),
        choices=[*Consent.Status.choices, ("none", _("not recorded"))],
        method="filter_consent",
    )
    baseline_status = django_filters.ChoiceFilter(label=_("poverty status at baseline"), choices=PovertyStatus.choices)

    class Meta:
        model = Household
        fields = ["province_code", "district_code", "group", "consent", "baseline_status"]

    def filter_consent(self, queryset, name, value):
        if value == "none":
            return queryset.filter(consent_status__isnull=True)
        return queryset.filter(consent_status=value)


class HouseholdIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().with_consent_status().with_baseline_status()

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        # Names are searchable only where they may be shown; codes always.
        term = self.search_query.strip()
        return queryset.filter(
            Q(code__icontains=term)
            | Q(head_name__icontains=term, consent_status=Consent.Status.GIVEN, erased_at__isnull=True)
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # Which filters, not what was typed: a search text is often a person's name.
        context = getattr(response, "context_data", None) or {}
        audit.record(
            "household.listed",
            object_type=Household._meta.label_lower,
            details={
                "has_search": bool(self.is_searching),
                "filters": sorted(key for key in request.GET if key not in ("q", "p", "ordering")),
                "count": context.get("items_count"),
            },
        )
        return response

    def get_list_more_buttons(self, instance):
        buttons = [
            MenuItem(
                pgettext_lazy("open a record", "Open"),
                url=reverse("producers_admin:household_detail", args=[instance.pk]),
                icon_name="view",
                priority=5,
            )
        ]
        return buttons + super().get_list_more_buttons(instance)


class HouseholdEditView(ScopedEditView):
    def get(self, request, *args, **kwargs):
        household = self.get_object()  # 404 outside the user's scope, before anything is logged
        audit.record("household.view", household, details={"via": "edit"})
        return super().get(request, *args, **kwargs)

    def save_instance(self):
        instance = super().save_instance()
        changed = sorted(set(self.form.changed_data))
        audit.record("household.updated", instance, details={"fields": changed})
        return instance


class HouseholdCreateView(generic.CreateView):
    def save_instance(self):
        instance = super().save_instance()
        audit.record("household.created", instance)
        return instance


class HouseholdViewSet(ScopedViewSet):
    model = Household
    icon = "home"
    menu_label = _("Households")
    index_view_class = HouseholdIndexView
    edit_view_class = HouseholdEditView
    add_view_class = HouseholdCreateView
    delete_view_enabled = False
    list_display = [
        "code",
        Column("display_name", label=_("head of household")),
        Column("district_name", label=_("district")),
        "members",
        Column("consent_status_display", label=_("consent")),
        Column("baseline_status_display", label=_("poverty status at baseline")),
    ]
    filterset_class = HouseholdFilterSet
    search_fields = ["code", "head_name"]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        return HouseholdForm

    def get_delete_url(self, instance):
        return None


# --- Enrolments, consents, income surveys ----------------------------------------------------


def _yes_no(name):
    def value(instance):
        return _("yes") if getattr(instance, name) else _("no")

    return value


class EnrolmentViewSet(ScopedViewSet):
    model = Enrolment
    icon = "link"
    menu_label = _("Enrolments")
    form_fields = ["household", "group", "since", "active"]

    def get_form_class(self, for_update=False):
        return EnrolmentForm

    list_display = [
        "household",
        "group",
        be_column(Enrolment, "since"),
        Column("active", label=_("active"), accessor=_yes_no("active"), sort_key="active"),
    ]
    list_filter = ["active"]


class ConsentViewSet(ScopedViewSet):
    """Consent history, read-only: decisions are recorded from the household page."""

    model = Consent
    icon = "doc-full"
    menu_label = _("Consents")
    form_fields = ["household", "status", "scope"]
    list_display = ["household", "status", "scope", be_column(Consent, "recorded_at", time=True), "recorded_by"]
    list_filter = ["status", "scope"]
    delete_view_enabled = False

    def get_form_class(self, for_update=False):
        return ConsentAdminForm


class IncomeSurveyViewSet(ScopedViewSet):
    model = IncomeSurvey
    icon = "table"
    menu_label = _("Income surveys")
    form_fields = ["household", "surveyed_on", "annual_income", "members", "source"]

    def get_form_class(self, for_update=False):
        return IncomeSurveyForm

    list_display = ["household", be_column(IncomeSurvey, "surveyed_on"), "annual_income", "members", "source"]
    delete_view_enabled = False


class ProducersViewSetGroup(ViewSetGroup):
    menu_label = _("Producers")
    menu_icon = "group"
    menu_order = 200
    items = (
        ProducerGroupViewSet("producer_groups", policy=group_policy),
        HouseholdViewSet("households", policy=household_policy),
        EnrolmentViewSet("enrolments", policy=enrolment_policy),
        ConsentViewSet("consents", policy=consent_policy),
        IncomeSurveyViewSet("income_surveys", policy=income_survey_policy),
    )
