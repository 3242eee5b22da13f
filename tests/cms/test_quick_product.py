"""Listing goods from a phone (cms.quick_product): the short form makes the product page under the
group's page with its photo, not live, and submits it to the area's coordinator, who approves it.
Phone photos (HEIC, large JPEG) are accepted and made smaller; other files are refused before
anything is written."""

import io

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from wagtail.images import get_image_model
from wagtail.models import TaskState, WorkflowState

from cms.models import ProductPage
from cms.quick_product import PHOTO_MAX_SIDE
from marketplace.models import AuditEvent
from tests.factories.pages import CategoryFactory, two_areas

pytestmark = pytest.mark.django_db

URL = "/admin/catalogue/products/new/"


@pytest.fixture
def cast():
    return two_areas()


def heic_photo(width=4032, height=3024) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (width, height), "#7b2d8e")).save(buffer, quality=40)
    return SimpleUploadedFile("IMG_0042.HEIC", buffer.getvalue(), content_type="image/heic")


def jpeg_photo(width=5000, height=1000) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#2f6b3a").save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def form_data(photo, **changes):
    data = {
        "title": "ผ้าไหมมัดหมี่ลายนาคใหม่",
        "category": CategoryFactory().pk,
        "photo": photo,
        "price": "๑,๒๕๐",  # Thai digits and a thousands separator, as typed on a phone
        "unit": "piece",
        "available_quantity": "12",
        "min_order_quantity": "1",
        "description": "ทอมือจากไหมพื้นบ้าน\nย้อมสีธรรมชาติ",
    }
    data.update(changes)
    return data


def test_the_manager_lists_a_product_from_a_heic_photo_and_it_waits_for_approval(client, cast):
    client.force_login(cast.manager_a)
    page = client.get(URL).content.decode()
    assert 'capture="environment"' in page and 'inputmode="decimal"' in page

    response = client.post(URL, form_data(heic_photo()))

    assert response.status_code == 302, response.context["form"].errors
    product = ProductPage.objects.get(title="ผ้าไหมมัดหมี่ลายนาคใหม่")
    assert product.get_parent().pk == cast.access_a.page.pk
    assert not product.live  # on sale only once approved
    assert str(product.price) == "1250.00" and product.sku.startswith(cast.group_a.code)
    state = WorkflowState.objects.get(object_id=str(product.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS and state.workflow == cast.access_a.workflow
    [photo] = product.gallery.all()
    image = photo.image
    assert image.collection_id == cast.access_a.collection.pk
    assert max(image.width, image.height) == PHOTO_MAX_SIDE and image.file.name.endswith(".jpg")
    with image.open_file() as stored:
        assert Image.open(stored).format == "JPEG"
    assert AuditEvent.objects.filter(action="product.submitted", object_id=str(product.pk)).exists()

    # The area's coordinator approves it: it goes on sale.
    task_state = TaskState.objects.get(workflow_state=state, status=TaskState.STATUS_IN_PROGRESS)
    client.force_login(cast.kalasin_coordinator)
    approve = reverse("wagtailadmin_pages:workflow_action", args=[product.pk, "approve", task_state.pk])
    assert client.post(approve, {"comment": ""}).status_code == 302
    assert ProductPage.objects.get(pk=product.pk).live


def test_a_large_jpeg_is_made_smaller(client, cast):
    client.force_login(cast.manager_a)
    assert client.post(URL, form_data(jpeg_photo())).status_code == 302
    image = ProductPage.objects.get(title="ผ้าไหมมัดหมี่ลายนาคใหม่").gallery.get().image
    assert (image.width, image.height) == (PHOTO_MAX_SIDE, 400)


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_written(client, cast):
    client.force_login(cast.manager_a)
    images = get_image_model().objects.count()
    pages = ProductPage.objects.count()
    fake = SimpleUploadedFile("price-list.jpg", b"%PDF-1.7 not an image", content_type="image/jpeg")

    response = client.post(URL, form_data(fake, price="-5"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "JPEG, PNG, WebP" in page or "HEIC" in page
    assert (get_image_model().objects.count(), ProductPage.objects.count()) == (images, pages)


def test_only_group_staff_reach_the_form_and_only_for_their_groups(client, cast):
    client.force_login(cast.kalasin_coordinator)
    assert client.get(URL).status_code == 404
    client.force_login(cast.manager_a)
    response = client.post(URL, form_data(heic_photo(400, 300), group=cast.group_b.pk))
    assert response.status_code == 200  # group B is not one of the choices
    assert not ProductPage.objects.filter(title="ผ้าไหมมัดหมี่ลายนาคใหม่").exists()


def test_the_manager_changes_a_product_from_the_phone_and_it_waits_for_approval(client, cast):
    client.force_login(cast.manager_a)
    listing = client.get("/admin/catalogue/products/").content.decode()
    assert f'data-product="{cast.product_a.pk}"' in listing
    assert f'data-product="{cast.product_b.pk}"' not in listing  # another group's

    edit = f"/admin/catalogue/products/{cast.product_a.pk}/"
    form = client.get(edit).content.decode()
    assert 'name="available_quantity"' not in form  # stock changes through "Update stock"
    live_price = cast.product_a.price
    data = form_data("", price="3,650")
    data.pop("photo")
    del data["available_quantity"]
    response = client.post(edit, {**data, "photo": jpeg_photo(800, 600)})

    assert response.status_code == 302, response.context["form"].errors
    product = ProductPage.objects.get(pk=cast.product_a.pk)
    assert product.price == live_price  # live page unchanged until approved
    draft = product.get_latest_revision_as_object()
    assert str(draft.price) == "3650.00" and draft.title == "ผ้าไหมมัดหมี่ลายนาคใหม่"
    assert draft.gallery.all()[0].image.collection_id == cast.access_a.collection.pk
    assert WorkflowState.objects.get(object_id=str(product.pk)).status == WorkflowState.STATUS_IN_PROGRESS
    # While it waits, the short form sends the manager back to the list.
    assert client.get(edit)["Location"] == "/admin/catalogue/products/"


def test_another_groups_product_cannot_be_changed(client, cast):
    client.force_login(cast.manager_a)
    assert client.get(f"/admin/catalogue/products/{cast.product_b.pk}/").status_code == 404
