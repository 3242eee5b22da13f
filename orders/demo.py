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

Then the money reaches the households (`_seed_settlement`, only while none of the agreement's
deliveries has contributions): earlier call-offs of the last three months are carried through
delivery, acceptance, the invoice and its payment (the fake Stripe's `invoice.paid` delivered to
our own webhook), and the group records which of its households supplied each delivery, which
settles it into their income ledger (producers.ledger) on the day the invoice was paid. The
deliveries still awaiting payment get their contributions too, and wait. The purchaser's company
also buys from two more groups on the marketplace, paid by card through the fake checkout page
(`_seed_marketplace`). Finally the groups pay most of what they owe their households
(`_seed_payouts`): some in full, some in part, some not yet.

Stripe's clock cannot be turned back, so the dates the services wrote (placed, delivered,
accepted, invoiced, paid) are moved back with plain updates BEFORE the contributions settle each
delivery: the ledger, which is never edited, then carries the right day from the start."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cms.models import ProducerGroupPage, ProductPage
from producers import ledger
from producers.models import (
    Contribution,
    GroupMembership,
    Household,
    HouseholdIncomeEntry,
    Institution,
    Payout,
    ProducerGroup,
)
from producers.settlement import split_exact

from . import fulfilment, services
from .fulfilment import LineDecision
from .models import AgreementLine, Checkout, Delivery, Invoice, Order, OrderStatus, PurchaseAgreement

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
    "deliveries": deliveries recorded this run, "payouts": payouts recorded this run,
    "skipped": [codes left out because their products do not exist yet]}."""
    figures = {"agreements": 0, "call_offs": 0, "deliveries": 0, "payouts": 0, "skipped": []}
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
        if (
            agreement.terminated_at is None
            and not Contribution.objects.filter(delivery_line__delivery__order__agreement=agreement).exists()
        ):
            figures["deliveries"] += _seed_settlement(agreement, index, purchaser if company_index == 0 else None)
    if purchaser is not None and companies:
        figures["deliveries"] += _seed_marketplace(companies[0], purchaser)
    figures["payouts"] = _seed_payouts()
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


# --- From paid goods to household income ----------------------------------------------------

# Earlier call-offs of this year's agreements, carried through to payment:
# (agreement line index, days ago placed, delivered, paid). Each orders the line's maximum.
HISTORY = [
    (0, 85, 78, 70),
    (1, 75, 68, 58),
    (0, 60, 52, 44),
    (1, 45, 38, 30),
    (0, 30, 24, 16),
]
# (group code, quantity) bought by the purchaser's company on the marketplace, 20 days ago.
MARKETPLACE = [("KSU-RICE-KASETWISAI", "600"), ("KSU-SILK-SELAPHUM", "12")]
MARKETPLACE_DAYS_AGO = 20


def _ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _whole_split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """`total` shared by the weights in whole units (largest remainder, ties by position), so a
    household supplies whole pieces; quantities with decimals are shared to the gram."""
    pairs = list(enumerate(Decimal(w) for w in weights))
    if total != total.to_integral_value():
        parts = ledger.split_quantity(total, pairs)
        return [parts[i] for i in range(len(weights))]
    # split_exact shares hundredths: a hundredth of the total, shared, is whole units ÷ 100.
    parts = split_exact(total / 100, pairs)
    return [(parts[i] * 100).quantize(Decimal(1)) for i in range(len(weights))]


def _contribute(delivery: Delivery, rng, actor) -> None:
    """The group records who supplied each line of the delivery: 6 to 12 of its core households
    (three in four of those who may be credited; the rest rarely supply), in uneven shares. The
    ledger settles the delivery at once if it is accepted and paid."""
    eligible = list(ledger.eligible_households(delivery.order.group).values_list("pk", flat=True))
    core = [pk for n, pk in enumerate(eligible) if n % 4 != 3] or eligible
    rows = {}
    for line in delivery.lines.order_by("pk"):
        chosen = sorted(rng.sample(core, min(len(core), rng.randint(6, 12))))
        shares = _whole_split(line.quantity, [rng.randint(1, 4) for _ in chosen])
        rows[line.pk] = {pk: share for pk, share in zip(chosen, shares, strict=True) if share > 0}
    ledger.contributions_record(delivery=delivery, rows=rows, actor=actor)


def _pay_invoice(invoice: Invoice, method: str) -> None:
    """The company pays on Stripe's page; Stripe's `invoice.paid` reaches our webhook."""
    from . import stripe_demo
    from .stripe_fake import FAKE

    stripe_demo.deliver_locally(FAKE.pay_invoice(invoice.stripe_invoice_id, method=method))


def _seed_settlement(agreement: PurchaseAgreement, index: int, purchaser) -> int:
    """Earlier call-offs delivered, accepted, invoiced and paid (HISTORY), then every delivery of
    the agreement contributed: the paid ones settle, the others wait for payment. Returns the
    deliveries recorded."""
    rng = random.Random(2570 + index)
    lines = list(agreement.lines.order_by("sort_order", "pk"))
    terms = datetime.timedelta(days=agreement.payment_terms_days)
    today = timezone.localdate()
    recorded = 0
    for number, (line_index, placed, delivered, paid) in enumerate(HISTORY, start=1):
        agreement_line = lines[line_index]
        try:
            [order] = services.call_off_place(
                agreement=agreement,
                quantities={agreement_line.pk: agreement_line.max_per_call_off},
                placed_by=purchaser,
            )
        except ValidationError:
            break  # a database someone played in: the agreement has no room left for this history
        manager = _manager_of(order.group_id)
        services.order_confirm(order=order, actor=manager, note="ส่งได้ตามกำหนด")
        order_line = order.lines.get()
        delivery = fulfilment.delivery_record(
            order=order,
            quantities={order_line.pk: order_line.quantity},
            delivered_on=today - datetime.timedelta(days=delivered),
            note_number=f"DN-{order.pk:04d}-1",
            note="ส่งมอบที่คลังสินค้าของบริษัท",
            actor=manager,
        )
        [delivery_line] = delivery.lines.all()
        fulfilment.delivery_accept(
            delivery=delivery, decisions={delivery_line.pk: LineDecision(delivery_line.quantity)}, actor=purchaser
        )
        # Inside seed_demo's transaction the after-commit Stripe call has not run: issue now.
        invoice = fulfilment.invoice_issue(Invoice.objects.get(delivery=delivery))
        _pay_invoice(invoice, "promptpay" if number % 2 else "card")
        Order.objects.filter(pk=order.pk).update(placed_at=_ago(placed))
        Delivery.objects.filter(pk=delivery.pk).update(recorded_at=_ago(delivered), accepted_at=_ago(delivered - 1))
        Invoice.objects.filter(pk=invoice.pk).update(
            issued_at=_ago(delivered - 1),
            due_date=today - datetime.timedelta(days=delivered - 1) + terms,
            paid_at=_ago(paid),
        )
        recorded += 1
    deliveries = Delivery.objects.filter(order__agreement=agreement, status=Delivery.Status.ACCEPTED).order_by("pk")
    for delivery in deliveries.select_related("order"):
        if delivery.lines.filter(accepted_quantity__gt=0).exists():
            _contribute(delivery, rng, _manager_of(delivery.order.group_id))
    return recorded


def _seed_marketplace(company, purchaser) -> int:
    """The purchaser's company buys from two more groups in one cart, pays by card on the fake
    Stripe page (its webhook marks the checkout paid), and the groups deliver; the households who
    supplied the goods are recorded. Once: only while the company has no marketplace order."""
    from . import stripe_demo
    from .cart import cart_add
    from .checkout import checkout_start
    from .models import Cart
    from .stripe_fake import FAKE

    if Order.objects.filter(company=company, kind=Order.Kind.MARKETPLACE).exists():
        return 0
    products = []
    for group_code, quantity in MARKETPLACE:
        group = ProducerGroup.objects.filter(code=group_code).first()
        product = _first_product(group) if group else None
        if product is None:
            return 0
        products.append((product, Decimal(quantity)))
    cart, _created = Cart.objects.get_or_create(user=purchaser)
    for product, quantity in products:
        cart_add(cart=cart, product=product, quantity=quantity)
    checkout = checkout_start(
        cart=cart,
        company=company,
        user=purchaser,
        success_url_builder=lambda c: f"/cart/checkout/{c.reference}/",
        cancel_url_builder=lambda c: f"/cart/checkout/{c.reference}/",
    )
    stripe_demo.deliver_locally(FAKE.complete_session(checkout.stripe_session_id, method="card"))
    Checkout.objects.filter(pk=checkout.pk).update(
        created_at=_ago(MARKETPLACE_DAYS_AGO), paid_at=_ago(MARKETPLACE_DAYS_AGO)
    )
    rng = random.Random(2580)
    today = timezone.localdate()
    recorded = 0
    for order in checkout.orders.order_by("pk"):
        manager = _manager_of(order.group_id)
        services.order_confirm(order=order, actor=manager, note="มีสินค้าพร้อมส่ง")
        delivery = fulfilment.delivery_record(
            order=order,
            quantities={line.pk: line.quantity for line in order.lines.all()},
            delivered_on=today - datetime.timedelta(days=MARKETPLACE_DAYS_AGO - 4),
            note_number=f"DN-{order.pk:04d}-1",
            note="ส่งทางไปรษณีย์",
            actor=manager,
        )
        fulfilment.delivery_accept(
            delivery=delivery,
            decisions={line.pk: LineDecision(line.quantity) for line in delivery.lines.all()},
            actor=purchaser,
        )
        Order.objects.filter(pk=order.pk).update(placed_at=_ago(MARKETPLACE_DAYS_AGO))
        Delivery.objects.filter(pk=delivery.pk).update(
            recorded_at=_ago(MARKETPLACE_DAYS_AGO - 4), accepted_at=_ago(MARKETPLACE_DAYS_AGO - 5)
        )
        _contribute(delivery, rng, manager)
        recorded += 1
    return recorded


def _seed_payouts() -> int:
    """Each group with income to hand out and no payouts yet pays its households a few days after
    their last sale: seven in ten in full, two in ten half, one in ten not yet. One aggregate
    query per group; each payout goes through `ledger.payout_record` (never above the balance)."""
    from django.db.models import Max, Sum

    rng = random.Random(2590)
    today = timezone.localdate()
    methods = [Payout.Method.CASH, Payout.Method.PROMPTPAY, Payout.Method.BANK_TRANSFER]
    count = 0
    groups = ProducerGroup.objects.filter(code__startswith="KSU-").order_by("code")
    for group in groups:
        if Payout.objects.filter(group=group).exists():
            continue
        balances = (
            HouseholdIncomeEntry.objects.filter(group=group)
            .values("household")
            .annotate(total=Sum("amount"), last=Max("earned_on"))
            .order_by("household")
        )
        manager = _manager_of(group.pk)
        households = Household.objects.in_bulk([row["household"] for row in balances])
        for row in balances:
            draw, method = rng.random(), rng.choice(methods)
            if row["total"] <= 0 or draw >= 0.9:
                continue
            amount = row["total"] if draw < 0.7 else (row["total"] / 2).quantize(Decimal("0.01"))
            paid_on = min(today, row["last"] + datetime.timedelta(days=rng.randint(2, 9)))
            ledger.payout_record(
                household=households[row["household"]],
                group=group,
                amount=amount,
                method=method,
                paid_on=paid_on,
                actor=manager,
                reference="" if method == Payout.Method.CASH else f"DEMO-{group.pk:02d}{row['household']:05d}",
            )
            count += 1
    return count
