"""Contributions, settlement, reversals and payouts (producers.ledger), end to end through the real
order, delivery, acceptance and payment services."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from buyers.models import CompanyRole
from income.ledger import services as ledger
from income.ledger.models import Contribution, HouseholdIncomeEntry, Payout
from marketplace.models import AuditEvent
from orders import fulfilment, payments
from orders import services as order_services
from orders.fulfilment import LineDecision
from orders.models import Delivery, Invoice, Refund
from orders.stripe_fake import FAKE
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.households import GroupFactory, HouseholdFactory, assign
from tests.factories.orders import AgreementFactory, add_line, confirmed_call_off, make_product, paid_marketplace_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_fake_stripe():
    FAKE.reset()
    with translation.override("en"):
        yield
    FAKE.reset()


@pytest.fixture
def group(db):
    return GroupFactory(code="KAL-RICE", name_th="กลุ่มข้าวทดสอบ", retention_rate=Decimal("5.00"))


@pytest.fixture
def manager(group):
    user = UserFactory(email="rice.manager@example.org")
    producer_services.membership_grant(user=user, group=group, role=GroupMembership.Role.MANAGER)
    return user


@pytest.fixture
def treasurer(group):
    user = UserFactory(email="rice.treasurer@example.org")
    producer_services.membership_grant(user=user, group=group, role=GroupMembership.Role.TREASURER)
    return user


@pytest.fixture
def households(group):
    """Three enrolled households with consent, in code order."""
    return [HouseholdFactory(code=f"HH-RICE-{n}", group=group) for n in (1, 2, 3)]


@pytest.fixture
def rice(group):
    return make_product(group, title="ข้าวหอมมะลิอินทรีย์", price=Decimal("60.00"))


@pytest.fixture
def company(db):
    return CompanyFactory(name_th="บริษัท ข้าวดี จำกัด")


@pytest.fixture
def purchaser(company):
    user = UserFactory(email="purchaser@company.example")
    add_member(company, user, CompanyRole.PURCHASER)
    return user


def market_delivery(company, product, manager, quantity="10"):
    """A paid marketplace order of `quantity` of `product`, confirmed and delivered in full."""
    order = paid_marketplace_order(company=company, lines=[(product, quantity)])
    order_services.order_confirm(order=order, actor=manager)
    line = order.lines.get()
    return fulfilment.delivery_record(
        order=order, quantities={line.pk: Decimal(quantity)}, delivered_on=timezone.localdate(), actor=manager
    )


def accept(delivery, accepted=None, rejected="0", reason=""):
    line = delivery.lines.get()
    accepted = line.quantity - Decimal(rejected) if accepted is None else Decimal(accepted)
    decisions = {line.pk: LineDecision(accepted=accepted, rejected=Decimal(rejected), reason=reason)}
    return fulfilment.delivery_accept(delivery=delivery, decisions=decisions, actor=None)


def contribute(delivery, rows, actor):
    return ledger.contributions_record(
        delivery_line=delivery.lines.get(), rows={h.pk: Decimal(q) for h, q in rows}, actor=actor
    )


def entries_of(delivery, kind=HouseholdIncomeEntry.Kind.SALE):
    return list(HouseholdIncomeEntry.objects.filter(delivery_line__delivery=delivery, kind=kind).order_by("pk"))


# --- Settlement -----------------------------------------------------------------------------


def test_a_paid_delivery_is_split_over_its_households_by_quantity(company, rice, manager, households):
    # Given 10 kg at ฿60 delivered for a paid order, supplied 3 / 3 / 4 kg
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, zip(households, ["3", "3", "4"], strict=True), manager)
    assert entries_of(delivery) == []  # not accepted yet

    # When the buyer accepts it
    accept(delivery)

    # Then ฿600 less 5% retention (฿30) = ฿570 goes to the households by quantity
    entries = entries_of(delivery)
    assert [(e.household, e.quantity, e.amount) for e in entries] == [
        (households[0], Decimal("3.000"), Decimal("171.00")),
        (households[1], Decimal("3.000"), Decimal("171.00")),
        (households[2], Decimal("4.000"), Decimal("228.00")),
    ]
    paid_on = timezone.localtime(delivery.order.checkout.paid_at).date()
    assert {e.earned_on for e in entries} == {paid_on}
    assert {e.settlement_key for e in entries} == {f"sale:{e.delivery_line_id}:{e.household_id}" for e in entries}
    # traceable: entry → delivery line → order
    assert entries[0].delivery_line.delivery == delivery and entries[0].order == delivery.order
    event = AuditEvent.objects.get(action="ledger.settled")
    assert event.object_id == str(delivery.pk)
    assert event.details["households"] == "570.00" and event.details["retention"] == "30.00"


@pytest.mark.parametrize(
    ("price", "quantity", "rate", "supplied"),
    [
        ("33.33", "7.777", "7.50", ["1.111", "2.222", "4.444"]),
        ("0.01", "1", "5.00", ["0.333", "0.333", "0.334"]),
        ("99.99", "3", "0.00", ["1", "1", "1"]),
        ("12.35", "0.007", "50.00", ["0.001", "0.003", "0.003"]),
    ],
)
def test_settlement_is_exact_to_the_satang(company, group, manager, households, price, quantity, rate, supplied):
    group.retention_rate = Decimal(rate)
    group.save()
    product = make_product(group, price=Decimal(price))
    delivery = market_delivery(company, product, manager, quantity=quantity)
    contribute(delivery, zip(households, supplied, strict=True), manager)

    accept(delivery)

    value = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
    retention = ledger.retention_of(value, Decimal(rate))
    entries = entries_of(delivery)
    assert sum(e.amount for e in entries) == value - retention
    assert sum(e.quantity for e in entries) == Decimal(quantity)
    assert all(e.amount >= 0 and e.quantity >= 0 for e in entries)


def test_retention_is_rounded_half_up_to_the_satang():
    assert ledger.retention_of(Decimal("0.10"), Decimal("5")) == Decimal("0.01")  # 0.005 → 0.01
    assert ledger.retention_of(Decimal("0.30"), Decimal("5")) == Decimal("0.02")  # 0.015 → 0.02
    assert ledger.retention_of(Decimal("100.00"), Decimal("0")) == Decimal("0.00")


@settings(max_examples=200, deadline=None)
@given(
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2),
    supplied=st.lists(
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999"), places=3), min_size=1, max_size=12
    ),
    accepted_share=st.integers(min_value=0, max_value=100),
)
def test_any_line_splits_exactly_deterministically_and_never_negative(price, rate, supplied, accepted_share):
    delivered = sum(supplied, Decimal("0"))
    accepted = (delivered * accepted_share / 100).quantize(Decimal("0.001"))
    value = (accepted * price).quantize(Decimal("0.01"))
    weights = list(enumerate(supplied, start=1))

    retention, amounts, quantities = ledger.split_line(value, rate, accepted, weights)

    assert retention + sum(amounts.values()) == value
    assert sum(quantities.values()) == accepted
    assert all(amount >= 0 for amount in amounts.values())
    assert all(quantity >= 0 for quantity in quantities.values())
    assert ledger.split_line(value, rate, accepted, list(reversed(weights))) == (retention, amounts, quantities)


def test_settling_twice_changes_nothing(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, zip(households, ["5", "5", "0"], strict=True), manager)
    accept(delivery)
    before = [(e.pk, e.amount) for e in entries_of(delivery)]

    assert ledger.settle_delivery(delivery) == []
    assert ledger.settle_order(delivery.order) == []

    assert [(e.pk, e.amount) for e in entries_of(delivery)] == before
    assert len(before) == 2
    assert AuditEvent.objects.filter(action="ledger.settled").count() == 1


def test_settlement_waits_for_the_contributions(company, rice, manager, households):
    delivery = accept(market_delivery(company, rice, manager))
    assert ledger.settlement_waits_for(delivery) == ledger.Waiting.CONTRIBUTIONS
    assert entries_of(delivery) == []

    contribute(delivery, zip(households, ["2", "8", "0"], strict=True), manager)

    assert ledger.settlement_waits_for(delivery) is None
    assert [e.amount for e in entries_of(delivery)] == [Decimal("114.00"), Decimal("456.00")]


def test_an_all_rejected_line_earns_nothing(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, [(households[0], "10")], manager)

    accept(delivery, accepted="0", rejected="10", reason="ขึ้นรา")

    assert entries_of(delivery) == []
    assert not AuditEvent.objects.filter(action="ledger.settled").exists()


def test_a_call_off_is_settled_when_its_invoice_is_paid(company, purchaser, group, rice, manager, households):
    # Given a call-off delivery, contributed and accepted (invoiced, not paid)
    agreement = AgreementFactory(company=company)
    agreement_line = add_line(agreement, rice, committed="100", price="55.00")
    order_services.agreement_activate(agreement=agreement, actor=None)
    order = confirmed_call_off(agreement, {agreement_line: "20"}, placed_by=purchaser, manager=manager)
    delivery = fulfilment.delivery_record(
        order=order, quantities={order.lines.get().pk: Decimal("20")}, delivered_on=timezone.localdate(), actor=manager
    )
    contribute(delivery, zip(households, ["10", "6", "4"], strict=True), manager)
    delivery = accept(delivery)
    assert ledger.settlement_waits_for(delivery) == ledger.Waiting.PAYMENT
    assert entries_of(delivery) == []

    # When the invoice is paid
    payments.invoice_paid(invoice=Invoice.objects.get(delivery=delivery))

    # Then ฿1,100 less ฿55 is credited, traceable to the agreement
    entries = entries_of(delivery)
    assert [e.amount for e in entries] == [Decimal("522.50"), Decimal("313.50"), Decimal("209.00")]
    assert entries[0].order.agreement == agreement
    assert AuditEvent.objects.get(action="ledger.settled").details["agreement"] == agreement.code


# --- Reversals ------------------------------------------------------------------------------


def succeed(refund, stripe_id):
    Refund.objects.filter(pk=refund.pk).update(stripe_refund_id=stripe_id)
    return payments.charge_refunded(refunds=[{"id": stripe_id, "status": "succeeded"}])


def test_a_refund_of_settled_goods_appends_reversals(company, rice, manager, households):
    # Given 8 of 10 kg accepted (2 rejected and refunded: that money never reached the households)
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, zip(households, ["2", "3", "5"], strict=True), manager)
    accept(delivery, rejected="2", reason="เปียกน้ำ")
    sales = entries_of(delivery)
    assert sum(e.amount for e in sales) == Decimal("456.00")  # 480 − 24
    succeed(Refund.objects.get(delivery=delivery), "re_rejected")
    assert entries_of(delivery, HouseholdIncomeEntry.Kind.REVERSAL) == []

    # When a further ฿100 of the accepted goods is refunded
    refund = Refund.objects.create(order=delivery.order, delivery=delivery, amount=Decimal("100.00"), reason="x")
    succeed(refund, "re_goodwill")

    # Then the households give back ฿100 less the group's 5% share, in their proportions
    reversals = entries_of(delivery, HouseholdIncomeEntry.Kind.REVERSAL)
    assert [e.amount for e in reversals] == [Decimal("-19.00"), Decimal("-28.50"), Decimal("-47.50")]
    assert [e.reverses for e in reversals] == sales
    assert {e.settlement_key for e in reversals} == {f"reversal:{refund.pk}:{s.pk}" for s in sales}
    # the originals are untouched
    assert [e.amount for e in entries_of(delivery)] == [Decimal("91.20"), Decimal("136.80"), Decimal("228.00")]
    # and running it again adds nothing
    assert ledger.refunds_reverse([refund]) == []
    assert ledger.settle_delivery(delivery) == []


def test_reversals_never_take_a_household_below_zero(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager, quantity="3")
    contribute(delivery, zip(households, ["1", "1", "1"], strict=True), manager)
    accept(delivery)
    for n, amount in enumerate(["100.00", "100.00", "50.00"]):  # more than the ฿180 paid
        refund = Refund.objects.create(order=delivery.order, delivery=delivery, amount=Decimal(amount), reason="x")
        succeed(refund, f"re_{n}")

    totals = {
        h.pk: sum(e.amount for e in HouseholdIncomeEntry.objects.filter(household=h, delivery_line__delivery=delivery))
        for h in households
    }
    assert all(total >= 0 for total in totals.values())
    assert sum(totals.values()) == Decimal("0.00")


def test_a_refund_before_the_contributions_is_reversed_at_settlement(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    accept(delivery)
    refund = Refund.objects.create(order=delivery.order, delivery=delivery, amount=Decimal("60.00"), reason="x")
    succeed(refund, "re_early")

    contribute(delivery, [(households[0], "10")], manager)

    assert sum(e.amount for e in HouseholdIncomeEntry.objects.filter(household=households[0])) == Decimal("513.00")


# --- Contributions --------------------------------------------------------------------------


def test_contributions_must_add_up_to_the_delivered_quantity(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)

    with pytest.raises(ValidationError) as error:
        contribute(delivery, zip(households, ["3", "3", "3"], strict=True), manager)

    assert "add up to 9 kilogram, but 10 kilogram were delivered" in error.value.messages[0]
    assert not Contribution.objects.exists()


def test_only_enrolled_households_with_consent_can_be_credited(company, group, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    outsider = HouseholdFactory(code="HH-OTHER", group=GroupFactory())
    no_consent = HouseholdFactory(code="HH-NOCONSENT", group=group, consent=False)

    for household in (outsider, no_consent):
        with pytest.raises(ValidationError) as error:
            contribute(delivery, [(households[0], "5"), (household, "5")], manager)
        assert "not enrolled in this group with consent given" in error.value.messages[0]
    assert not Contribution.objects.exists()


def test_contributions_are_replaced_until_settled_then_refused(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    contribute(delivery, [(households[0], "10")], manager)
    contribute(delivery, [(households[1], "4"), (households[2], "6")], manager)
    assert sorted(Contribution.objects.values_list("household__code", "quantity")) == [
        ("HH-RICE-2", Decimal("4.000")),
        ("HH-RICE-3", Decimal("6.000")),
    ]
    assert AuditEvent.objects.filter(action="contributions.recorded").count() == 2
    accept(delivery)

    with pytest.raises(ValidationError) as error:
        contribute(delivery, [(households[0], "10")], manager)

    assert "already settled" in error.value.messages[0]
    assert Contribution.objects.count() == 2


def test_equal_split_is_exact_to_the_gram(company, rice, manager, households):
    delivery = market_delivery(company, rice, manager)
    line = delivery.lines.get()

    split = ledger.equal_split(line, [h.pk for h in reversed(households)])

    assert [split[h.pk] for h in households] == [Decimal("3.334"), Decimal("3.333"), Decimal("3.333")]
    assert sum(split.values()) == Decimal("10")


def test_same_as_last_time_takes_the_previous_proportions(company, rice, manager, households):
    first = market_delivery(company, rice, manager, quantity="10")
    contribute(first, [(households[0], "2"), (households[2], "8")], manager)
    second = market_delivery(company, rice, manager, quantity="5")

    proposal = ledger.same_as_last_time(second.lines.get())

    assert proposal == {households[0].pk: Decimal("1.000"), households[2].pk: Decimal("4.000")}
    other_product = make_product(rice.get_parent().specific.group)
    assert ledger.same_as_last_time(market_delivery(company, other_product, manager, "1").lines.get()) == {}


# --- Payouts --------------------------------------------------------------------------------


@pytest.fixture
def earned(company, rice, manager, households):
    """Household 1 earned ฿456 (8 kg of ฿60 less 5%)."""
    delivery = market_delivery(company, rice, manager, quantity="8")
    contribute(delivery, [(households[0], "8")], manager)
    accept(delivery)
    return households[0]


def test_a_payout_reduces_the_balance_and_is_audited(earned, group, treasurer):
    payout = ledger.payout_record(
        household=earned,
        group=group,
        amount=Decimal("400.00"),
        method=Payout.Method.PROMPTPAY,
        reference="PP-001",
        paid_on=timezone.localdate(),
        actor=treasurer,
    )

    assert ledger.household_balance(earned, group) == Decimal("56.00")
    event = AuditEvent.objects.get(action="payout.recorded")
    assert (event.actor, event.object_id, event.details["balance_after"]) == (treasurer, str(payout.pk), "56.00")


@pytest.mark.parametrize(
    ("amount", "method", "reference", "days", "message"),
    [
        ("456.01", "cash", "", 0, "The group owes this household ฿456.00; it cannot pay out ฿456.01."),
        ("10.00", "bank_transfer", "", 0, "Enter the transfer reference for a bank transfer or PromptPay payment."),
        ("10.00", "cash", "", 1, "The payment date cannot be in the future."),
        ("0", "cash", "", 0, "Enter an amount above ฿0."),
        ("1.005", "cash", "", 0, "Amounts are in baht and satang: at most 2 decimals."),
    ],
)
def test_payout_rules(earned, group, treasurer, amount, method, reference, days, message):
    with pytest.raises(ValidationError) as error:
        ledger.payout_record(
            household=earned,
            group=group,
            amount=Decimal(amount),
            method=method,
            reference=reference,
            paid_on=timezone.localdate() + datetime.timedelta(days=days),
            actor=treasurer,
        )

    assert error.value.messages == [message]
    assert not Payout.objects.exists()


def test_who_records_payouts(group, manager):
    coordinator = UserFactory(email="coordinator@example.org")
    assign(coordinator, province_code=group.province_code)
    assert ledger.can_record_payouts(manager, group)  # no treasurer yet: the manager may
    assert not ledger.can_record_payouts(coordinator, group)

    treasurer = UserFactory(email="treasurer@example.org")
    producer_services.membership_grant(user=treasurer, group=group, role=GroupMembership.Role.TREASURER)

    assert ledger.can_record_payouts(treasurer, group)
    assert not ledger.can_record_payouts(manager, group)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two connections paying out at once")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_payouts_that_each_fit_but_not_together_one_is_refused(company, rice, manager, households, group):
    delivery = market_delivery(company, rice, manager, quantity="8")
    contribute(delivery, [(households[0], "8")], manager)
    accept(delivery)
    household = households[0]
    assert ledger.household_balance(household, group) == Decimal("456.00")
    start = threading.Barrier(2)
    results = []

    def pay():
        try:
            translation.activate("en")
            start.wait()
            try:
                ledger.payout_record(
                    household=household,
                    group=group,
                    amount=Decimal("300.00"),
                    method=Payout.Method.CASH,
                    paid_on=timezone.localdate(),
                    actor=manager,
                )
                results.append("paid")
            except ValidationError as error:
                results.append(error.messages[0])
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(map(str, results)) == [
        "The group owes this household ฿156.00; it cannot pay out ฿300.00.",
        "paid",
    ]
    assert ledger.household_balance(household, group) == Decimal("156.00")
    assert Delivery.objects.count() == 1
