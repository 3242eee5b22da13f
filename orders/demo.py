"""Demo agreements and call-offs (called by `manage.py seed_demo` after the catalogue): three
active offtake agreements between Kalasin University and three demo companies, on the demo
products of named producer groups, and a few call-offs in different states. Idempotent: keyed by
agreement code; call-offs are only added to an agreement that has none.

The first agreement belongs to the demo purchaser's company and includes the Phrae Wa silk of the
group the demo manager runs, so the two demo accounts can play a call-off through end to end.

Each agreement's confirmed call-off is then carried on through the real fulfilment services and
the offline Stripe fake (`_seed_fulfilment`, only while none of the agreement's orders has a
delivery): the first is partly delivered, accepted and its invoice paid; the second delivered in
full and accepted with a rejection, its invoice open; the third delivered, accepted and invoiced
with its dates moved back so that the invoice is overdue.

Then income.demo carries earlier call-offs through to payment and the money to the households
(the ledger is income's); it uses `_ago`, `_manager_of`, `_first_product` and `_pay_invoice` from
here."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cms.models import ProducerGroupPage, ProductPage
from producers.models import GroupMembership, Institution, ProducerGroup

from . import fulfilment, services
from .fulfilment import LineDecision
from .models import AgreementLine, Delivery, Invoice, OrderStatus, PurchaseAgreement

# code, title, company index (buyers.demo.COMPANIES), [(group code, committed, price, min, max)]
AGREEMENTS = [
    (
        "KSU-MOU-2569-001",
        "บันทึกข้อตกลงรับซื้อผ้าไหมและข้าวหอมมะลิ ปี 2569",
        0,
        [
            ("KSU-SILK-PHRAEWA", "120", "3200.00", "2", "20"),
            ("KSU-RICE-KAMALASAI", "5000", "52.00", "100", "1000"),
        ],
    ),
    (
        "KSU-MOU-2569-002",
        "บันทึกข้อตกลงรับซื้ออาหารแปรรูปชุมชน ปี 2569",
        3,
        [
            ("KSU-CHILLI-SAHATSAKHAN", "2400", "65.00", "48", "480"),
            ("KSU-PLARA-YANGTALAT", "1200", "90.00", "24", "240"),
        ],
    ),
    (
        "KSU-MOU-2569-003",
        "บันทึกข้อตกลงรับซื้อเครื่องจักสานและเสื่อกก ปี 2569",
        8,
        [
            ("KSU-BASKET-KUCHINARAI", "600", "350.00", "10", "100"),
            ("KSU-MAT-PHONTHONG", "300", "480.00", "5", "50"),
        ],
    ),
]

# A one-page PDF standing in for the scanned, signed MOU.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _first_product(group: ProducerGroup) -> ProductPage | None:
    page = ProducerGroupPage.objects.filter(group=group).first()
    if page is None:
        return None
    return ProductPage.objects.child_of(page).live().order_by("path").first()


@transaction.atomic
def seed(*, purchaser, companies: list, coordinator=None) -> dict:
    """Returns {"agreements": created this run, "call_offs": orders created this run,
    "deliveries": deliveries recorded this run, "skipped": [codes left out because their products
    do not exist yet]}."""
    figures = {"agreements": 0, "call_offs": 0, "deliveries": 0, "skipped": []}
    institution = Institution.objects.filter(code="KSU").first()
    if institution is None:
        figures["skipped"] = [code for code, *_ in AGREEMENTS]
        return figures
    today = timezone.localdate()
    for index, (code, title, company_index, line_specs) in enumerate(AGREEMENTS):
        agreement = PurchaseAgreement.objects.filter(code=code).first()
        if agreement is None:
            groups = {group.code: group for group in ProducerGroup.objects.filter(code__in=[s[0] for s in line_specs])}
            products = [(spec, _first_product(groups[spec[0]]) if spec[0] in groups else None) for spec in line_specs]
            if any(product is None for _spec, product in products):
                figures["skipped"].append(code)
                continue
            agreement = PurchaseAgreement(
                code=code,
                title=title,
                institution=institution,
                company=companies[company_index],
                signed_on=today - datetime.timedelta(days=95),
                valid_from=today - datetime.timedelta(days=90),
                valid_to=today + datetime.timedelta(days=275),
                payment_terms_days=30,
                delivery_terms="ส่งมอบ ณ คลังสินค้าของบริษัท ภายใน 14 วันหลังกลุ่มยืนยันคำสั่งซื้อ",
            )
            agreement.signed_document.save(f"{code}.pdf", ContentFile(DEMO_PDF), save=False)
            agreement.save()
            agreement.groups.set(groups.values())
            agreement.save()
            for sort_order, ((_group, committed, price, minimum, maximum), product) in enumerate(products):
                AgreementLine.objects.create(
                    agreement=agreement,
                    product=product,
                    sort_order=sort_order,
                    committed_quantity=Decimal(committed),
                    unit_price=Decimal(price),
                    min_per_call_off=Decimal(minimum),
                    max_per_call_off=Decimal(maximum),
                )
            agreement = services.agreement_activate(agreement=agreement, actor=coordinator)
            figures["agreements"] += 1
        if not agreement.orders.exists() and agreement.terminated_at is None:
            figures["call_offs"] += _seed_call_offs(agreement, purchaser if company_index == 0 else None)
        if not Delivery.objects.filter(order__agreement=agreement).exists():
            figures["deliveries"] += _seed_fulfilment(agreement, index)
    return figures


def _manager_of(group_id):
    membership = GroupMembership.objects.filter(group_id=group_id, role=GroupMembership.Role.MANAGER).first()
    return membership.user if membership else None


def _seed_call_offs(agreement: PurchaseAgreement, purchaser) -> int:
    """Three call-offs on the first line: one confirmed, one cancelled, one awaiting the group;
    and one declined on the second line."""
    first, second = agreement.lines.order_by("sort_order", "pk")[:2]
    confirmed, cancelled, _waiting = (
        services.call_off_place(
            agreement=agreement, quantities={first.pk: first.min_per_call_off * n}, placed_by=purchaser
        )[0]
        for n in (3, 2, 1)
    )
    services.order_confirm(order=confirmed, actor=_manager_of(confirmed.group_id), note="พร้อมส่งภายใน 7 วัน")
    fulfilment.order_cancel_by_buyer(order=cancelled, actor=purchaser, note="สั่งซ้ำโดยไม่ได้ตั้งใจ")
    [declined] = services.call_off_place(
        agreement=agreement, quantities={second.pk: second.min_per_call_off}, placed_by=purchaser
    )
    services.order_decline(order=declined, actor=_manager_of(declined.group_id), reason="ผลผลิตรอบนี้ยังไม่พร้อม ขอส่งรอบหน้า")
    return 4


def _seed_fulfilment(agreement: PurchaseAgreement, index: int) -> int:
    """Carry the agreement's confirmed call-off on: deliveries, acceptance and invoices, through
    the real services and the offline Stripe fake. Returns the deliveries recorded."""
    from . import payments
    from .stripe_fake import FAKE

    order = agreement.orders.filter(status=OrderStatus.CONFIRMED).order_by("pk").first()
    if order is None:
        return 0
    manager = _manager_of(order.group_id)
    line = order.lines.get()
    today = timezone.localdate()
    variant = index % 3

    def deliver(quantity, days_ago, note_number):
        return fulfilment.delivery_record(
            order=order,
            quantities={line.pk: quantity},
            delivered_on=today - datetime.timedelta(days=days_ago),
            note_number=note_number,
            note="ส่งมอบที่คลังสินค้าของบริษัท รถกระบะของกลุ่ม",
            actor=manager,
        )

    def accept(delivery, rejected=Decimal("0"), reason=""):
        [delivery_line] = delivery.lines.all()
        fulfilment.delivery_accept(
            delivery=delivery,
            decisions={delivery_line.pk: LineDecision(delivery_line.quantity - rejected, rejected, reason)},
            actor=order.placed_by,
        )
        # The demo runs inside seed_demo's transaction, so the after-commit Stripe call has not
        # run yet: issue the invoice now (the later after-commit call then finds it issued).
        return fulfilment.invoice_issue(Invoice.objects.get(delivery=delivery))

    if variant == 0:
        # Partly delivered (two thirds), accepted, invoiced and paid; the rest is still to come.
        delivered = (line.quantity * 2 / 3).quantize(Decimal("1"))
        invoice = accept(deliver(delivered, 12, f"DN-{order.pk:04d}-1"))
        if invoice.stripe_invoice_id:
            FAKE.pay_invoice(invoice.stripe_invoice_id, method="promptpay")
            payments.invoice_paid(invoice=invoice)
            fulfilment.order_complete_if_settled(order)
        return 1
    if variant == 1:
        # Delivered in full; part rejected with a reason; the invoice for the rest is open.
        rejected = max((line.quantity / 20).quantize(Decimal("1")), Decimal("1"))
        accept(deliver(line.quantity, 5, f"DN-{order.pk:04d}-1"), rejected, "บรรจุภัณฑ์ชำรุดระหว่างขนส่ง")
        return 1
    # Delivered and accepted long ago: the invoice is past its due date. The fake Stripe cannot
    # travel in time, so the dates the services wrote are moved back as time would have moved them.
    delivery = deliver(line.quantity, 0, f"DN-{order.pk:04d}-1")
    invoice = accept(delivery)
    back = datetime.timedelta(days=agreement.payment_terms_days + 10)
    Delivery.objects.filter(pk=delivery.pk).update(
        delivered_on=today - back, recorded_at=timezone.now() - back, accepted_at=timezone.now() - back
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        issued_at=timezone.now() - back, due_date=today - datetime.timedelta(days=10)
    )
    return 1


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _pay_invoice(invoice: Invoice, method: str) -> None:
    """The company pays on Stripe's page; Stripe's `invoice.paid` reaches our webhook."""
    from . import stripe_demo
    from .stripe_fake import FAKE

    stripe_demo.deliver_locally(FAKE.pay_invoice(invoice.stripe_invoice_id, method=method))
