"""Factories for the public catalogue: categories, certifications, producer group pages and product
pages placed in the real page tree (under the indexes that migration cms/0004 creates)."""

import itertools
from decimal import Decimal

import factory
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from cms.models import (
    Category,
    Certification,
    ProducerGroupPage,
    ProducerGroupPhoto,
    ProducersIndexPage,
    ProductPage,
    ProductPhoto,
    Unit,
)
from tests.factories.households import GroupFactory

_products = itertools.count(1)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"หมวดสินค้าทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("slug",)

    kind = Certification.Kind.ORGANIC
    name = factory.Sequence(lambda n: f"มาตรฐานทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test standard {n}")
    slug = factory.Sequence(lambda n: f"standard-{n}")


def make_image(title: str = "ภาพสินค้า", colour: str = "olive", size=(1600, 1200)):
    """A real image file (PNG made by Pillow) in the Wagtail image library."""
    return get_image_model().objects.create(title=title, file=get_test_image_file(colour=colour, size=size))


def producers_index() -> ProducersIndexPage:
    return ProducersIndexPage.objects.get()


def make_group_page(group=None, *, photo=None, **fields) -> ProducerGroupPage:
    """The public page of a producer group (a new Kalasin group unless one is given), published."""
    group = group or GroupFactory()
    fields.setdefault("title", group.name_th)
    fields.setdefault("slug", group.code.lower())
    page = ProducerGroupPage(group=group, **fields)
    if photo is not None:
        page.photos.add(ProducerGroupPhoto(image=photo, alt_text="ภาพกลุ่ม"))
    producers_index().add_child(instance=page)
    page.save_revision().publish()
    return page


def make_product(
    group_page: ProducerGroupPage | None = None,
    *,
    photos=(),
    certifications=(),
    publish: bool = True,
    **fields,
) -> ProductPage:
    """A product page under a group page, published through a revision as an editor would.

    publish=False adds the page live without a revision, much faster: for tests that need hundreds.
    """
    group_page = group_page or make_group_page()
    n = next(_products)
    fields.setdefault("title", f"สินค้าทดสอบ {n}")
    fields.setdefault("slug", f"product-{n}")
    fields.setdefault("sku", f"TEST-{n:05d}")
    fields.setdefault("description", "<p>สินค้าจากกลุ่มวิสาหกิจชุมชน</p>")
    fields.setdefault("unit", Unit.KG)
    fields.setdefault("price", Decimal("100.00"))
    fields.setdefault("available_quantity", Decimal("10"))
    if "category" not in fields:
        fields["category"] = CategoryFactory(slug="test-goods", name="สินค้าทดสอบ", name_en="Test goods")
    if not publish:
        fields.setdefault("first_published_at", timezone.now())
    page = ProductPage(**fields)
    for image in photos:
        page.gallery.add(ProductPhoto(image=image, alt_text=f"ภาพ {page.title}"))
    if certifications:
        page.certifications.set(certifications)
    group_page.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    return page
