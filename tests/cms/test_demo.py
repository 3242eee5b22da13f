"""The demo catalogue that `manage.py seed_demo` builds on top of the producers demo."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupPagePermission, Page, Revision, Workflow

from cms import demo
from cms.models import Category, Certification, ProducerGroupPage, ProductPage, ProductPhoto, StoryPage
from marketplace.models import AuditEvent
from producers.models import ProducerGroup

pytestmark = pytest.mark.django_db


def seed_demo():
    call_command("seed_demo", force=True, stdout=io.StringIO())


def test_the_demo_catalogue_has_every_groups_page_products_photos_and_a_story():
    seed_demo()

    assert set(Category.objects.values_list("slug", flat=True)) == {slug for slug, *_ in demo.CATEGORIES}
    assert Certification.objects.filter(kind=Certification.Kind.OTOP).count() == 5
    assert Certification.objects.filter(slug="community-product-standard").exists()
    group_pages = ProducerGroupPage.objects.live()
    assert group_pages.count() == len(demo.GROUPS) == 8
    assert all(page.profile and page.photos.exists() for page in group_pages)
    products = ProductPage.objects.live()
    assert products.count() == 60
    for page in group_pages:
        assert ProductPage.objects.child_of(page).live().count() >= 7

    rice = ProductPage.objects.get(sku="KM-001")
    assert rice.title == "ข้าวหอมมะลิอินทรีย์" and rice.title_en == "Organic jasmine rice (Hom Mali)"
    assert (rice.price, rice.unit) == (85, "kg")
    assert set(rice.certifications.values_list("slug", flat=True)) == {"organic-thailand", "thai-gap"}
    assert ProductPage.objects.get(sku="PW-001").price == 3500
    assert ProductPage.objects.get(sku="SK-007").seasonal_months == [6, 7, 8, 9, 10]

    for product in products:
        photos = list(product.gallery.select_related("image__collection"))
        assert 1 <= len(photos) <= 2, product.sku
        assert all(photo.alt_text for photo in photos)
        # Each photo sits in its own group's collection, where only that group's people may use it.
        group_code = product.get_parent().specific.group.code
        assert {photo.image.collection.name for photo in photos} == {group_code}
    assert get_image_model().objects.get(title="ข้าวหอมมะลิอินทรีย์").width == 800

    story = StoryPage.objects.get(slug=demo.STORY_SLUG)
    assert story.live and "13" in story.title and story.title_en


def test_demo_accounts_can_work_on_the_demo_groups():
    seed_demo()
    User = get_user_model()
    manager = User.objects.get(email="manager@demo.example")
    coordinator = User.objects.get(email="coordinator@demo.example")
    silk = ProductPage.objects.get(sku="PW-001")
    rice = ProductPage.objects.get(sku="KM-001")

    assert silk.permissions_for_user(manager).can_edit()
    assert not silk.permissions_for_user(manager).can_publish()
    assert not rice.permissions_for_user(manager).can_edit()  # not the manager's group
    for group_page in ProducerGroupPage.objects.all():  # the coordinator covers Kalasin and Roi Et
        assert group_page.permissions_for_user(coordinator).can_publish()


def test_seeding_twice_creates_nothing_new():
    seed_demo()
    models = [
        Page,
        Revision,
        ProductPage,
        ProductPhoto,
        get_image_model(),
        Collection,
        Group,
        GroupPagePermission,
        Workflow,
        Category,
        Certification,
        ProducerGroup,
        AuditEvent,
    ]
    before = {model.__name__: model.objects.count() for model in models}
    memberships = {group.name: set(group.user_set.values_list("pk", flat=True)) for group in Group.objects.all()}

    seed_demo()

    after = {model.__name__: model.objects.count() for model in models}
    # Only the sign-in accounts are re-saved (their password is reset to the demo one): no audit
    # event, page, photo or permission is added by a second run.
    assert after == before
    assert {group.name: set(group.user_set.values_list("pk", flat=True)) for group in Group.objects.all()} == (
        memberships
    )
