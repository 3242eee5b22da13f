"""Factories for agreements, their lines and call-offs. Products are real ProductPages placed under
their producer group's page in the page tree (cms migration 0004 creates the indexes)."""

import datetime
import itertools
import uuid
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from cms.models import Category, ProducerGroupPage, ProducersIndexPage, ProductPage, Unit
from marketplace.money import to_satang
from orders import services
from orders.models import AgreementLine, Checkout, Order, OrderLine, OrderStatus, PaymentStatus, PurchaseAgreement
from tests.factories.buyers import CompanyFactory
from tests.factories.households import GroupFactory, InstitutionFactory

_products = itertools.count(1)

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def signed_pdf(name: str = "signed.pdf", content: bytes = PDF_BYTES) -> ContentFile:
    return ContentFile(content, name=name)


def group_page_for(group) -> ProducerGroupPage:
    page = ProducerGroupPage.objects.filter(group=group).first()
    if page is None:
        page = ProducerGroupPage(group=group, title=group.name_th, slug=group.code.lower())
        ProducersIndexPage.objects.get().add_child(instance=page)
    return page


def make_product(group=None, **fields) -> ProductPage:
    """A live product page of `group` (a new Kalasin group unless given)."""
    group = group or GroupFactory()
    n = next(_products)
    fields.setdefault("title", f"ข้าวหอมมะลิทดสอบ {n}")
    fields.setdefault("slug", f"order-product-{n}")
    fields.setdefault("sku", f"ORD-{n:05d}")
    fields.setdefault("description", "<p>สินค้าจากกลุ่มวิสาหกิจชุมชน</p>")
    fields.setdefault("unit", Unit.KG)
    fields.setdefault("price", Decimal("60.00"))
    fields.setdefault("available_quantity", Decimal("500"))
    fields.setdefault("first_published_at", timezone.now())
    if "category" not in fields:
        fields["category"], _ = Category.objects.get_or_create(
            slug="order-test-goods", defaults={"name": "สินค้าทดสอบคำสั่งซื้อ", "name_en": "Order test goods"}
        )
    page = ProductPage(**fields)
    group_page_for(group).add_child(instance=page)
    return page


class AgreementFactory(factory.django.DjangoModelFactory):
    """A draft agreement with a signed date and document; add lines with `add_line`."""

    class Meta:
        model = PurchaseAgreement
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"KSU-MOU-TEST-{n:03d}")
    title = factory.Sequence(lambda n: f"บันทึกข้อตกลงรับซื้อผลผลิต {n}")
    institution = factory.SubFactory(InstitutionFactory)
    company = factory.SubFactory(CompanyFactory)
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=358))
    payment_terms_days = 30
    delivery_terms = "ส่งมอบที่คลังสินค้าของบริษัท ภายใน 14 วันหลังยืนยันคำสั่งซื้อ"
    signed_document = factory.LazyFunction(signed_pdf)


def add_line(agreement, product=None, *, committed="100", price="55.00", **fields) -> AgreementLine:
    product = product or make_product()
    group = product.get_parent().specific.group
    PurchaseAgreement.groups.through.objects.get_or_create(purchaseagreement=agreement, producergroup=group)
    return AgreementLine.objects.create(
        agreement=agreement,
        product=product,
        committed_quantity=Decimal(committed),
        unit_price=Decimal(price),
        **fields,
    )


def active_agreement(*, company=None, lines=1, committed="100", actor=None, **fields):
    """An activated agreement with `lines` lines (one product each, all of one new group)."""
    if company is not None:
        fields["company"] = company
    agreement = AgreementFactory(**fields)
    group = GroupFactory()
    for _ in range(lines):
        add_line(agreement, make_product(group), committed=committed)
    return services.agreement_activate(agreement=agreement, actor=actor)


# --- Orders in later states -----------------------------------------------------------------


def confirmed_call_off(agreement, quantities: dict, *, placed_by, manager=None):
    """A call-off placed by `placed_by` and confirmed by the group (by `manager` if given)."""
    [order] = services.call_off_place(
        agreement=agreement, quantities={line.pk: Decimal(q) for line, q in quantities.items()}, placed_by=placed_by
    )
    return services.order_confirm(order=order, actor=manager)


def fake_payment_intent(amount: Decimal) -> str:
    """A succeeded PaymentIntent (with its charge) in the fake Stripe, as if a checkout was paid."""
    from orders.stripe_fake import FAKE

    with FAKE._lock:
        return FAKE._pay(to_satang(amount), "thb", "card", "succeeded", {})["id"]


def paid_marketplace_order(*, company, lines, placed_by=None, status=OrderStatus.PLACED):
    """A marketplace order of one group, paid at checkout: lines = [(product, quantity)], priced
    at the product's price. Built with the ORM, as the checkout service would leave it."""
    group = lines[0][0].get_parent().specific.group
    total = sum((Decimal(q) * product.price for product, q in lines), Decimal("0")).quantize(Decimal("0.01"))
    now = timezone.now()
    checkout = Checkout.objects.create(
        reference=f"CK-{uuid.uuid4().hex[:10]}",
        company=company,
        created_by=placed_by,
        status=Checkout.Status.PAID,
        total=total,
        stripe_payment_intent_id=fake_payment_intent(total),
        payment_method="card",
        paid_at=now,
    )
    order = Order.objects.create(
        number=f"MO-{uuid.uuid4().hex[:10]}",
        kind=Order.Kind.MARKETPLACE,
        company=company,
        group=group,
        status=status,
        payment_status=PaymentStatus.PAID,
        placed_by=placed_by,
        checkout=checkout,
    )
    for product, quantity in lines:
        OrderLine.objects.create(
            order=order,
            product=product,
            quantity=Decimal(quantity),
            product_name=product.title,
            unit=product.unit,
            unit_price=product.price,
        )
    return order
