"""Factories for catalogue content: categories, certifications, product pages, Wagtail images, and
the form data the Wagtail page editor posts for a product."""

import io
from decimal import Decimal
from types import SimpleNamespace

import factory
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from cms.models import Category, Certification, ProductPage, Unit
from cms.services import ensure_group_access, ensure_group_page
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory, assign
from tests.helpers import give_totp


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = "ผ้าไหม"
    name_en = "Silk"
    slug = "silk"


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("slug",)

    kind = Certification.Kind.OTOP
    stars = 5
    name = "OTOP 5 ดาว"
    name_en = "OTOP 5 stars"
    slug = "otop-5"


def group_page(group):
    """The group's page, created as the group's creation creates it."""
    return ensure_group_page(group)


class ProductPageFactory(factory.django.DjangoModelFactory):
    """A product page under `parent` (a ProducerGroupPage, required), live unless live=False."""

    class Meta:
        model = ProductPage

    title = factory.Sequence(lambda n: f"ผ้าไหมแพรวาย้อมคราม {n}")
    title_en = factory.Sequence(lambda n: f"Indigo-dyed Phrae Wa silk {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    description = "<p>ทอมือด้วยไหมไทยพื้นบ้าน ย้อมครามธรรมชาติ</p>"
    unit = Unit.METRE
    price = Decimal("3500.00")
    min_order_quantity = Decimal("1")
    available_quantity = Decimal("20")
    monthly_capacity = Decimal("40")
    lead_time_days = 14
    sku = factory.Sequence(lambda n: f"TEST-{n:05d}")

    @classmethod
    def _create(cls, model_class, *args, parent, live=True, **kwargs):
        page = model_class(*args, **kwargs)
        page.live = live
        parent.add_child(instance=page)
        revision = page.save_revision()
        if live:
            revision.publish()
        page.refresh_from_db()
        return page


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "#1b4f8a") -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def make_image(collection, *, title: str = "ภาพทดสอบ", fmt: str = "PNG", size=(64, 48), color="#1b4f8a"):
    """A Wagtail image in `collection`."""
    extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
    file = ImageFile(io.BytesIO(image_bytes(fmt, size, color)), name=f"test.{extension}")
    image = get_image_model()(title=title, file=file, collection=collection)
    image.save()
    return image


def product_form_data(page: ProductPage, **changes) -> dict:
    """What the page editor posts for `page` (its current values, then `changes`), built with
    Wagtail's form-data helpers. Add `action-publish` / `action-submit` to choose the button.
    `gallery=[{"image": id, "alt_text": ...}]` posts those photos as new ones (for a page that has
    none yet)."""
    values = {
        "title": page.title,
        "slug": page.slug,
        "title_en": page.title_en,
        "category": page.category_id,
        "description": rich_text(page.description),
        "description_en": rich_text(page.description_en or ""),
        "unit": page.unit,
        "price": str(page.price),
        "min_order_quantity": str(page.min_order_quantity),
        "available_quantity": str(page.available_quantity),
        "monthly_capacity": "" if page.monthly_capacity is None else str(page.monthly_capacity),
        "lead_time_days": str(page.lead_time_days),
        "fda_number": page.fda_number,
        "shelf_life_days": "" if page.shelf_life_days is None else str(page.shelf_life_days),
        "storage": page.storage,
        "sku": page.sku,
        "seo_title": page.seo_title,
        "search_description": page.search_description,
        "gallery": inline_formset(
            [
                {"id": photo.pk, "image": photo.image_id, "alt_text": photo.alt_text, "caption": photo.caption}
                for photo in page.gallery.all()
            ],
            initial=page.gallery.count(),
        ),
        "comments": inline_formset([]),
    }
    gallery = changes.pop("gallery", None)
    values.update(changes)
    if gallery is not None:
        values["gallery"] = inline_formset(gallery, initial=0)
    data = nested_form_data(values)
    # Checkbox lists post one value per ticked box (the test client sends a list as repeated keys).
    data["seasonal_months"] = [str(month) for month in (page.seasonal_months or [])]
    data["certifications"] = [str(pk) for pk in page.certifications.values_list("pk", flat=True)]
    return data


def two_areas():
    """The cast of the permission tests: group A in Kalasin (46) and group B in Roi Et (45), each
    with its page, a live product and a manager; a coordinator for each province (with an
    authenticator app, as the admin requires of coordinators); an image in each group's
    collection."""
    kalasin_coordinator = UserFactory(email="kalasin.coordinator@example.org")
    roi_et_coordinator = UserFactory(email="roiet.coordinator@example.org")
    assign(kalasin_coordinator, province_code="46")
    assign(roi_et_coordinator, province_code="45")
    give_totp(kalasin_coordinator)
    give_totp(roi_et_coordinator)

    group_a = GroupFactory(code="GRP-A", name_th="กลุ่มทอผ้าไหมบ้านเอ", name_en="Ban A Silk Weavers")
    group_b = GroupFactory(
        code="GRP-B",
        name_th="กลุ่มจักสานบ้านบี",
        province_code="45",
        district_code="4501",
        subdistrict_code="450101",
    )
    access_a = ensure_group_access(group_a)
    access_b = ensure_group_access(group_b)

    manager_a = UserFactory(email="manager.a@example.org")
    manager_b = UserFactory(email="manager.b@example.org")
    producer_services.membership_grant(user=manager_a, group=group_a, role=GroupMembership.Role.MANAGER)
    producer_services.membership_grant(user=manager_b, group=group_b, role=GroupMembership.Role.TREASURER)

    product_a = ProductPageFactory(parent=access_a.page, title="ผ้าไหมแพรวาย้อมคราม", slug="phrae-wa-indigo")
    product_b = ProductPageFactory(parent=access_b.page, title="กระติบข้าว", slug="sticky-rice-basket")
    return SimpleNamespace(
        group_a=group_a,
        group_b=group_b,
        access_a=access_a,
        access_b=access_b,
        product_a=product_a,
        product_b=product_b,
        manager_a=manager_a,
        manager_b=manager_b,
        kalasin_coordinator=kalasin_coordinator,
        roi_et_coordinator=roi_et_coordinator,
        image_a=make_image(access_a.collection, title="ภาพผ้าไหมกลุ่มเอ"),
        image_b=make_image(access_b.collection, title="ภาพกระติบกลุ่มบี"),
    )
