"""Role × object matrix: every URL of the site, the buyer portal, both admins and the API, asked
for by each kind of user with the ids of objects from a scope that is not theirs.

The URL patterns are walked from the resolver (Wagtail admin viewsets included), so a new URL
without an entry in TABLE fails `test_every_url_pattern_has_an_entry`. Each entry says how to fill
the pattern's kwargs (object keys from tests/marketplace/matrix_world.py, resolved in the role's
foreign scope; "=text" is a literal); SKIP entries name why a pattern is not requested.

Every response must be something other than a server error and must not contain a marker (a
household's name, phone, citizen-ID digits or code; an order, agreement, delivery or invoice
number; a company's tax ID or API key; a group's bank account; a payout reference) that the role
may not read (matrix_world's *_READERS tables say who may).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import urllib.parse
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.marketplace import matrix_world
from tests.marketplace.matrix_world import FOREIGN_SCOPE, ROLES

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Entry:
    kwargs: dict = field(default_factory=dict)
    args: tuple = ()
    # One request per query (each {name: spec}), on top of the kwargs.
    queries: tuple = ({},)
    # Builds the path where reverse() cannot (unnamed or positional patterns): (world, scope) -> str.
    url: Callable | None = None
    # Also POST an empty body (a form, or `{}` to the API): the view must refuse a foreign object.
    post: bool = False


@dataclass(frozen=True)
class Skip:
    reason: str


def E(kwargs: dict | None = None, **options) -> Entry:
    return Entry(kwargs or {}, **options)


def P(kwargs: dict | None = None, **options) -> Entry:
    """An action URL: GET and an empty POST."""
    return Entry(kwargs or {}, post=True, **options)


def content_type_of(key: str) -> Callable:
    return lambda world, scope: ContentType.objects.get_for_model(world.obj(scope, key)).pk


def document_serve(world, scope) -> str:
    document = world.obj(scope, "document")
    return reverse("wagtaildocs_serve", args=[document.pk, document.filename])


def page_url(world, scope) -> str:
    return world.obj(scope, "product").url


def admin_redirect(path: str, key: str) -> Callable:
    """Django admin's bare `<object_id>/` patterns (no name): a redirect to the change view."""
    return lambda world, scope: f"/django-admin/{path}/{resolve(key, world, scope)}/"


SKIP_HEALTH = Skip("health check: says whether the database answers, reads no object")
SKIP_STATIC = Skip("static asset (icon sprite, JavaScript translation catalogue): the same bytes for all, no data")
SKIP_MEDIA = Skip("public media served by Django only with DEBUG on; personal files live in private storage")
SKIP_DOCS = Skip("Swagger UI: a static page around api-v1:openapi-json, which is requested")
SKIP_ERRORTEST = Skip("Wagtail's error-page test: raises on purpose (a 500 by design), reads no data")

TABLE: dict[str, dict | Entry | Skip] = {
    "healthz": SKIP_HEALTH,
    "readyz": SKIP_HEALTH,
    "set_language": P(),
    "account_login": {},
    "account_logout": {},
    "account_inactive": {},
    "account_signup": {},
    "account_reauthenticate": {},
    "account_email": {},
    "account_email_verification_sent": {},
    "account_change_password": {},
    "account_set_password": {},
    "account_reset_password": {},
    "account_confirm_login_code": {},
    "account_confirm_email": {"key": "=matrix-key"},
    "account_reset_password_from_key_done": {},
    "account_reset_password_from_key": {"uidb36": "=1", "key": "=matrix-key"},
    "account_reset_password_done": {},
    "mfa_index": {},
    "mfa_authenticate": {},
    "mfa_reauthenticate": {},
    "mfa_activate_totp": {},
    "mfa_deactivate_totp": {},
    "mfa_view_recovery_codes": {},
    "mfa_generate_recovery_codes": {},
    "mfa_download_recovery_codes": {},
    "buyers:home": {},
    "buyers:company_list": {},
    "buyers:invoice_list": E(queries=({}, {"state": "=overdue"}, {"state": "=all"})),
    "buyers:deliveries_to_accept": {},
    "buyers:company": {"pk": "company"},
    "buyers:invitation_revoke": P({"pk": "company", "invitation_pk": "invitation"}),
    "buyers:member_remove": P({"pk": "company", "membership_pk": "company_membership"}),
    "company_impact:impact": {"pk": "company"},
    "company_impact:impact_home": {},
    "buyers:addresses": P({"pk": "company"}),
    "buyers:address_edit": P({"pk": "company", "address_pk": "address"}),
    "buyers:address_default": P({"pk": "company", "address_pk": "address"}),
    "buyers:address_delete": P({"pk": "company", "address_pk": "address"}),
    "buyers:api_keys_home": {},
    "buyers:api_keys": {"pk": "company"},
    "buyers:api_key_revoke": P({"pk": "company", "key_pk": "api_key"}),
    "buyers:api_key_reissue": P({"pk": "company", "key_pk": "api_key"}),
    "buyers:invitation": P({"token": "invitation_token"}),
    "buyers:agreement_list": {},
    "buyers:agreement_detail": {"pk": "agreement"},
    "buyers:agreement_csv": {"pk": "agreement"},
    "buyers:call_off": P({"pk": "agreement"}),
    "buyers:order_list": {},
    "buyers:order_csv": E(queries=({}, {"status": "=placed"})),
    "buyers:order_detail": {"pk": "call_off"},
    "buyers:order_cancel": P({"pk": "call_off"}),
    "buyers:order_receipt": {"pk": "market_order"},
    "buyers:delivery_accept": P({"pk": "call_off_delivery"}),
    "buyers:delivery_photo": {"pk": "call_off_delivery"},
    "buyers:invoice": {"pk": "invoice"},
    "field:queue": E(queries=({}, {"status": "=all"})),
    "field:household": {"pk": "household"},
    "field:verify": P({"pk": "household"}),
    "field:assess": P({"pk": "household"}),
    "field:consent": P({"pk": "household"}),
    "field:refer": P({"need_pk": "need"}),
    "field:referrals": E(queries=({}, {"state": "=referred"})),
    "field:analysis": E(queries=({}, {"province": "=45"})),
    "field:analysis_list": E(queries=({"dimension": "=health"}, {"verification": "=unverified"}, {"province": "=45"})),
    "field:analysis_export": E({"fmt": "=csv"}, queries=({}, {"province": "=45"})),
    "agency:home": E(queries=({}, {"state": "=all"})),
    "agency:referral": {"pk": "referral"},
    "agency:transition": P({"pk": "referral"}),
    "cart:detail": {},
    "cart:add": P({"product_pk": "product"}),
    "cart:update": P({"product_pk": "product"}),
    "cart:remove": P({"product_pk": "product"}),
    "cart:checkout": P(),
    "cart:checkout_detail": {"reference": "checkout.reference"},
    "cart:checkout_cancel": P({"reference": "checkout.reference"}),
    "wagtailadmin_login_redirect": {},
    "wagtailadmin_home": {},
    "admin/test404/": E(url=lambda world, scope: "/admin/test404/"),
    "wagtailadmin_api:pages:listing": {},
    "wagtailadmin_api:pages:detail": {"pk": "product"},
    "wagtailadmin_api:pages:find": {},
    "wagtailadmin_api:pages:action": P({"pk": "product", "action_name": "=copy"}),
    "wagtailadmin_api:documents:listing": {},
    "wagtailadmin_api:documents:detail": {"pk": "document"},
    "wagtailadmin_api:documents:find": {},
    "wagtailadmin_api:images:listing": {},
    "wagtailadmin_api:images:detail": {"pk": "image"},
    "wagtailadmin_api:images:find": {},
    "wagtailadmin_error_test": SKIP_ERRORTEST,
    "wagtailadmin_explore_root": {},
    "wagtailadmin_explore": {"parent_page_id": "group_page"},
    "wagtailadmin_explore_results": {"parent_page_id": "group_page"},
    "wagtail_bulk_action": E(
        {"app_label": "=wagtailcore", "model_name": "=page", "action": "=delete"}, queries=({"id": "product"},)
    ),
    "wagtailadmin_pages:add": {
        "content_type_app_name": "=cms",
        "content_type_model_name": "=productpage",
        "parent_page_id": "group_page",
    },
    "wagtailadmin_pages:preview_on_add": {
        "content_type_app_name": "=cms",
        "content_type_model_name": "=productpage",
        "parent_page_id": "group_page",
    },
    "wagtailadmin_pages:type_use": {"content_type_app_name": "=cms", "content_type_model_name": "=productpage"},
    "wagtailadmin_pages:choose_parent": {"app_label": "=cms", "model_name": "=productpage"},
    "wagtailadmin_pages:type_use_results": {"content_type_app_name": "=cms", "content_type_model_name": "=productpage"},
    "wagtailadmin_pages:usage": {"page_id": "product"},
    "wagtailadmin_pages:edit": {"page_id": "product"},
    "wagtailadmin_pages:preview_on_edit": {"page_id": "product"},
    "wagtailadmin_pages:view_draft": {"page_id": "product"},
    "wagtailadmin_pages:add_subpage": {"parent_page_id": "group_page"},
    "wagtailadmin_pages:delete": {"page_id": "product"},
    "wagtailadmin_pages:unpublish": {"page_id": "product"},
    "wagtailadmin_pages:convert_alias": {"page_id": "product"},
    "wagtailadmin_pages:search": {},
    "wagtailadmin_pages:search_results": {},
    "wagtailadmin_pages:move": {"page_to_move_id": "product"},
    "wagtailadmin_pages:move_confirm": {"page_to_move_id": "product", "destination_id": "group_page"},
    "wagtailadmin_pages:set_page_position": {"page_to_move_id": "product"},
    "wagtailadmin_pages:copy": {"page_id": "product"},
    "wagtailadmin_pages:workflow_action": {
        "page_id": "product",
        "action_name": "=approve",
        "task_state_id": "task_state",
    },
    "wagtailadmin_pages:collect_workflow_action_data": {
        "page_id": "product",
        "action_name": "=approve",
        "task_state_id": "task_state",
    },
    "wagtailadmin_pages:confirm_workflow_cancellation": {"page_id": "product"},
    "wagtailadmin_pages:workflow_preview": {"page_id": "product", "task_id": "task"},
    "wagtailadmin_pages:set_privacy": {"page_id": "product"},
    "wagtailadmin_pages:lock": {"page_id": "product"},
    "wagtailadmin_pages:unlock": {"page_id": "product"},
    "wagtailadmin_pages:revisions_index": {"page_id": "product"},
    "wagtailadmin_pages:revisions_view": {"page_id": "product", "revision_id": "revision"},
    "wagtailadmin_pages:revisions_revert": {"page_id": "product", "revision_id": "revision"},
    "wagtailadmin_pages:revisions_unschedule": {"page_id": "product", "revision_id": "revision"},
    "wagtailadmin_pages:revisions_compare": {"pk": "product", "revision_id_a": "=earliest", "revision_id_b": "=latest"},
    "wagtailadmin_pages:workflow_history": {"page_id": "product"},
    "wagtailadmin_pages:workflow_history_detail": {"page_id": "product", "workflow_state_id": "workflow_state"},
    "wagtailadmin_pages:history": {"page_id": "product"},
    "wagtailadmin_pages:history_results": {"page_id": "product"},
    "wagtailadmin_choose_page": {},
    "wagtailadmin_choose_page_child": {"parent_page_id": "group_page"},
    "wagtailadmin_choose_page_search": {},
    "wagtailadmin_choose_page_chosen_multiple": {},
    "wagtailadmin_choose_page_external_link": {},
    "wagtailadmin_choose_page_email_link": {},
    "wagtailadmin_choose_page_phone_link": {},
    "wagtailadmin_choose_page_anchor_link": {},
    "wagtailadmin_tag_autocomplete": {},
    "wagtailadmin_tag_model_autocomplete": {"app_name": "=wagtailimages", "model_name": "=image"},
    "wagtailadmin_collections:index": {},
    "wagtailadmin_collections:add": {},
    "wagtailadmin_collections:edit": {"pk": "collection"},
    "wagtailadmin_collections:delete": {"pk": "collection"},
    "wagtailadmin_collections:set_privacy": {"collection_id": "collection"},
    "wagtailadmin_workflows:index": {},
    "wagtailadmin_workflows:index_results": {},
    "wagtailadmin_workflows:add": {},
    "wagtailadmin_workflows:enable": {"pk": "workflow"},
    "wagtailadmin_workflows:disable": {"pk": "workflow"},
    "wagtailadmin_workflows:edit": {"pk": "workflow"},
    "wagtailadmin_workflows:usage": {"pk": "workflow"},
    "wagtailadmin_workflows:usage_results": {"pk": "workflow"},
    "wagtailadmin_workflows:remove admin/workflows/remove/<int:page_pk>/": {"page_pk": "product"},
    "wagtailadmin_workflows:remove admin/workflows/remove/<int:page_pk>/<int:workflow_pk>/": {
        "page_pk": "product",
        "workflow_pk": "workflow",
    },
    "wagtailadmin_workflows:add_task": {"app_label": "=wagtailcore", "model_name": "=groupapprovaltask"},
    "wagtailadmin_workflows:select_task_type": {},
    "wagtailadmin_workflows:task_index": {},
    "wagtailadmin_workflows:task_index_results": {},
    "wagtailadmin_workflows:edit_task": {"pk": "task"},
    "wagtailadmin_workflows:disable_task": {"pk": "task"},
    "wagtailadmin_workflows:enable_task": {"pk": "task"},
    "wagtailadmin_workflows:task_chooser": {},
    "wagtailadmin_workflows:task_chooser_results": {},
    "wagtailadmin_workflows:task_chooser_create": {},
    "wagtailadmin_workflows:task_chosen": {"task_id": "task"},
    "wagtailadmin_reports:locked_pages": {},
    "wagtailadmin_reports:locked_pages_results": {},
    "wagtailadmin_reports:workflow": {},
    "wagtailadmin_reports:workflow_results": {},
    "wagtailadmin_reports:workflow_tasks": {},
    "wagtailadmin_reports:workflow_tasks_results": {},
    "wagtailadmin_reports:site_history": {},
    "wagtailadmin_reports:site_history_results": {},
    "wagtailadmin_reports:aging_pages": {},
    "wagtailadmin_reports:aging_pages_results": {},
    "wagtailadmin_reports:page_types_usage": {},
    "wagtailadmin_reports:page_types_usage_results": {},
    "wagtailadmin_account": {},
    "wagtailadmin_logout": {},
    "wagtailadmin_dismissibles": {},
    "wagtailadmin_editing_sessions:ping": P(
        {"app_label": "=wagtailcore", "model_name": "=page", "object_id": "product", "session_id": "=1"}
    ),
    "wagtailadmin_editing_sessions:release": P({"session_id": "=1"}),
    "wagtailadmin_block_preview": {},
    "producers_admin:household_detail": {"pk": "household"},
    "producers_admin:household_consent": P({"pk": "household"}),
    "producers_admin:household_erase": P({"pk": "household"}),
    "producers_admin:consent_evidence": {"pk": "consent"},
    "producers_admin:households_export": E(
        queries=({}, {"group": "group"}, {"group": "=abc"}, {"province_code": "=45"})
    ),
    "producers_admin:group_verification": P({"pk": "group"}),
    "ledger:delivery_contributions": P({"pk": "delivery"}),
    "ledger:household_payouts": P({"pk": "household"}),
    "todo:list": E({"key": "=payouts"}, queries=({}, {"group": "group"})),
    "ledger:payout_slip": {"pk": "payout"},
    "cms_quick_product_add": P(),
    "cms_quick_product_list": {},
    "cms_quick_product_edit": P({"pk": "product"}),
    "ledger:household_statement": E({"pk": "household"}, queries=({}, {"group": "group"})),
    "impact:dashboard": E(queries=({}, {"group": "group"}, {"province": "=45"})),
    "impact:drilldown": E({"figure": "=enrolled"}, queries=({}, {"group": "group"})),
    "impact:export_figures": {"fmt": "=csv"},
    "impact:export_households": E({"figure": "=enrolled", "fmt": "=xlsx"}, queries=({}, {"group": "group"})),
    "impact:export_iris": {},
    "household_import:upload": {},
    "household_import:detail": {"pk": "import"},
    "household_import:confirm": P({"pk": "import"}),
    "orders_admin:agreement_overview": {"pk": "agreement"},
    "orders_admin:agreement_activate": P({"pk": "agreement"}),
    "orders_admin:agreement_terminate": P({"pk": "agreement"}),
    "orders_admin:agreement_amend": P({"pk": "agreement"}),
    "orders_admin:agreement_csv": {"pk": "agreement"},
    "orders_admin:agreement_document": {"pk": "agreement"},
    "orders_admin:company_invite": P({"pk": "company"}),
    "orders_admin:order_detail": {"pk": "call_off"},
    "orders_admin:order_confirm": P({"pk": "call_off"}),
    "orders_admin:order_decline": P({"pk": "call_off"}),
    "orders_admin:order_deliver": P({"pk": "call_off"}),
    "orders_admin:order_cancel": P({"pk": "call_off"}),
    "orders_admin:invoice_retry": P({"pk": "invoice"}),
    "orders_admin:overdue_invoices": {},
    "orders_admin:outbox": E(queries=({}, {"status": "=failed"})),
    "orders_admin:outbox_retry": P({"pk": "=999999"}),
    "orders_admin:job_retry": P({"pk": "=00000000-0000-0000-0000-000000000000"}),
    "orders_admin:stock_update": P({"product_pk": "product"}),
    "wagtailforms:index": {},
    "wagtailforms:index_results": {},
    "wagtailforms:list_submissions": {"page_id": "product"},
    "wagtailforms:list_submissions_results": {"page_id": "product"},
    "wagtailforms:delete_submissions": {"page_id": "product"},
    "wagtailredirects:index": {},
    "wagtailredirects:index_results": {},
    "wagtailredirects:add": {},
    "wagtailredirects:edit": {"redirect_id": "redirect"},
    "wagtailredirects:delete": {"redirect_id": "redirect"},
    "wagtailredirects:start_import": {},
    "wagtailredirects:process_import": {},
    "wagtailsettings:edit admin/settings/<slug:app_name>/<slug:model_name>/": {
        "app_name": "=cms",
        "model_name": "=homepage",
    },
    "wagtailsettings:edit admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/": {
        "app_name": "=cms",
        "model_name": "=homepage",
        "pk": "=1",
    },
    "wagtailsettings:preview_on_edit": {"app_name": "=cms", "model_name": "=homepage", "pk": "=1"},
    "wagtailembeds:chooser": {},
    "wagtailembeds:chooser_upload": {},
    "wagtailsnippets:index": {},
    "wagtaildocs:index": {},
    "wagtaildocs:index_results": {},
    "wagtaildocs:add": {},
    "wagtaildocs:edit": {"document_id": "document"},
    "wagtaildocs:delete": {"document_id": "document"},
    "wagtaildocs:add_multiple": {},
    "wagtaildocs:edit_multiple": {"doc_id": "document"},
    "wagtaildocs:create_multiple_from_uploaded_document": {"uploaded_file_id": "=1"},
    "wagtaildocs:delete_multiple": {"doc_id": "document"},
    "wagtaildocs:delete_upload_multiple": {"uploaded_file_id": "=1"},
    "wagtaildocs:document_usage": {"document_id": "document"},
    "wagtailimages:index": {},
    "wagtailimages:index_results": {},
    "wagtailimages:edit": {"image_id": "image"},
    "wagtailimages:delete": {"image_id": "image"},
    "wagtailimages:url_generator": {"image_id": "image"},
    "wagtailimages:url_generator_output": {"image_id": "image"},
    "wagtailimages:preview": {"image_id": "image", "filter_spec": "=fill-80x80"},
    "wagtailimages:add": {},
    "wagtailimages:image_usage": {"image_id": "image"},
    "wagtailimages:add_multiple": {},
    "wagtailimages:edit_multiple": {"image_id": "image"},
    "wagtailimages:create_multiple_from_uploaded_image": {"uploaded_file_id": "=1"},
    "wagtailimages:delete_multiple": {"image_id": "image"},
    "wagtailimages:delete_upload_multiple": {"uploaded_file_id": "=1"},
    "wagtailsnippets_cms_category:list": {},
    "wagtailsnippets_cms_category:list_results": {},
    "wagtailsnippets_cms_category:add": {},
    "wagtailsnippets_cms_category:edit": {"pk": "category"},
    "wagtailsnippets_cms_category:delete": {"pk": "category"},
    "wagtailsnippets_cms_category:usage": {"pk": "category"},
    "wagtailsnippets_cms_category:history": {"pk": "category"},
    "wagtailsnippets_cms_category:history_results": {"pk": "category"},
    "wagtailsnippets_cms_category:copy": {"pk": "category"},
    "wagtailsnippetchoosers_cms_category:choose": {},
    "wagtailsnippetchoosers_cms_category:choose_results": {},
    "wagtailsnippetchoosers_cms_category:chosen": {"pk": "category"},
    "wagtailsnippetchoosers_cms_category:chosen_multiple": {},
    "wagtailsnippetchoosers_cms_category:create": {},
    "wagtailsnippets_cms_certification:list": {},
    "wagtailsnippets_cms_certification:list_results": {},
    "wagtailsnippets_cms_certification:add": {},
    "wagtailsnippets_cms_certification:edit": {"pk": "certification"},
    "wagtailsnippets_cms_certification:delete": {"pk": "certification"},
    "wagtailsnippets_cms_certification:usage": {"pk": "certification"},
    "wagtailsnippets_cms_certification:history": {"pk": "certification"},
    "wagtailsnippets_cms_certification:history_results": {"pk": "certification"},
    "wagtailsnippets_cms_certification:copy": {"pk": "certification"},
    "wagtailsnippetchoosers_cms_certification:choose": {},
    "wagtailsnippetchoosers_cms_certification:choose_results": {},
    "wagtailsnippetchoosers_cms_certification:chosen": {"pk": "certification"},
    "wagtailsnippetchoosers_cms_certification:chosen_multiple": {},
    "wagtailsnippetchoosers_cms_certification:create": {},
    "producer_groups:index": {},
    "producer_groups:index_results": {},
    "producer_groups:add": {},
    "producer_groups:edit": {"pk": "group"},
    "producer_groups:delete": {"pk": "group"},
    "producer_groups:history": {"pk": "group"},
    "producer_groups:history_results": {"pk": "group"},
    "producer_groups:usage": {"pk": "group"},
    "producer_groups:inspect": {"pk": "group"},
    "households:index": {},
    "households:index_results": {},
    "households:add": {},
    "households:edit": {"pk": "household"},
    "households:delete": {"pk": "household"},
    "households:history": {"pk": "household"},
    "households:history_results": {"pk": "household"},
    "households:usage": {"pk": "household"},
    "enrolments:index": {},
    "enrolments:index_results": {},
    "enrolments:add": {},
    "enrolments:edit": {"pk": "enrolment"},
    "enrolments:delete": {"pk": "enrolment"},
    "enrolments:history": {"pk": "enrolment"},
    "enrolments:history_results": {"pk": "enrolment"},
    "enrolments:usage": {"pk": "enrolment"},
    "consents:index": {},
    "consents:index_results": {},
    "consents:add": {},
    "consents:edit": {"pk": "consent"},
    "consents:delete": {"pk": "consent"},
    "consents:history": {"pk": "consent"},
    "consents:history_results": {"pk": "consent"},
    "consents:usage": {"pk": "consent"},
    "income_surveys:index": {},
    "income_surveys:index_results": {},
    "income_surveys:add": {},
    "income_surveys:edit": {"pk": "survey"},
    "income_surveys:delete": {"pk": "survey"},
    "income_surveys:history": {"pk": "survey"},
    "income_surveys:history_results": {"pk": "survey"},
    "income_surveys:usage": {"pk": "survey"},
    "agreements:index": {},
    "agreements:index_results": {},
    "agreements:add": {},
    "agreements:edit": {"pk": "agreement"},
    "agreements:delete": {"pk": "agreement"},
    "agreements:history": {"pk": "agreement"},
    "agreements:history_results": {"pk": "agreement"},
    "agreements:usage": {"pk": "agreement"},
    "companies:index": {},
    "companies:index_results": {},
    "companies:add": {},
    "companies:edit": {"pk": "company"},
    "companies:delete": {"pk": "company"},
    "companies:history": {"pk": "company"},
    "companies:history_results": {"pk": "company"},
    "companies:usage": {"pk": "company"},
    "agencies:index": {},
    "agencies:index_results": {},
    "agencies:add": {},
    "agencies:edit": {"pk": "agency"},
    "agencies:delete": {"pk": "agency"},
    "agencies:history": {"pk": "agency"},
    "agencies:history_results": {"pk": "agency"},
    "agencies:usage": {"pk": "agency"},
    "agency_staff:index": {},
    "agency_staff:index_results": {},
    "agency_staff:add": {},
    "agency_staff:edit": {"pk": "agency_membership"},
    "agency_staff:delete": {"pk": "agency_membership"},
    "agency_staff:history": {"pk": "agency_membership"},
    "agency_staff:history_results": {"pk": "agency_membership"},
    "agency_staff:usage": {"pk": "agency_membership"},
    "area_research_managers:index": {},
    "area_research_managers:index_results": {},
    "area_research_managers:add": {},
    "area_research_managers:edit": {"pk": "field_assignment"},
    "area_research_managers:delete": {"pk": "field_assignment"},
    "area_research_managers:history": {"pk": "field_assignment"},
    "area_research_managers:history_results": {"pk": "field_assignment"},
    "area_research_managers:usage": {"pk": "field_assignment"},
    "incoming_orders:index": {},
    "incoming_orders:index_results": {},
    "incoming_orders:add": {},
    "incoming_orders:edit": {"pk": "call_off"},
    "incoming_orders:delete": {"pk": "call_off"},
    "incoming_orders:history": {"pk": "call_off"},
    "incoming_orders:history_results": {"pk": "call_off"},
    "incoming_orders:usage": {"pk": "call_off"},
    "wagtailsites:index": {},
    "wagtailsites:index_results": {},
    "wagtailsites:add": {},
    "wagtailsites:edit": {"pk": "site"},
    "wagtailsites:delete": {"pk": "site"},
    "wagtailsites:history": {"pk": "site"},
    "wagtailsites:history_results": {"pk": "site"},
    "wagtailsites:usage": {"pk": "site"},
    "wagtailsites:copy": {"pk": "site"},
    "wagtailusers_users:index": {},
    "wagtailusers_users:index_results": {},
    "wagtailusers_users:add": {},
    "wagtailusers_users:edit": {"pk": "manager"},
    "wagtailusers_users:delete": {"pk": "manager"},
    "wagtailusers_users:history": {"pk": "manager"},
    "wagtailusers_users:history_results": {"pk": "manager"},
    "wagtailusers_users:usage": {"pk": "manager"},
    "wagtailusers_users:copy": {"pk": "manager"},
    "wagtailusers_groups:index": {},
    "wagtailusers_groups:index_results": {},
    "wagtailusers_groups:add": {},
    "wagtailusers_groups:edit": {"pk": "editors"},
    "wagtailusers_groups:delete": {"pk": "editors"},
    "wagtailusers_groups:history": {"pk": "editors"},
    "wagtailusers_groups:history_results": {"pk": "editors"},
    "wagtailusers_groups:usage": {"pk": "editors"},
    "wagtaildocs_chooser:choose": {},
    "wagtaildocs_chooser:choose_results": {},
    "wagtaildocs_chooser:chosen": {"pk": "document"},
    "wagtaildocs_chooser:chosen_multiple": {},
    "wagtaildocs_chooser:create": {},
    "wagtailimages_chooser:choose": {},
    "wagtailimages_chooser:choose_results": {},
    "wagtailimages_chooser:chosen": {"pk": "image"},
    "wagtailimages_chooser:chosen_multiple": {},
    "wagtailimages_chooser:create": {},
    "wagtailimages_chooser:select_format": {"image_id": "image"},
    "wagtailadmin_sprite": SKIP_STATIC,
    "wagtailadmin_login": {},
    "wagtailadmin_password_reset": {},
    "wagtailadmin_password_reset_done": {},
    "wagtailadmin_password_reset_confirm": {"uidb64": "=MQ", "token": "=matrix-token"},
    "wagtailadmin_password_reset_complete": {},
    "wagtailadmin_javascript_catalog": SKIP_STATIC,
    "admin/^.*/$": E(url=lambda world, scope: "/admin/no-such-page/"),
    "admin:index": {},
    "admin:login": {},
    "admin:logout": {},
    "admin:password_change": {},
    "admin:password_change_done": {},
    "admin:autocomplete": {},
    "admin:jsi18n": SKIP_STATIC,
    "admin:view_on_site": {"content_type_id": content_type_of("household"), "object_id": "household"},
    "admin:auth_group_changelist": {},
    "admin:auth_group_add": {},
    "admin:auth_group_history": {"object_id": "editors"},
    "admin:auth_group_delete": {"object_id": "editors"},
    "admin:auth_group_change": {"object_id": "editors"},
    "django-admin/auth/group/<path:object_id>/": E(url=admin_redirect("auth/group", "editors")),
    "admin:auth_user_password_change": {"id": "manager"},
    "admin:marketplace_user_changelist": {},
    "admin:marketplace_user_add": {},
    "admin:marketplace_user_history": {"object_id": "manager"},
    "admin:marketplace_user_delete": {"object_id": "manager"},
    "admin:marketplace_user_change": {"object_id": "manager"},
    "django-admin/marketplace/user/<path:object_id>/": E(url=admin_redirect("marketplace/user", "manager")),
    "admin:marketplace_auditevent_changelist": {},
    "admin:marketplace_auditevent_add": {},
    "admin:marketplace_auditevent_history": {"object_id": "audit_event"},
    "admin:marketplace_auditevent_delete": {"object_id": "audit_event"},
    "admin:marketplace_auditevent_change": {"object_id": "audit_event"},
    "django-admin/marketplace/auditevent/<path:object_id>/": E(
        url=admin_redirect("marketplace/auditevent", "audit_event")
    ),
    "admin:producers_institution_changelist": {},
    "admin:producers_institution_add": {},
    "admin:producers_institution_history": {"object_id": "institution"},
    "admin:producers_institution_delete": {"object_id": "institution"},
    "admin:producers_institution_change": {"object_id": "institution"},
    "django-admin/producers/institution/<path:object_id>/": E(
        url=admin_redirect("producers/institution", "institution")
    ),
    "admin:producers_coordinatorassignment_changelist": {},
    "admin:producers_coordinatorassignment_add": {},
    "admin:producers_coordinatorassignment_history": {"object_id": "assignment"},
    "admin:producers_coordinatorassignment_delete": {"object_id": "assignment"},
    "admin:producers_coordinatorassignment_change": {"object_id": "assignment"},
    "django-admin/producers/coordinatorassignment/<path:object_id>/": E(
        url=admin_redirect("producers/coordinatorassignment", "assignment")
    ),
    "admin:producers_groupmembership_changelist": {},
    "admin:producers_groupmembership_add": {},
    "admin:producers_groupmembership_history": {"object_id": "manager_membership"},
    "admin:producers_groupmembership_delete": {"object_id": "manager_membership"},
    "admin:producers_groupmembership_change": {"object_id": "manager_membership"},
    "django-admin/producers/groupmembership/<path:object_id>/": E(
        url=admin_redirect("producers/groupmembership", "manager_membership")
    ),
    "admin:producers_povertyline_changelist": {},
    "admin:producers_povertyline_add": {},
    "admin:producers_povertyline_history": {"object_id": "poverty_line"},
    "admin:producers_povertyline_delete": {"object_id": "poverty_line"},
    "admin:producers_povertyline_change": {"object_id": "poverty_line"},
    "django-admin/producers/povertyline/<path:object_id>/": E(
        url=admin_redirect("producers/povertyline", "poverty_line")
    ),
    "admin:wagtaildocs_document_changelist": {},
    "admin:wagtaildocs_document_add": {},
    "admin:wagtaildocs_document_history": {"object_id": "document"},
    "admin:wagtaildocs_document_delete": {"object_id": "document"},
    "admin:wagtaildocs_document_change": {"object_id": "document"},
    "django-admin/wagtaildocs/document/<path:object_id>/": E(url=admin_redirect("wagtaildocs/document", "document")),
    "admin:wagtailimages_image_changelist": {},
    "admin:wagtailimages_image_add": {},
    "admin:wagtailimages_image_history": {"object_id": "image"},
    "admin:wagtailimages_image_delete": {"object_id": "image"},
    "admin:wagtailimages_image_change": {"object_id": "image"},
    "django-admin/wagtailimages/image/<path:object_id>/": E(url=admin_redirect("wagtailimages/image", "image")),
    "admin:taggit_tag_merge_tags": {},
    "admin:taggit_tag_changelist": {},
    "admin:taggit_tag_add": {},
    "admin:taggit_tag_history": {"object_id": "=1"},
    "admin:taggit_tag_delete": {"object_id": "=1"},
    "admin:taggit_tag_change": {"object_id": "=1"},
    "django-admin/taggit/tag/<path:object_id>/": E(url=admin_redirect("taggit/tag", "=1")),
    "admin:django_tasks_database_dbtaskresult_changelist": {},
    "admin:django_tasks_database_dbtaskresult_add": {},
    "admin:django_tasks_database_dbtaskresult_history": {"object_id": "=00000000-0000-0000-0000-000000000001"},
    "admin:django_tasks_database_dbtaskresult_delete": {"object_id": "=00000000-0000-0000-0000-000000000001"},
    "admin:django_tasks_database_dbtaskresult_change": {"object_id": "=00000000-0000-0000-0000-000000000001"},
    "django-admin/django_tasks_database/dbtaskresult/<path:object_id>/": E(
        url=admin_redirect("django_tasks_database/dbtaskresult", "=00000000-0000-0000-0000-000000000001")
    ),
    "admin:account_emailaddress_changelist": {},
    "admin:account_emailaddress_add": {},
    "admin:account_emailaddress_history": {"object_id": "email_address"},
    "admin:account_emailaddress_delete": {"object_id": "email_address"},
    "admin:account_emailaddress_change": {"object_id": "email_address"},
    "django-admin/account/emailaddress/<path:object_id>/": E(
        url=admin_redirect("account/emailaddress", "email_address")
    ),
    "admin:mfa_authenticator_changelist": {},
    "admin:mfa_authenticator_add": {},
    "admin:mfa_authenticator_history": {"object_id": "authenticator"},
    "admin:mfa_authenticator_delete": {"object_id": "authenticator"},
    "admin:mfa_authenticator_change": {"object_id": "authenticator"},
    "django-admin/mfa/authenticator/<path:object_id>/": E(url=admin_redirect("mfa/authenticator", "authenticator")),
    "admin:app_list": E({"app_label": "=producers"}),
    "django-admin/(?P<url>.*)$": E(url=lambda world, scope: "/django-admin/no-such-page/"),
    "wagtaildocs_serve": E(url=document_serve),
    "wagtaildocs_authenticate_with_password": {"restriction_id": "=1"},
    "sitemap": {},
    "search": {},
    "payments:stripe_webhook": P(),
    "payments:demo_checkout": P({"session_id": "=cs_test_matrix"}),
    "payments:demo_invoice": P({"invoice_id": "invoice.stripe_invoice_id"}),
    "api-v1:openapi-json": {},
    "api-v1:openapi-view": SKIP_DOCS,
    "api-v1:list_products": {},
    "api-v1:get_product": {"product_id": "product"},
    "api-v1:list_agreements": {},
    "api-v1:get_agreement": {"code": "agreement.code"},
    "api-v1:call_off_create": P({"code": "agreement.code"}),
    "api-v1:order_list": {},
    "api-v1:delivery_addresses": {},
    "api-v1:order_detail": {"number": "call_off.number"},
    "api-v1:order_cancel": P({"number": "call_off.number"}),
    "api-v1:delivery_acceptance": P({"delivery_id": "call_off_delivery"}),
    "api-v1:get_impact": {},
    "api-v1:api-root": {},
    "api-v1:unknown": E(url=lambda world, scope: "/api/v1/no-such-endpoint"),
    "^media/(?P<path>.*)$": SKIP_MEDIA,
    "wagtailcore_authenticate_with_password": {"page_view_restriction_id": "=1", "page_id": "product"},
    "wagtailcore_login": {},
    "wagtail_serve": E(url=page_url),
}

# --- Walking the resolver -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str
    route: str
    name: str | None


def url_patterns() -> list[Pattern]:
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                found.append((prefix + str(pattern.pattern), name))

    walk(get_resolver().url_patterns, "", None)
    names = [name for _route, name in found if name]
    return [
        Pattern(key=(name if names.count(name) == 1 else f"{name} {route}") if name else route, route=route, name=name)
        for route, name in found
    ]


PATTERNS = url_patterns()
REQUESTED = [p for p in PATTERNS if not isinstance(TABLE.get(p.key), Skip)]


def test_every_url_pattern_has_an_entry():
    keys = [p.key for p in PATTERNS]
    missing = [key for key in keys if key not in TABLE]
    stale = [key for key in TABLE if key not in keys]
    assert not missing, f"URL patterns without an entry in TABLE: {missing}"
    assert not stale, f"TABLE entries for patterns that no longer exist: {stale}"
    for key, entry in TABLE.items():
        if isinstance(entry, Skip):
            assert entry.reason.strip(), key


# --- The world and the users' clients -------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One data set for the module, inside a transaction rolled back at its end; each test runs in
    a savepoint of it (pytest-django's `db`), so what a request writes is gone after the test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = matrix_world.build()
            for role in ROLES:
                client = Client(raise_request_exception=False)
                if role != "anonymous":
                    client.force_login(built.users[role])
                    built.session_keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
                built.clients[role] = client
            # Searches by name, as the audit trail keeps them (the Django admin shows the trail).
            for role, scope in (("manager_y", "Y"), ("coordinator_p1", "X")):
                household = built.obj(scope, "household")
                built.clients[role].get(reverse("households:index"), {"q": household.head_name})
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def resolve(spec, world, scope):
    if callable(spec):
        return spec(world, scope)
    if spec.startswith("="):
        return spec[1:]
    key, _dot, attribute = spec.partition(".")
    value = world.obj(scope, key)
    if attribute:
        return str(getattr(value, attribute))
    return value if isinstance(value, str) else value.pk


def build_url(pattern: Pattern, entry: Entry, world, scope: str) -> str:
    if entry.url is not None:
        return entry.url(world, scope)
    kwargs = {name: resolve(spec, world, scope) for name, spec in entry.kwargs.items()}
    args = [resolve(spec, world, scope) for spec in entry.args]
    return reverse(pattern.name, args=args or None, kwargs=kwargs or None)


def with_query(path: str, query: dict, world, scope: str) -> str:
    if not query:
        return path
    return f"{path}?{urllib.parse.urlencode({k: resolve(v, world, scope) for k, v in query.items()})}"


# --- Reading responses --------------------------------------------------------------------------


def readable(response) -> str:
    """Headers and body as text: streamed bodies read, xlsx/zip members unpacked, JSON with its
    \\u escapes undone."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                content = b"\n".join(archive.read(member) for member in archive.namelist())
        except zipfile.BadZipFile:
            pass
    text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{headers}\n{text}"


def _forms(text: str) -> list[str]:
    """The marker as it may be written: plain, URL-encoded, or \\u-escaped inside inline JSON."""
    escaped = json.dumps(text)[1:-1]
    return list(dict.fromkeys([text, urllib.parse.quote(text), escaped, escaped.upper().replace("\\U", "\\u")]))


def _pattern(marker) -> re.Pattern:
    alternatives = "|".join(re.escape(form) for form in _forms(marker.text))
    # Four digits also occur by chance inside random tokens that change on every run (a UUID's
    # "-7319-" group, a base64 nonce's "+7319/"): a digits-only marker must stand outside them.
    edge = "0-9A-Za-z+/=_-" if marker.text.isdigit() else "0-9A-Za-z"
    return re.compile(rf"(?<![{edge}])(?:{alternatives})(?![{edge}])")


@pytest.fixture(scope="module")
def marker_patterns(world):
    return [(marker, _pattern(marker)) for marker in world.markers]


def leaks(text: str, role: str, path: str, marker_patterns) -> list[str]:
    """Markers the role may not read, except those the role put in the URL itself (an API problem
    or a redirect echoing the requested path tells them nothing new)."""
    asked = urllib.parse.unquote(path)
    found = []
    for marker, pattern in marker_patterns:
        if role in marker.readers or pattern.search(asked):
            continue
        match = pattern.search(text)
        if match:  # with the text around it: a chance match is then told from a leak at a glance
            found.append(f"{marker.what} in …{text[max(0, match.start() - 60) : match.end() + 60]!r}…")
    return found


def is_api(path: str) -> bool:
    return path.startswith("/api/v1/")


def request(world, role: str, method: str, path: str):
    client = world.clients[role]
    # Each test's writes (a cycled session key among them) are rolled back: start from the session
    # the module signed in with.
    session_key = world.session_keys.get(role)
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    headers = {}
    if is_api(path) and role in world.api_keys:
        headers["Authorization"] = f"Bearer {world.api_keys[role]}"
    if method == "POST":
        if is_api(path):
            return client.post(path, "{}", content_type="application/json", headers=headers)
        return client.post(path, {}, headers=headers)
    return client.get(path, headers=headers)


# --- The matrix -----------------------------------------------------------------------------------


# Objects that lead to households: asked for in the role's own scope too, where a household of
# another area can still hide (one enrolled in the role's group, or living elsewhere).
LEADS_TO_HOUSEHOLDS = {
    "household",
    "consent",
    "enrolment",
    "survey",
    "delivery",
    "call_off_delivery",
    "payout",
    "import",
    "group",
    "call_off",
    "market_order",
    "invoice",
    "agreement",
    "audit_event",
    "institution",
    "need",
    "referral",
}
OWN_SCOPE = {"X": "Y", "Y": "X"}


def scopes_to_ask(entry: Entry, role: str) -> list[str]:
    foreign = FOREIGN_SCOPE[role]
    specs = [*entry.kwargs.values(), *(v for query in entry.queries for v in query.values())]
    keys = {spec.partition(".")[0] for spec in specs if isinstance(spec, str) and not spec.startswith("=")}
    if role in ("anonymous", "superuser") or not keys & LEADS_TO_HOUSEHOLDS:
        return [foreign]
    return [foreign, OWN_SCOPE[foreign]]


@pytest.mark.parametrize("pattern", [pytest.param(p, id=p.key) for p in REQUESTED])
def test_no_role_reads_a_foreign_object(pattern, world, marker_patterns):
    entry = TABLE.get(pattern.key)
    assert entry is not None, f"no TABLE entry for {pattern.key} ({pattern.route})"
    entry = entry if isinstance(entry, Entry) else Entry(kwargs=entry)
    problems = []
    for role in ROLES:
        calls = []
        for scope in scopes_to_ask(entry, role):
            base = build_url(pattern, entry, world, scope)
            calls += [("GET", with_query(base, query, world, scope)) for query in entry.queries]
            if entry.post:
                calls.append(("POST", base))
        for method, path in calls:
            response = request(world, role, method, path)
            world.request_count += 1
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                cause = repr(error[1]) if error else ""
                problems.append(f"{role} {method} {path}: {response.status_code} {cause}")
                continue
            found = leaks(readable(response), role, path, marker_patterns)
            if found:
                problems.append(f"{role} {method} {path} ({response.status_code}) shows {', '.join(found)}")
    assert not problems, "\n".join(problems)


# --- The markers can be seen: the matrix above could fail -------------------------------------------


OWN_PAGES = [
    ("manager_y", "producers_admin:household_detail", "household", "Y", "household Y"),
    ("coordinator_p1", "producers_admin:household_detail", "household", "X", "household X"),
    ("manager_y", "orders_admin:order_detail", "call_off", "Y", "call-off Y"),
    ("member_b", "buyers:order_detail", "call_off", "Y", "call-off Y"),
    ("manager_x", "ledger:household_payouts", "household", "X", "payout X"),
    ("manager_x", "ledger:payout_slip", "payout", "X", "payout X"),
    ("treasurer_x", "ledger:payout_slip", "payout", "X", "household X"),
    ("member_b", "buyers:api_keys", "company", "Y", "API key Y"),
    ("field_x", "field:household", "household", "X", "household X"),
    ("agency_x", "agency:referral", "referral", "X", "household X"),
    ("agency_x", "agency:referral", "referral", "X", "referral X"),
]


@pytest.mark.parametrize(("role", "name", "key", "scope", "what"), OWN_PAGES)
def test_each_role_reads_its_own_objects(world, marker_patterns, role, name, key, scope, what):
    """The markers do show where the role may read them, so their absence above means something."""
    path = reverse(name, args=[world.obj(scope, key).pk])
    response = request(world, role, "GET", path)
    assert response.status_code == 200, path
    text = readable(response)
    shown = {marker.what for marker, pattern in marker_patterns if pattern.search(text)}
    assert any(label.startswith(what) for label in shown), (path, shown)
