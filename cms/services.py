"""Writes about the page tree that follow from the producers app: each producer group's page, its
image collection, who may edit and who may publish there, and the approval workflow between them.

For every producer group there are, once `ensure_group_page` has run:

* a live **ProducerGroupPage** under the producers index (/producers/<code>/), parent of the
  group's product pages;
* a Wagtail **Collection** for the group's images (named after the group code);
* two Django groups: **editors** (the group's managers and treasurers: add and change pages in the
  subtree, add/change/choose images in the collection) and **publishers** (the coordinators whose
  assignment covers the group: the same, plus publish);
* a **workflow** on the group page whose one task is approval by the publishers, so an editor's
  change goes live only when a coordinator of that area approves it.

Membership of the two Django groups is derived data: `sync_group_access` recomputes it from
producers.GroupMembership and producers.CoordinatorAssignment, and the services that change those
call it. Nothing else should add users to these groups by hand. (A deactivated user stays a
member: Wagtail grants an inactive user nothing, and reactivating them needs no resync.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from marketplace import access, audit
from producers.models import CoordinatorAssignment, GroupMembership, ProducerGroup

from .models import ProducerGroupPage, ProducersIndexPage

EDITORS = "editors"
PUBLISHERS = "publishers"

# (app label, codename). Editors may draft but not publish: their changes go through the workflow.
PAGE_PERMISSIONS = {
    EDITORS: [("wagtailcore", "add_page"), ("wagtailcore", "change_page")],
    PUBLISHERS: [("wagtailcore", "add_page"), ("wagtailcore", "change_page"), ("wagtailcore", "publish_page")],
}
IMAGE_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
]
ADMIN_ACCESS = ("wagtailadmin", "access_admin")


@dataclass(frozen=True)
class GroupAccess:
    """Everything `ensure_group_page` sets up for one producer group."""

    page: ProducerGroupPage
    collection: Collection
    editors: Group
    publishers: Group
    workflow: Workflow


def _permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def role_group_key(group: ProducerGroup, role: str) -> str:
    """The stable start of the Django group's name: keyed by the producer group's id, so a change
    of group code only renames it. The full name adds the code for people reading the groups list."""
    return f"Producer group {group.pk} {role} ("


def role_group_name(group: ProducerGroup, role: str) -> str:
    return f"{role_group_key(group, role)}{group.code})"


def find_role_group(group: ProducerGroup, role: str) -> Group | None:
    return Group.objects.filter(name__startswith=role_group_key(group, role)).first()


def _ensure_role_group(group: ProducerGroup, role: str) -> Group:
    name = role_group_name(group, role)
    django_group = find_role_group(group, role)
    if django_group is None:
        return Group.objects.create(name=name)
    if django_group.name != name:
        django_group.name = name
        django_group.save(update_fields=["name"])
    return django_group


def _ensure_collection(group: ProducerGroup, editors: Group) -> Collection:
    """The group's image collection: found through the editors' collection permissions (stable when
    the code changes), else created under the root collection."""
    permission = (
        GroupCollectionPermission.objects.filter(group=editors, permission__codename="add_image")
        .select_related("collection")
        .first()
    )
    if permission is not None:
        collection = permission.collection
        if collection.name != group.code:
            collection.name = group.code
            collection.save(update_fields=["name"])
        return collection
    return Collection.get_first_root_node().add_child(name=group.code)


def _grant(django_group: Group, page: ProducerGroupPage, collection: Collection, role: str) -> None:
    for app_label, codename in PAGE_PERMISSIONS[role]:
        GroupPagePermission.objects.get_or_create(
            group=django_group, page=page, permission=_permission(app_label, codename)
        )
    for app_label, codename in IMAGE_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=django_group, collection=collection, permission=_permission(app_label, codename)
        )
    django_group.permissions.add(_permission(*ADMIN_ACCESS))


def _ensure_workflow(group: ProducerGroup, page: ProducerGroupPage, publishers: Group) -> Workflow:
    """The group page's own workflow (it applies to the whole subtree, overriding the site-wide
    default), with a task that the publishers approve."""
    # Stored names are shown to every admin user: write them in the site's main language.
    with translation.override(settings.LANGUAGE_CODE):
        workflow_name = _("Coordinator approval: %(group)s") % {"group": group.code}
        task_name = _("Approval by the area's coordinators: %(group)s") % {"group": group.code}
    link = WorkflowPage.objects.filter(page=page).select_related("workflow").first()
    if link is None:
        workflow = Workflow.objects.create(name=workflow_name, active=True)
        WorkflowPage.objects.create(page=page, workflow=workflow)
    else:
        workflow = link.workflow
        if not workflow.active:
            workflow.active = True
            workflow.save(update_fields=["active"])
    has_approval = GroupApprovalTask.objects.filter(
        workflow_tasks__workflow=workflow, groups=publishers, active=True
    ).exists()
    if not has_approval:
        task = GroupApprovalTask.objects.create(name=task_name, active=True)
        task.groups.set([publishers])
        next_order = workflow.workflow_tasks.count()
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=next_order)
    return workflow


def _unique_slug(parent: ProducersIndexPage, group: ProducerGroup) -> str:
    base = slugify(group.code) or f"group-{group.pk}"
    siblings = set(parent.get_children().values_list("slug", flat=True))
    slug, n = base, 1
    while slug in siblings:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _create_group_page(group: ProducerGroup, *, user=None) -> ProducerGroupPage:
    parent = ProducersIndexPage.objects.order_by("path").first()
    if parent is None:
        raise ImproperlyConfigured("There is no producers index page (migration cms 0004 creates it).")
    page = ProducerGroupPage(
        title=group.name_th, title_en=group.name_en, slug=_unique_slug(parent, group), group=group, owner=user
    )
    parent.add_child(instance=page)
    # Publishing is part of creating the group, which the caller was allowed to do; the user
    # need not hold page permissions (the page's own ones do not exist yet).
    page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
    return page


def ensure_group_page(group: ProducerGroup, *, user=None) -> ProducerGroupPage:
    """Create (once) and publish the group's page, and make sure its collection, editor and
    publisher groups, permissions and workflow exist; then bring the two groups' members up to
    date. Safe to call again at any time: an existing page's content is never touched."""
    return ensure_group_access(group, user=user).page


def ensure_group_access(group: ProducerGroup, *, user=None) -> GroupAccess:
    with transaction.atomic():
        # One caller at a time per group: two concurrent first calls must not make two pages.
        group = ProducerGroup.objects.select_for_update().get(pk=group.pk)
        page = ProducerGroupPage.objects.filter(group=group).first()
        created = page is None
        if created:
            page = _create_group_page(group, user=user)
        editors = _ensure_role_group(group, EDITORS)
        publishers = _ensure_role_group(group, PUBLISHERS)
        collection = _ensure_collection(group, editors)
        _grant(editors, page, collection, EDITORS)
        _grant(publishers, page, collection, PUBLISHERS)
        workflow = _ensure_workflow(group, page, publishers)
        sync_group_access(group)
        if created:
            actor = {"actor": user} if user is not None else {}  # else the request's user
            audit.record(
                "group.page_created",
                group,
                **actor,
                details={
                    "page_id": page.pk,
                    "url_path": page.url_path,
                    "collection_id": collection.pk,
                    "workflow_id": workflow.pk,
                    "editors_group_id": editors.pk,
                    "publishers_group_id": publishers.pk,
                },
            )
    return GroupAccess(page=page, collection=collection, editors=editors, publishers=publishers, workflow=workflow)


# --- Who is in the editor and publisher groups ----------------------------------------------


def group_editors(group: ProducerGroup):
    """Users who draft the group's pages: its managers and treasurers."""
    return get_user_model().objects.filter(pk__in=GroupMembership.objects.filter(group=group).values("user_id"))


def group_publishers(group: ProducerGroup):
    """Users who approve and publish the group's pages: coordinators assigned to the group's
    province or to the group itself."""
    covering = CoordinatorAssignment.objects.filter(Q(province_code=group.province_code) | Q(group=group))
    return get_user_model().objects.filter(pk__in=covering.values("user_id"), groups__name=access.COORDINATORS)


def _set_members(django_group: Group, wanted) -> None:
    wanted_ids = set(wanted.values_list("pk", flat=True))
    current_ids = set(django_group.user_set.values_list("pk", flat=True))
    # Only the difference is written; the m2m receiver audits each addition and removal.
    if current_ids - wanted_ids:
        django_group.user_set.remove(*(current_ids - wanted_ids))
    if wanted_ids - current_ids:
        django_group.user_set.add(*(wanted_ids - current_ids))


def sync_group_access(group: ProducerGroup) -> None:
    """Recompute the members of the group's editor and publisher groups. Does nothing for a group
    whose page does not exist yet: `ensure_group_page` calls this once it has made them."""
    with transaction.atomic():
        group = ProducerGroup.objects.select_for_update().get(pk=group.pk)
        editors = find_role_group(group, EDITORS)
        publishers = find_role_group(group, PUBLISHERS)
        if editors is None or publishers is None:
            return
        _set_members(editors, group_editors(group))
        _set_members(publishers, group_publishers(group))


def groups_covered_by(user) -> list[ProducerGroup]:
    """Groups whose publisher group should contain the user, or does now."""
    rows = CoordinatorAssignment.objects.filter(user=user).values_list("province_code", "group_id")
    provinces = {province for province, _group in rows if province}
    group_ids = {group_id for _province, group_id in rows if group_id}
    # Groups on whose page one of the user's Django groups holds permissions: those the user may
    # have to leave.
    now_permitted = Q(page__group_permissions__group__in=user.groups.all())
    return list(
        ProducerGroup.objects.filter(Q(province_code__in=provinces) | Q(pk__in=group_ids) | now_permitted)
        .distinct()
        .order_by("pk")
    )


def sync_coordinator_access(user) -> None:
    """After a coordinator's assignments change: resync every group they cover or covered."""
    with transaction.atomic():
        for group in groups_covered_by(user):
            sync_group_access(group)


def sync_all_group_access() -> int:
    """Resync every group that has a page; returns how many."""
    count = 0
    with transaction.atomic():
        for group in ProducerGroup.objects.filter(page__isnull=False).order_by("pk"):
            sync_group_access(group)
            count += 1
    return count
