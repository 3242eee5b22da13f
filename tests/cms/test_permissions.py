"""Who may edit, publish and illustrate which group's pages: cms.services sets it up when a group
is created and keeps it in step with memberships and coordinator assignments. Checked through the
real Wagtail admin views."""

import io
import threading

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
)

from cms import services
from cms.models import ProducerGroupPage, ProducersIndexPage
from marketplace.models import AuditEvent
from producers import services as producer_services
from producers.models import CoordinatorAssignment, GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, InstitutionFactory, assign
from tests.factories.pages import image_bytes, make_image, product_form_data, two_areas
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return two_areas()


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def codenames(django_group, page):
    return set(
        GroupPagePermission.objects.filter(group=django_group, page=page).values_list("permission__codename", flat=True)
    )


# --- What a group's creation sets up ---------------------------------------------------------


def test_a_new_group_gets_a_live_page_collection_editors_publishers_and_workflow():
    group = GroupFactory(code="KSU-SILK-X", name_th="กลุ่มทอผ้าไหมทดสอบ", name_en="Test Silk Weavers")

    access = services.ensure_group_access(group)

    page = access.page
    assert page.live and page.title == "กลุ่มทอผ้าไหมทดสอบ" and page.title_en == "Test Silk Weavers"
    assert page.get_parent().specific_class is ProducersIndexPage
    assert page.url_path.endswith("/producers/ksu-silk-x/")
    assert access.collection.name == "KSU-SILK-X"
    assert access.collection.get_parent() == Collection.get_first_root_node()
    assert codenames(access.editors, page) == {"add_page", "change_page"}
    assert codenames(access.publishers, page) == {"add_page", "change_page", "publish_page"}
    for django_group in (access.editors, access.publishers):
        assert set(
            GroupCollectionPermission.objects.filter(group=django_group, collection=access.collection).values_list(
                "permission__codename", flat=True
            )
        ) == {"add_image", "change_image", "choose_image"}
        assert django_group.permissions.filter(codename="access_admin").exists()
    assert WorkflowPage.objects.get(page=page).workflow == access.workflow
    task = GroupApprovalTask.objects.get(workflow_tasks__workflow=access.workflow)
    assert list(task.groups.all()) == [access.publishers]
    event = AuditEvent.objects.get(action="group.page_created")
    assert event.object_id == str(group.pk)
    assert event.details["page_id"] == page.pk


def test_ensure_group_page_twice_creates_nothing_new():
    group = GroupFactory()
    services.ensure_group_page(group)
    models = [Page, Collection, Group, Workflow, GroupApprovalTask, GroupPagePermission, GroupCollectionPermission]
    before = {model: model.objects.count() for model in models}

    page = services.ensure_group_page(group)

    assert {model: model.objects.count() for model in models} == before
    assert page == ProducerGroupPage.objects.get(group=group)
    assert AuditEvent.objects.filter(action="group.page_created").count() == 1


def test_a_new_group_code_renames_the_collection_and_groups_without_duplicating_them():
    group = GroupFactory(code="OLD-CODE")
    first = services.ensure_group_access(group)
    group.code = "NEW-CODE"
    group.save()

    second = services.ensure_group_access(group)

    assert second.collection.pk == first.collection.pk and second.collection.name == "NEW-CODE"
    assert second.editors.pk == first.editors.pk and second.editors.name.endswith("(NEW-CODE)")
    assert second.workflow.pk == first.workflow.pk


def test_creating_a_group_in_the_admin_creates_its_page(client, coordinator):
    institution = InstitutionFactory()
    CoordinatorAssignment.objects.create(user=coordinator, institution=institution, province_code="46")
    give_totp(coordinator)
    client.force_login(coordinator)

    response = client.post(
        reverse("producer_groups:add"),
        {
            "code": "KSU-NEW",
            "institution": institution.pk,
            "name_th": "กลุ่มแม่บ้านเกษตรกรทดสอบ",
            "name_en": "Test Farmers' Wives",
            "province_code": "46",
            "district_code": "4601",
            "subdistrict_code": "460101",
            "retention_rate": "5.00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("producer_groups:index"), response["Location"]
    page = ProducerGroupPage.objects.get(group__code="KSU-NEW")
    assert page.live and page.title == "กลุ่มแม่บ้านเกษตรกรทดสอบ"
    # The coordinator of Kalasin creates it, and may publish there at once.
    assert page.permissions_for_user(coordinator).can_publish()
    event = AuditEvent.objects.get(action="group.page_created")
    assert event.actor == coordinator and event.details["page_id"] == page.pk


def test_moving_a_group_to_another_province_in_the_admin_hands_publishing_to_that_province(client, cast):
    client.force_login(cast.kalasin_coordinator)
    group = cast.group_a

    response = client.post(
        reverse("producer_groups:edit", args=[group.pk]),
        {
            "code": group.code,
            "institution": group.institution_id,
            "name_th": group.name_th,
            "name_en": group.name_en,
            "province_code": "45",
            "district_code": "4501",
            "subdistrict_code": "450101",
            "retention_rate": "5.00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(cast.access_a.publishers.user_set.all()) == {cast.roi_et_coordinator}
    assert cast.product_a.permissions_for_user(cast.roi_et_coordinator).can_publish()


# --- Memberships follow the producers app ----------------------------------------------------


def test_granting_and_revoking_a_membership_moves_the_user_in_and_out_of_the_editors(cast):
    treasurer = UserFactory()
    membership = producer_services.membership_grant(
        user=treasurer, group=cast.group_a, role=GroupMembership.Role.TREASURER
    )
    assert cast.access_a.editors.user_set.filter(pk=treasurer.pk).exists()
    assert cast.product_a.permissions_for_user(treasurer).can_edit()

    producer_services.membership_revoke(membership=membership)

    assert not cast.access_a.editors.user_set.filter(pk=treasurer.pk).exists()
    treasurer = type(treasurer).objects.get(pk=treasurer.pk)  # drop cached permissions
    assert not cast.product_a.permissions_for_user(treasurer).can_edit()


def test_publishers_are_the_coordinators_of_the_groups_province_or_of_the_group_itself(cast):
    assert set(cast.access_a.publishers.user_set.all()) == {cast.kalasin_coordinator}
    assert set(cast.access_b.publishers.user_set.all()) == {cast.roi_et_coordinator}

    group_only = UserFactory()
    assign(group_only, group=cast.group_b)
    services.sync_coordinator_access(group_only)

    assert set(cast.access_b.publishers.user_set.all()) == {cast.roi_et_coordinator, group_only}
    assert not cast.access_a.publishers.user_set.filter(pk=group_only.pk).exists()


def test_moving_a_coordinator_to_another_province_in_the_django_admin_moves_their_publishing(client, superuser, cast):
    give_totp(superuser)
    client.force_login(superuser)
    assignment = CoordinatorAssignment.objects.get(user=cast.roi_et_coordinator)

    response = client.post(
        reverse("admin:producers_coordinatorassignment_change", args=[assignment.pk]),
        {
            "user": cast.roi_et_coordinator.pk,
            "institution": assignment.institution_id,
            "province_code": "46",
            "group": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert cast.access_a.publishers.user_set.filter(pk=cast.roi_et_coordinator.pk).exists()
    assert not cast.access_b.publishers.user_set.filter(pk=cast.roi_et_coordinator.pk).exists()

    response = client.post(
        reverse("admin:producers_coordinatorassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not cast.access_a.publishers.user_set.filter(pk=cast.roi_et_coordinator.pk).exists()


def test_sync_all_group_access_repairs_hand_made_changes(cast):
    stranger = UserFactory()
    cast.access_a.editors.user_set.add(stranger)
    cast.access_a.publishers.user_set.remove(cast.kalasin_coordinator)

    assert services.sync_all_group_access() == 2

    assert set(cast.access_a.editors.user_set.all()) == {cast.manager_a}
    assert set(cast.access_a.publishers.user_set.all()) == {cast.kalasin_coordinator}


# --- Editing pages in the Wagtail admin ------------------------------------------------------


def test_a_manager_edits_their_own_groups_product_as_a_draft(client, cast):
    client.force_login(cast.manager_a)
    assert client.get(edit_url(cast.product_a)).status_code == 200

    response = client.post(edit_url(cast.product_a), product_form_data(cast.product_a, price="3800.00"))

    assert response.status_code == 302
    product = cast.product_a.specific_class.objects.get(pk=cast.product_a.pk)
    assert product.get_latest_revision_as_object().price == 3800
    assert product.price == 3500  # the live page is unchanged until the change is approved
    assert product.has_unpublished_changes


def test_a_manager_cannot_open_or_save_another_groups_product(client, cast):
    client.force_login(cast.manager_a)
    url = edit_url(cast.product_b)

    opened = client.get(url)
    saved = client.post(url, product_form_data(cast.product_b, title="แก้โดยคนนอกกลุ่ม"))

    for response in (opened, saved):
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    product = cast.product_b.specific_class.objects.get(pk=cast.product_b.pk)
    assert product.title == "กระติบข้าว"
    assert product.get_latest_revision_as_object().title == "กระติบข้าว"
    assert not product.has_unpublished_changes


def test_a_manager_cannot_add_a_product_under_another_group(client, cast):
    client.force_login(cast.manager_a)
    url = reverse("wagtailadmin_pages:add", args=["cms", "productpage", cast.access_b.page.pk])

    assert client.get(url)["Location"] == reverse("wagtailadmin_home")
    assert (
        client.get(reverse("wagtailadmin_pages:add", args=["cms", "productpage", cast.access_a.page.pk])).status_code
        == 200
    )


def test_a_manager_has_no_publish_button_and_posting_publish_only_saves_a_draft(client, cast):
    client.force_login(cast.manager_a)
    html = client.get(edit_url(cast.product_a)).content.decode()
    assert 'name="action-publish"' not in html
    assert 'name="action-submit"' in html
    assert not cast.product_a.permissions_for_user(cast.manager_a).can_publish()

    data = product_form_data(cast.product_a, title="ผ้าไหมแพรวาย้อมครามรุ่นใหม่")
    data["action-publish"] = "action-publish"
    response = client.post(edit_url(cast.product_a), data)

    assert response.status_code == 302
    product = cast.product_a.specific_class.objects.get(pk=cast.product_a.pk)
    assert product.title == "ผ้าไหมแพรวาย้อมคราม"
    assert product.live_revision_id == cast.product_a.live_revision_id
    assert product.get_latest_revision_as_object().title == "ผ้าไหมแพรวาย้อมครามรุ่นใหม่"


def test_the_areas_coordinator_may_publish_and_another_provinces_may_not(cast):
    assert cast.product_a.permissions_for_user(cast.kalasin_coordinator).can_publish()
    assert not cast.product_a.permissions_for_user(cast.roi_et_coordinator).can_publish()
    assert not cast.product_a.permissions_for_user(cast.roi_et_coordinator).can_edit()
    assert cast.product_b.permissions_for_user(cast.roi_et_coordinator).can_publish()


# --- Images ----------------------------------------------------------------------------------


def test_the_image_chooser_shows_a_manager_only_their_groups_images(client, cast):
    client.force_login(cast.manager_a)

    html = client.get(reverse("wagtailimages_chooser:choose")).json()["html"]

    assert cast.image_a.title in html
    assert cast.image_b.title not in html
    chosen_a = client.get(reverse("wagtailimages_chooser:chosen", args=[cast.image_a.pk]))
    chosen_b = client.get(reverse("wagtailimages_chooser:chosen", args=[cast.image_b.pk]))
    assert chosen_a.status_code == 200
    assert chosen_b.status_code in (302, 403)
    assert cast.image_b.title not in chosen_b.content.decode()


def test_a_manager_cannot_open_or_change_another_groups_image(client, cast):
    client.force_login(cast.manager_a)
    url = reverse("wagtailimages:edit", args=[cast.image_b.pk])

    opened = client.get(url)
    changed = client.post(url, {"title": "เปลี่ยนโดยคนนอกกลุ่ม", "collection": cast.access_b.collection.pk})

    assert opened.status_code == 302 and opened["Location"] == reverse("wagtailadmin_home")
    assert changed.status_code == 302 and changed["Location"] == reverse("wagtailadmin_home")
    cast.image_b.refresh_from_db()
    assert cast.image_b.title == "ภาพกระติบกลุ่มบี"
    assert client.get(reverse("wagtailimages:edit", args=[cast.image_a.pk])).status_code == 200


def test_a_manager_uploads_only_into_their_groups_collection(client, cast):
    client.force_login(cast.manager_a)
    Image = get_image_model()

    def upload(collection, title):
        file = SimpleUploadedFile("photo.png", image_bytes("PNG"), content_type="image/png")
        return client.post(reverse("wagtailimages:add"), {"title": title, "file": file, "collection": collection.pk})

    form = client.get(reverse("wagtailimages:add")).context["form"]
    # With one collection to upload into, Wagtail does not even offer a choice.
    assert "collection" not in form.fields

    asked_for_b = upload(cast.access_b.collection, "ภาพแอบใส่กลุ่มบี")
    accepted = upload(cast.access_a.collection, "ภาพใหม่กลุ่มเอ")

    assert asked_for_b.status_code == accepted.status_code == 302
    assert Image.objects.get(title="ภาพแอบใส่กลุ่มบี").collection == cast.access_a.collection
    assert Image.objects.get(title="ภาพใหม่กลุ่มเอ").collection == cast.access_a.collection
    assert not Image.objects.filter(collection=cast.access_b.collection).exclude(pk=cast.image_b.pk).exists()


def test_a_manager_cannot_put_another_groups_image_on_their_product_by_editing_the_form(client, cast):
    client.force_login(cast.manager_a)

    refused = client.post(
        edit_url(cast.product_a),
        product_form_data(cast.product_a, gallery=[{"image": cast.image_b.pk, "alt_text": "ภาพของกลุ่มอื่น"}]),
    )
    with translation.override("th"):
        explanation = gettext("You can only use images from your own group's collection.")
    assert explanation in [str(message) for message in get_messages(refused.wsgi_request)]
    accepted = client.post(
        edit_url(cast.product_a),
        product_form_data(cast.product_a, gallery=[{"image": cast.image_a.pk, "alt_text": "ผ้าไหมย้อมคราม"}]),
    )

    assert refused.status_code == 302 and refused["Location"] == edit_url(cast.product_a)
    assert accepted.status_code == 302
    draft = cast.product_a.specific_class.objects.get(pk=cast.product_a.pk).get_latest_revision_as_object()
    assert [photo.image_id for photo in draft.gallery.all()] == [cast.image_a.pk]
    assert not any(
        cast.image_b.pk in [photo.image_id for photo in revision.as_object().gallery.all()]
        for revision in cast.product_a.revisions.all()
    )


def test_a_coordinator_keeps_an_image_someone_else_put_on_the_page(client, cast):
    # A superuser illustrated group A's product with a picture from the root collection; the
    # group's coordinator can still save the page with it.
    root_image = make_image(Collection.get_first_root_node(), title="ภาพส่วนกลาง")
    product = cast.product_a.specific_class.objects.get(pk=cast.product_a.pk)
    product.gallery.create(image=root_image, alt_text="ภาพส่วนกลาง")
    product.save_revision().publish()
    product = product.specific_class.objects.get(pk=product.pk)
    client.force_login(cast.kalasin_coordinator)

    data = product_form_data(product, price="3600.00")
    data["action-publish"] = "action-publish"
    response = client.post(edit_url(product), data)

    assert response.status_code == 302 and response["Location"] != edit_url(product)
    product.refresh_from_db()
    assert product.price == 3600


# --- Races (PostgreSQL) ----------------------------------------------------------------------


def _at_once(functions):
    """Run the functions in threads (each with its own database connection), released together;
    returns the exceptions raised."""
    start = threading.Barrier(len(functions))
    crashed = []

    def run(function):
        try:
            start.wait()
            function()
        except Exception as error:  # reported to the test
            crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(function,)) for function in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return crashed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_calls_make_one_page_collection_and_workflow():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections creating the page at once")
    group = GroupFactory(code="RACE-1")

    crashed = _at_once([lambda: services.ensure_group_page(group)] * 6)

    assert crashed == []
    assert ProducerGroupPage.objects.filter(group=group).count() == 1
    assert Collection.objects.filter(name="RACE-1").count() == 1
    assert Group.objects.filter(name__startswith=f"Producer group {group.pk} ").count() == 2
    assert WorkflowPage.objects.filter(page__in=ProducerGroupPage.objects.filter(group=group)).count() == 1
    assert AuditEvent.objects.filter(action="group.page_created", object_id=str(group.pk)).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_grants_all_end_up_among_the_editors():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections granting at once")
    group = GroupFactory(code="RACE-2")
    access = services.ensure_group_access(group)
    users = [UserFactory() for _ in range(6)]

    def grant(user):
        return lambda: producer_services.membership_grant(user=user, group=group, role=GroupMembership.Role.MANAGER)

    crashed = _at_once([grant(user) for user in users])

    assert crashed == []
    assert set(access.editors.user_set.all()) == set(users)


def test_sync_group_pages_gives_older_groups_their_page_once():
    older = GroupFactory(code="OLDER-1")  # made before group pages existed: no page yet
    out = io.StringIO()

    call_command("sync_group_pages", stdout=out)
    call_command("sync_group_pages", stdout=out)

    assert ProducerGroupPage.objects.filter(group=older).count() == 1
    assert out.getvalue().splitlines() == [
        "Group pages created: 1; groups resynced: 1",
        "Group pages created: 0; groups resynced: 1",
    ]


def test_losing_the_coordinator_role_takes_away_publishing_rights(db):
    """However the role goes (a service or an admin form), the group pages follow at once."""
    from cms.services import PUBLISHERS, ensure_group_page, find_role_group
    from marketplace import access
    from tests.factories.accounts import UserFactory
    from tests.factories.households import GroupFactory, assign

    group = GroupFactory(province_code="46", district_code="4601", subdistrict_code="460101")
    ensure_group_page(group)
    coordinator = UserFactory()
    assign(coordinator, province_code="46")
    access.coordinator_role_changed(coordinator)  # as after the assignment is saved in the admin
    publishers = find_role_group(group, PUBLISHERS)
    assert publishers.user_set.filter(pk=coordinator.pk).exists()

    access.revoke_role(user=coordinator, group_name=access.COORDINATORS)
    assert not publishers.user_set.filter(pk=coordinator.pk).exists()
    assert not group.page.permissions_for_user(coordinator).can_publish()

    access.grant_role(user=coordinator, group_name=access.COORDINATORS)
    assert publishers.user_set.filter(pk=coordinator.pk).exists()
