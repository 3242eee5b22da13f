"""A manager's change goes live only when a coordinator of the group's area approves it, through
the group's own Wagtail workflow (cms.services._ensure_workflow). Driven through the admin views."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from tests.factories.pages import product_form_data, two_areas

pytestmark = pytest.mark.django_db

NEW_TITLE = "ผ้าไหมแพรวาย้อมครามลายใหม่"


@pytest.fixture
def cast():
    return two_areas()


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def reload(page):
    return page.specific_class.objects.get(pk=page.pk)


def approve_url(page, task_state, action="approve"):
    return reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk])


@pytest.fixture
def submitted(client, cast):
    """Manager A has changed the product's title and submitted it for approval."""
    client.force_login(cast.manager_a)
    data = product_form_data(cast.product_a, title=NEW_TITLE)
    data["action-submit"] = "action-submit"
    response = client.post(edit_url(cast.product_a), data)
    assert response.status_code == 302
    client.logout()
    return TaskState.objects.get(workflow_state__object_id=str(cast.product_a.pk), status=TaskState.STATUS_IN_PROGRESS)


def test_a_managers_submission_waits_for_the_areas_coordinators(cast, submitted):
    state = WorkflowState.objects.get(object_id=str(cast.product_a.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow == cast.access_a.workflow
    assert list(submitted.task.specific.groups.all()) == [cast.access_a.publishers]
    product = reload(cast.product_a)
    assert product.title == "ผ้าไหมแพรวาย้อมคราม"  # not live yet
    assert product.get_latest_revision_as_object().title == NEW_TITLE
    # Wagtail emails the task's group: Kalasin's coordinator, not Roi Et's.
    recipients = {address for message in mail.outbox for address in message.to}
    assert cast.kalasin_coordinator.email in recipients
    assert cast.roi_et_coordinator.email not in recipients
    assert cast.manager_b.email not in recipients


def test_the_task_is_on_the_kalasin_coordinators_dashboard_only(client, cast, submitted):
    client.force_login(cast.kalasin_coordinator)
    assert NEW_TITLE in client.get(reverse("wagtailadmin_home")).content.decode()

    client.force_login(cast.roi_et_coordinator)
    assert NEW_TITLE not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_areas_coordinator_approves_and_the_change_goes_live(client, cast, submitted):
    client.force_login(cast.kalasin_coordinator)

    response = client.post(approve_url(cast.product_a, submitted), {"comment": "ตรวจแล้ว ถูกต้อง"})

    assert response.status_code == 302
    product = reload(cast.product_a)
    assert product.live and product.title == NEW_TITLE
    assert not product.has_unpublished_changes
    assert WorkflowState.objects.get(object_id=str(product.pk)).status == WorkflowState.STATUS_APPROVED
    submitted.refresh_from_db()
    assert submitted.status == TaskState.STATUS_APPROVED
    assert submitted.finished_by == cast.kalasin_coordinator


def test_a_coordinator_of_another_province_cannot_approve_or_publish(client, cast, submitted):
    client.force_login(cast.roi_et_coordinator)

    approve = client.post(approve_url(cast.product_a, submitted), {"comment": ""})
    data = product_form_data(reload(cast.product_a), title="อนุมัติเองโดยจังหวัดอื่น")
    data["action-publish"] = "action-publish"
    publish = client.post(edit_url(cast.product_a), data)

    for response in (approve, publish):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    submitted.refresh_from_db()
    assert submitted.status == TaskState.STATUS_IN_PROGRESS
    product = reload(cast.product_a)
    assert product.title == "ผ้าไหมแพรวาย้อมคราม"
    assert product.get_latest_revision_as_object().title == NEW_TITLE
    assert not submitted.task.specific.get_actions(product, cast.roi_et_coordinator)


def test_the_manager_cannot_approve_their_own_submission(client, cast, submitted):
    client.force_login(cast.manager_a)

    response = client.post(approve_url(cast.product_a, submitted), {"comment": ""})

    assert response.status_code in (302, 403)
    submitted.refresh_from_db()
    assert submitted.status == TaskState.STATUS_IN_PROGRESS
    assert reload(cast.product_a).title == "ผ้าไหมแพรวาย้อมคราม"


def test_the_coordinator_can_ask_for_changes_instead(client, cast, submitted):
    client.force_login(cast.kalasin_coordinator)

    response = client.post(approve_url(cast.product_a, submitted, "reject"), {"comment": "กรุณาเพิ่มรูปสินค้า"})

    assert response.status_code == 302
    state = WorkflowState.objects.get(object_id=str(cast.product_a.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert reload(cast.product_a).title == "ผ้าไหมแพรวาย้อมคราม"


def test_the_areas_coordinator_publishes_directly_without_the_workflow(client, cast):
    client.force_login(cast.kalasin_coordinator)
    data = product_form_data(cast.product_a, price="3900.00")
    data["action-publish"] = "action-publish"

    response = client.post(edit_url(cast.product_a), data)

    assert response.status_code == 302
    product = reload(cast.product_a)
    assert product.price == 3900 and not product.has_unpublished_changes
    assert not WorkflowState.objects.filter(object_id=str(product.pk)).exists()


def test_a_managers_new_product_also_waits_for_approval(client, cast):
    client.force_login(cast.manager_a)
    product = cast.product_a
    data = product_form_data(product, title="ข้าวเกรียบทดสอบ", slug="new-crackers", sku="TEST-NEW-1")
    data["action-submit"] = "action-submit"

    response = client.post(reverse("wagtailadmin_pages:add", args=["cms", "productpage", cast.access_a.page.pk]), data)

    assert response.status_code == 302
    new = cast.access_a.page.get_children().get(slug="new-crackers")
    assert not new.live
    task_state = TaskState.objects.get(workflow_state__object_id=str(new.pk))
    assert task_state.task.specific.groups.get() == cast.access_a.publishers

    client.force_login(cast.kalasin_coordinator)
    client.post(approve_url(new, task_state), {"comment": ""})

    assert reload(new).live
