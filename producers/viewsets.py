"""Wagtail admin for producer groups and households. Every queryset and object lookup goes
through the permission policies in producers.permissions (and so through producers.selectors)."""

import functools

import django_filters
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import MenuItem

from cms.services import ensure_group_page
from marketplace import areas, audit

from . import selectors
from .forms import ConsentAdminForm, EnrolmentForm, HouseholdForm, IncomeSurveyForm, ProducerGroupForm
from .models import Consent, Enrolment, Household, IncomeSurvey, PovertyStatus, ProducerGroup
from .permissions import consent_policy, enrolment_policy, group_policy, household_policy, income_survey_policy

VISIBLE = ["view", "change"]


class ScopedListingMixin:
    """The listing starts from the user's scope (the policy's queryset), never from the whole table."""

    def get_base_queryset(self):
        queryset = self.permission_policy.instances_user_has_any_permission_for(self.request.user, VISIBLE)
        # Listings show their foreign keys (household, group, recorded by): fetch them in one query.
        related = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
        return queryset.select_related(*related)


class ScopedIndexView(ScopedListingMixin, generic.IndexView):
    pass


class ScopedObjectMixin:
    """Look the object up inside the user's scope: an id outside it is a 404, as if it did not exist.

    `get_object` checks the id in the URL against the policy's queryset before the view's own
    lookup runs, whatever that lookup is (Wagtail's history, usage, copy, revision views each have
    their own): a view class gets it by inheriting this mixin first, and ScopedViewSet gives it to
    every view it builds that does not already have it. Views that look up themselves override
    `get_object` with `get_scoped_object` (one query instead of two)."""

    def get_scoped_queryset(self):
        return self.permission_policy.instances_user_has_any_permission_for(self.request.user, VISIBLE)

    def _requested_pk(self):
        pk = self.kwargs.get(getattr(self, "pk_url_kwarg", None) or "pk")
        if pk is None and self.args:
            pk = self.args[0]
        return None if pk is None else unquote(str(pk))

    def get_scoped_object(self):
        return get_object_or_404(self.get_scoped_queryset(), pk=self._requested_pk())

    def get_object(self, *args, **kwargs):
        pk = self._requested_pk()
        if pk is not None and not self.get_scoped_queryset().filter(pk=pk).exists():
            raise Http404
        return super().get_object(*args, **kwargs)


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    def get_object(self, queryset=None):
        return self.get_scoped_object()


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    def get_object(self, queryset=None):
        return self.get_scoped_object()


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    def get_object(self, queryset=None):
        if getattr(self, "object", None):
            return self.object
        return self.get_scoped_object()


@functools.cache
def scoped_view_class(view_class):
    """`view_class`, or a subclass of it that lists or looks up only inside the user's scope."""
    if issubclass(view_class, ScopedListingMixin | ScopedObjectMixin):
        return view_class
    mixin = ScopedListingMixin if issubclass(view_class, generic.IndexView) else ScopedObjectMixin
    return type(f"Scoped{view_class.__name__}", (mixin, view_class), {"__module__": __name__})


class ScopedViewSet(ModelViewSet):
    """A ModelViewSet whose every view works inside the permission policy's scope. The scope is
    applied where the viewset builds its views (`construct_view`), so the views Wagtail adds
    (history, usage, copy, reorder, any new one) are scoped without being named here;
    tests/producers/test_viewset_scope.py requests every URL a ScopedViewSet registers."""

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    inspect_view_class = ScopedInspectView
    delete_view_class = ScopedDeleteView
    copy_view_enabled = False
    add_to_admin_menu = False

    def __init__(self, *args, policy, **kwargs):
        self._policy = policy
        super().__init__(*args, **kwargs)

    @property
    def permission_policy(self):
        return self._policy

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class), **kwargs)


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
            ensure_group_page(instance, user=self.request.user)
        return instance


class GroupCreateView(generic.CreateView):
    def save_instance(self):
        # The group and its page, collection, editor/publisher groups and workflow, or nothing.
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("group.created", instance)
            ensure_group_page(instance, user=self.request.user)
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
                _("Open"),
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


class EnrolmentViewSet(ScopedViewSet):
    model = Enrolment
    icon = "link"
    menu_label = _("Enrolments")
    form_fields = ["household", "group", "since", "active"]

    def get_form_class(self, for_update=False):
        return EnrolmentForm

    list_display = ["household", "group", "since", "active"]
    list_filter = ["active"]


class ConsentViewSet(ScopedViewSet):
    """Consent history, read-only: decisions are recorded from the household page."""

    model = Consent
    icon = "doc-full"
    menu_label = _("Consents")
    form_fields = ["household", "status", "scope"]
    list_display = ["household", "status", "scope", "recorded_at", "recorded_by"]
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

    list_display = ["household", "surveyed_on", "annual_income", "members", "source"]
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
