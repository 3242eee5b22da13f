"""Demo household income (called by `manage.py seed_demo` after orders.demo): the money reaches
the households.

For each demo agreement (`_seed_settlement`, only while none of the agreement's deliveries has
contributions), earlier call-offs of the last three months are carried through delivery,
acceptance, the invoice and its payment (the fake Stripe's `invoice.paid` delivered to our own
webhook), and the group records which of its households supplied each delivery, which settles it
into their income ledger (income.ledger) on the day the invoice was paid. The deliveries still
awaiting payment get their contributions too, and wait. The purchaser's company also buys from two
more groups on the marketplace, paid by card through the fake checkout page (`_seed_marketplace`).
Finally the groups pay most of what they owe their households (`_seed_payouts`): some in full,
some in part, some not yet. Every random choice has its own seed, so the data is the same as when
orders.demo did this inside its loop over the agreements (only the order of the row ids differs).

Stripe's clock cannot be turned back, so the dates the services wrote (placed, delivered,
accepted, invoiced, paid) are moved back with plain updates BEFORE the contributions settle each
delivery: the ledger, which is never edited, then carries the right day from the start."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders import fulfilment, services
from orders.demo import AGREEMENTS, _ago, _first_product, _manager_of, _pay_invoice
from orders.fulfilment import LineDecision
from orders.models import Checkout, Delivery, Invoice, Order, PurchaseAgreement
from producers.models import Household, ProducerGroup

from .ledger import services as ledger
from .ledger.models import Contribution, HouseholdIncomeEntry, Payout
from .ledger.settlement import split_exact


@transaction.atomic
def seed(*, purchaser, companies: list, manager=None) -> dict:
    """Returns {"deliveries": deliveries recorded this run, "payouts": payouts recorded this run}."""
    figures = {"deliveries": 0, "payouts": 0}
    for index, (code, _title, company_index, _lines) in enumerate(AGREEMENTS):
        agreement = PurchaseAgreement.objects.filter(code=code).first()
        if (
            agreement is not None
            and agreement.terminated_at is None
            and not Contribution.objects.filter(delivery_line__delivery__order__agreement=agreement).exists()
        ):
            figures["deliveries"] += _seed_settlement(agreement, index, purchaser if company_index == 0 else None)
    if purchaser is not None and companies:
        figures["deliveries"] += _seed_marketplace(companies[0], purchaser)
    figures["payouts"] = _seed_payouts()
    if manager is not None:
        figures["deliveries"] += _seed_manager_todo(manager)
    return figures


def _seed_manager_todo(manager) -> int:
    """Leave the demo manager's group something in every state of its to-do list (income.todo):
    besides the order to confirm and the one to deliver that the orders demo leaves, a delivery
    recorded today that says nothing yet of who supplied it and waits for the buyer, and a product
    below its minimum order. Once: only while the group has no such delivery."""
    from cms.models import ProducerGroupPage, ProductPage
    from orders.models import FulfilmentStatus, OrderStatus
    from producers.models import GroupMembership

    from .todo import changes_awaiting_approval, deliveries_without_suppliers, products_low_on_stock

    membership = GroupMembership.objects.filter(user=manager, role=GroupMembership.Role.MANAGER).first()
    if membership is None:
        return 0
    group = membership.group
    recorded = 0
    if not deliveries_without_suppliers([group.pk]).exists():
        order = (
            Order.objects.filter(group=group, status=OrderStatus.CONFIRMED)
            .exclude(fulfilment_status=FulfilmentStatus.DELIVERED)
            .order_by("pk")
            .first()
        )
        if order is not None:
            delivered = fulfilment.delivered_quantities(order.pk)
            quantities = {}
            for line in order.lines.all():
                open_quantity = line.quantity - delivered.get(line.pk, Decimal("0"))
                part = (open_quantity / 2).quantize(Decimal("1"))
                if part > 0:
                    quantities[line.pk] = part
            if quantities:
                fulfilment.delivery_record(
                    order=order,
                    quantities=quantities,
                    delivered_on=timezone.localdate(),
                    note_number=f"DN-{order.pk:04d}-T",
                    note="ส่งรอบแรกครึ่งหนึ่ง",
                    actor=manager,
                )
                recorded += 1
    group_page = ProducerGroupPage.objects.filter(group=group).first()
    if not products_low_on_stock([group.pk]).exists():
        products = ProductPage.objects.live().child_of(group_page).order_by("-pk") if group_page else []
        if len(products) > 1:  # keep the others in stock for the catalogue
            low = products[0]
            ProductPage.objects.filter(pk=low.pk).update(available_quantity=low.min_order_quantity / 2)
    if group_page is not None and not changes_awaiting_approval([group.pk]).exists():
        # A new search title for one of the group's products, submitted for the coordinator's
        # approval (not its first product, which the manager's walk-through edits).
        candidates = list(ProductPage.objects.live().child_of(group_page).order_by("-pk")[:2])
        product = candidates[-1] if len(candidates) == 2 else None
        workflow = product.get_workflow() if product else None
        if workflow is not None:
            product.seo_title = f"{product.title} ทอมือ"
            product.save_revision(user=manager)
            workflow.start(product, manager)
    return recorded


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
    from orders import stripe_demo
    from orders.cart import cart_add
    from orders.checkout import checkout_start
    from orders.models import Cart
    from orders.stripe_fake import FAKE

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
