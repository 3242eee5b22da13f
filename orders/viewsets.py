"""Wagtail admin: coordinators draft agreements (with their lines inline) and manage companies;
group managers see the orders placed with their groups. Querysets and object lookups go through
the permission policies in orders.permissions."""

from django import forms
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.button import MenuItem

from buyers.models import Company
from marketplace import audit
from marketplace.forms import StoreReachableMixin
from marketplace.viewsets import ScopedDeleteView, ScopedEditView, ScopedIndexView, ScopedViewSet, be_column
from producers.models import Institution, ProducerGroup

from . import selectors
from .models import Order, OrderStatus, PurchaseAgreement
from .permissions import agreement_policy, company_policy, incoming_order_policy

# --- Agreements -----------------------------------------------------------------------------


class PrivateFileInput(forms.ClearableFileInput):
    """Files in private storage have no URL: show the upload field without a link to the current file."""

    def is_initial(self, value):
        return False


class AgreementAdminForm(StoreReachableMixin, WagtailAdminModelForm):
    """Institutions and groups limited to the coordinator's institutions; only drafts are edited
    here (an active agreement changes by amendment, with a reason)."""

    storage_fields = {"signed_document": "private"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = selectors.coordinated_institution_ids(self.for_user) if self.for_user else set()
        if "institution" in self.fields:
            self.fields["institution"].queryset = Institution.objects.filter(pk__in=institutions)
        if "signed_document" in self.fields:
            self.fields["signed_document"].widget = PrivateFileInput(attrs={"accept": "application/pdf,.pdf"})
            if self.instance.signed_document:
                self.fields["signed_document"].help_text = _(
                    "A signed document is stored; upload a file only to replace it."
                )
        if "groups" in self.fields:
            self.fields["groups"].queryset = ProducerGroup.objects.filter(institution_id__in=institutions)
            self.fields["groups"].widget = forms.CheckboxSelectMultiple()
            self.fields["groups"].widget.choices = self.fields["groups"].choices

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.activated_at is not None:
            raise forms.ValidationError(
                _("This agreement is active: change quantities or prices with “Amend”, not by editing.")
            )
        return cleaned


class AgreementIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Overview and performance"),
                url=reverse("orders_admin:agreement_overview", args=[instance.pk]),
                icon_name="table",
                priority=5,
            )
        )
        return buttons


class AgreementCreateView(generic.CreateView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("agreement.created", instance, details={"code": instance.code})
        return instance


class AgreementEditView(ScopedEditView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("agreement.updated", instance, details={"fields": sorted(self.form.changed_data)})
        return instance


class AgreementDeleteView(ScopedDeleteView):
    """Drafts only: an activated agreement is not found here (see AgreementPolicy)."""

    def get_object(self, queryset=None):
        if getattr(self, "object", None):
            return self.object
        deletable = self.permission_policy.instances_user_has_permission_for(self.request.user, "delete")
        return get_object_or_404(deletable, pk=unquote(str(self.kwargs.get(self.pk_url_kwarg) or self.args[0])))

    def delete_action(self):
        with transaction.atomic():
            audit.record("agreement.deleted", self.object, details={"code": self.object.code})
            super().delete_action()


class AgreementViewSet(ScopedViewSet):
    model = PurchaseAgreement
    icon = "doc-full-inverse"
    menu_label = _("Agreements")
    index_view_class = AgreementIndexView
    add_view_class = AgreementCreateView
    edit_view_class = AgreementEditView
    delete_view_class = AgreementDeleteView
    list_display = [
        "code",
        "title",
        "company",
        Column("state_label", label=_("state")),
        be_column(PurchaseAgreement, "valid_from"),
        be_column(PurchaseAgreement, "valid_to"),
    ]
    search_fields = ["code", "title", "company__name_th", "company__name_en"]
    search_backend_name = None
    edit_handler = ObjectList(PurchaseAgreement.panels, base_form_class=AgreementAdminForm)


# --- Companies ------------------------------------------------------------------------------


class CompanyIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Invite a company admin"),
                url=reverse("orders_admin:company_invite", args=[instance.pk]),
                icon_name="mail",
                priority=20,
            )
        )
        return buttons


class CompanyCreateView(generic.CreateView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("company.created", instance, details={"tax_id": instance.tax_id})
        return instance


class CompanyEditView(ScopedEditView):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            audit.record("company.updated", instance, details={"fields": sorted(self.form.changed_data)})
        return instance


class CompanyViewSet(ScopedViewSet):
    model = Company
    icon = "site"
    menu_label = _("Companies")
    index_view_class = CompanyIndexView
    add_view_class = CompanyCreateView
    edit_view_class = CompanyEditView
    list_display = ["name_th", "name_en", "tax_id", "status"]
    search_fields = ["name_th", "name_en", "tax_id"]
    search_backend_name = None
    panels = [
        FieldPanel("name_th"),
        FieldPanel("name_en"),
        FieldPanel("tax_id"),
        FieldPanel("address"),
        FieldPanel("billing_email"),
        FieldPanel("po_number_required"),
        FieldPanel("status"),
    ]


# --- Incoming orders ------------------------------------------------------------------------


def _placed_at(order) -> str:
    from marketplace.templatetags.thai import be_datetime

    return be_datetime(order.placed_at)


class IncomingOrderIndexView(ScopedIndexView):
    """Orders waiting on the group first (placed, then confirmed), newest first within each; the
    finished ones after them. A column header the user clicks sorts as they ask instead."""

    default_ordering = None

    def get_base_queryset(self):
        waiting = Case(
            When(status=OrderStatus.PLACED, then=Value(0)),
            When(status=OrderStatus.CONFIRMED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return super().get_base_queryset().select_related("company", "group").annotate(waiting=waiting)

    def order_queryset(self, queryset):
        if self.ordering:
            return super().order_queryset(queryset)
        return queryset.order_by("waiting", "-placed_at", "-pk")

    def get_list_more_buttons(self, instance):
        return [
            MenuItem(
                pgettext_lazy("open a record", "Open"),
                url=reverse("orders_admin:order_detail", args=[instance.pk]),
                icon_name="view",
                priority=5,
            )
        ]

    def get_edit_url(self, instance):
        return reverse("orders_admin:order_detail", args=[instance.pk])


class IncomingOrderViewSet(ScopedViewSet):
    model = Order
    icon = "list-ul"
    menu_label = _("Incoming orders")
    index_view_class = IncomingOrderIndexView
    list_display = [
        "number",
        "company",
        "group",
        "status",
        Column("placed_at", label=_("placed at"), accessor=_placed_at),
    ]
    list_filter = ["status", "kind"]
    search_fields = ["number", "company__name_th", "po_number"]
    search_backend_name = None
    form_fields = ["buyer_note"]
    # CSV / XLSX of the listing as filtered, with what the group needs to deliver and invoice.
    list_export = [
        "number",
        "kind",
        "company",
        "group",
        "status",
        "payment_status",
        "placed_at",
        "po_number",
        "delivery_address",
        "required_by",
        "total",
    ]
    export_filename = "orders"


class OrdersViewSetGroup(ViewSetGroup):
    menu_label = _("Agreements and orders")
    menu_icon = "doc-full-inverse"
    menu_order = 210
    items = (
        AgreementViewSet("agreements", policy=agreement_policy),
        CompanyViewSet("companies", policy=company_policy),
        IncomingOrderViewSet("incoming_orders", policy=incoming_order_policy),
    )
