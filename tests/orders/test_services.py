import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from marketplace.models import AuditEvent
from orders import fulfilment, services
from orders.models import AgreementLine, Order, OrderEvent, OrderLine, OrderStatus
from tests.factories.orders import active_agreement


@pytest.fixture
def active(agreement):
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def lines(active):
    rice_line, silk_line = active.lines.order_by("pk")
    return rice_line, silk_line


def remaining(line) -> Decimal:
    return AgreementLine.objects.with_quantities().get(pk=line.pk).remaining_quantity


# --- Call-offs ------------------------------------------------------------------------------


def test_a_call_off_becomes_one_order_per_producer_group_with_snapshots(
    active, lines, purchaser, rice_group, silk_group
):
    rice_line, silk_line = lines

    orders = services.call_off_place(
        agreement=active, quantities={rice_line.pk: Decimal("25"), silk_line.pk: Decimal("2.5")}, placed_by=purchaser
    )

    assert [order.group for order in orders] == sorted([rice_group, silk_group], key=lambda group: group.pk)
    for order in orders:
        assert order.kind == Order.Kind.CONTRACT and order.agreement == active and order.company == active.company
        assert order.status == OrderStatus.PLACED
        assert order.number.startswith("CO-")
        assert list(order.events.values_list("from_status", "to_status")) == [("", "placed")]
    rice_order_line = OrderLine.objects.get(agreement_line=rice_line)
    assert (rice_order_line.product_name, rice_order_line.unit, rice_order_line.unit_price) == (
        "ข้าวหอมมะลิอินทรีย์",
        "kg",
        Decimal("55.00"),
    )
    assert remaining(rice_line) == Decimal("75") and remaining(silk_line) == Decimal("17.5")
    assert AuditEvent.objects.filter(action="order.placed").count() == 2


def test_lines_left_at_zero_are_not_ordered(active, lines, purchaser):
    rice_line, silk_line = lines
    [order] = services.call_off_place(
        agreement=active, quantities={rice_line.pk: Decimal("10"), silk_line.pk: Decimal("0")}, placed_by=purchaser
    )
    assert list(order.lines.values_list("agreement_line", flat=True)) == [rice_line.pk]

    with pytest.raises(ValidationError, match="at least one line"):
        services.call_off_place(agreement=active, quantities={rice_line.pk: 0}, placed_by=purchaser)


def test_per_call_off_limits_are_enforced(active, lines, purchaser):
    rice_line, _silk_line = lines
    with pytest.raises(ValidationError, match="at least 10 kilogram per call-off"):
        services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("5")}, placed_by=purchaser)
    with pytest.raises(ValidationError, match="at most 60 kilogram per call-off"):
        services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("61")}, placed_by=purchaser)
    assert not Order.objects.exists()


def test_a_call_off_beyond_what_remains_is_refused_and_nothing_is_ordered(active, lines, purchaser):
    rice_line, silk_line = lines
    services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("60")}, placed_by=purchaser)

    with pytest.raises(ValidationError) as refused:
        services.call_off_place(
            agreement=active,
            quantities={rice_line.pk: Decimal("41"), silk_line.pk: Decimal("1")},
            placed_by=purchaser,
        )

    assert refused.value.messages == ["“ข้าวหอมมะลิอินทรีย์”: only 40 kilogram remaining."]
    assert Order.objects.count() == 1  # all or nothing: the silk line was not ordered either
    assert remaining(silk_line) == Decimal("20")


def test_a_line_of_another_agreement_is_refused(active, purchaser):
    other = active_agreement()
    other_line = other.lines.get()
    with pytest.raises(ValidationError, match="not part of the agreement"):
        services.call_off_place(agreement=active, quantities={other_line.pk: Decimal("10")}, placed_by=purchaser)


def test_a_suspended_company_cannot_order(active, lines, purchaser):
    active.company.status = "suspended"
    active.company.save()
    with pytest.raises(ValidationError, match="suspended"):
        services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("10")}, placed_by=purchaser)


# --- Cancel and decline return the quantity --------------------------------------------------


def test_cancelling_before_confirmation_returns_the_quantity(active, lines, purchaser):
    rice_line, _ = lines
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("30")}, placed_by=purchaser)
    assert remaining(rice_line) == Decimal("70")

    fulfilment.order_cancel_by_buyer(order=order, actor=purchaser, note="สั่งผิด")

    assert remaining(rice_line) == Decimal("100")
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.from_status, event.to_status, event.actor, event.note) == ("placed", "cancelled", purchaser, "สั่งผิด")


def test_declining_with_a_reason_returns_the_quantity(active, lines, purchaser, rice_manager):
    rice_line, _ = lines
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("30")}, placed_by=purchaser)

    services.order_decline(order=order, actor=rice_manager, reason="ข้าวยังไม่ได้เก็บเกี่ยว")

    order.refresh_from_db()
    assert order.status == OrderStatus.DECLINED
    assert remaining(rice_line) == Decimal("100")
    assert order.events.last().note == "ข้าวยังไม่ได้เก็บเกี่ยว"


def test_a_decline_needs_a_reason(active, lines, purchaser, rice_manager):
    [order] = services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("30")}, placed_by=purchaser)
    with pytest.raises(ValidationError, match="Say why"):
        services.order_decline(order=order, actor=rice_manager, reason="  ")
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_confirmed_order_keeps_its_quantity_and_can_no_longer_be_cancelled(active, lines, purchaser, rice_manager):
    rice_line, _ = lines
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("30")}, placed_by=purchaser)
    services.order_confirm(order=order, actor=rice_manager)

    with pytest.raises(services.TransitionError, match="can only cancel an order the group has not confirmed"):
        fulfilment.order_cancel_by_buyer(order=order, actor=purchaser)

    assert remaining(rice_line) == Decimal("70")


# --- The transition map ---------------------------------------------------------------------


def _all_moves():
    for field, moves in services.TRANSITIONS.items():
        statuses = services.STATUS_LABELS[field].values
        for source in statuses:
            for target in statuses:
                yield field, source, target, target in moves[source]


@pytest.mark.parametrize(("field", "source", "target", "allowed"), list(_all_moves()))
def test_every_move_not_in_the_map_is_refused(active, lines, purchaser, field, source, target, allowed):
    [order] = services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("10")}, placed_by=purchaser)
    Order.objects.filter(pk=order.pk).update(**{field: source})
    events_before = OrderEvent.objects.count()

    if allowed:
        services.order_transition(order=order, to=target, field=field, actor=purchaser)
        order.refresh_from_db()
        assert getattr(order, field) == target
        assert OrderEvent.objects.count() == events_before + 1
    else:
        with pytest.raises(services.TransitionError) as refused:
            services.order_transition(order=order, to=target, field=field, actor=purchaser)
        assert "cannot go from" in refused.value.messages[0]
        order.refresh_from_db()
        assert getattr(order, field) == source
        assert OrderEvent.objects.count() == events_before


def test_unknown_statuses_and_fields_are_refused(active, lines, purchaser):
    [order] = services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("10")}, placed_by=purchaser)
    with pytest.raises(services.TransitionError, match="not an order status"):
        services.order_transition(order=order, to="shipped")
    with pytest.raises(services.TransitionError, match="no status field"):
        services.order_transition(order=order, to="placed", field="colour")


# --- Notifications --------------------------------------------------------------------------


def test_the_group_managers_hear_of_a_call_off_in_their_language(
    active, lines, purchaser, silk_manager, rice_manager, django_capture_on_commit_callbacks
):
    rice_line, silk_line = lines
    with django_capture_on_commit_callbacks(execute=True):
        services.call_off_place(
            agreement=active, quantities={rice_line.pk: Decimal("10"), silk_line.pk: Decimal("1")}, placed_by=purchaser
        )

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"rice.manager@example.org", "silk.manager@example.org"}
    assert "New call-off" in by_recipient["silk.manager@example.org"].subject  # preferred language: English
    assert "ผ้าไหมแพรวา: 1 metre" in by_recipient["silk.manager@example.org"].body
    assert "/admin/offtake/orders/" in by_recipient["silk.manager@example.org"].body


def test_no_email_is_sent_when_the_call_off_is_refused(
    active, lines, purchaser, rice_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("500")}, placed_by=purchaser)
    assert mail.outbox == []


def test_the_purchaser_hears_of_confirmation_and_decline(
    active, lines, purchaser, rice_manager, django_capture_on_commit_callbacks
):
    purchaser.preferred_language = "en"
    purchaser.save()
    first, second = (
        services.call_off_place(agreement=active, quantities={lines[0].pk: Decimal("10")}, placed_by=purchaser)[0]
        for _ in range(2)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_confirm(order=first, actor=rice_manager)
        services.order_decline(order=second, actor=rice_manager, reason="Out of stock until March")

    assert [message.to for message in mail.outbox] == [[purchaser.email], [purchaser.email]]
    assert f"Order {first.number} is confirmed" == mail.outbox[0].subject
    assert f"Order {second.number} was declined" == mail.outbox[1].subject
    assert "Reason: Out of stock until March" in mail.outbox[1].body


# --- Races (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_call_offs_never_take_a_line_past_its_committed_quantity(purchaser):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections ordering at once")
    agreement = active_agreement(company=purchaser.companymembership_set.get().company, committed="50")
    line = agreement.lines.get()
    contenders = 12  # each wants 10 of the last 50: exactly 5 win
    start = threading.Barrier(contenders)
    won, lost, crashed = [], [], []

    def call_off():
        try:
            translation.activate("en")  # each thread has its own active language
            start.wait()
            try:
                won.append(
                    services.call_off_place(
                        agreement=agreement, quantities={line.pk: Decimal("10")}, placed_by=purchaser
                    )
                )
            except ValidationError as error:
                lost.append(error.messages)
        except Exception as error:
            crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=call_off) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashed == []
    assert len(won) == 5 and len(lost) == contenders - 5
    assert all(messages == [f"“{line.product.title}”: only 0 kilogram remaining."] for messages in lost)
    assert remaining(line) == Decimal("0")
    assert sum(OrderLine.objects.filter(agreement_line=line).values_list("quantity", flat=True)) == Decimal("50")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_uneven_call_offs_fill_the_line_exactly(purchaser):
    """Eight buyers race for the last 7 kg with different amounts: whatever the order, the total
    never passes the committed quantity, and each loser is told what remained for it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections ordering at once")
    agreement = active_agreement(company=purchaser.companymembership_set.get().company, committed="100")
    line = agreement.lines.get()
    services.call_off_place(agreement=agreement, quantities={line.pk: Decimal("93")}, placed_by=purchaser)
    wants = [Decimal(q) for q in ("1", "1", "2", "2", "3", "3", "4", "7")]
    start = threading.Barrier(len(wants))
    results = []

    def call_off(quantity):
        try:
            translation.activate("en")
            start.wait()
            try:
                services.call_off_place(agreement=agreement, quantities={line.pk: quantity}, placed_by=purchaser)
                results.append((quantity, None))
            except ValidationError as error:
                results.append((quantity, error.messages[0]))
        finally:
            connection.close()

    threads = [threading.Thread(target=call_off, args=(quantity,)) for quantity in wants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == len(wants)
    ordered = sum(OrderLine.objects.filter(agreement_line=line).values_list("quantity", flat=True))
    assert ordered <= Decimal("100")
    assert remaining(line) == Decimal("100") - ordered
    won = sum((quantity for quantity, error in results if error is None), Decimal("0"))
    assert ordered == Decimal("93") + won
    for quantity, error in results:
        if error is not None:
            assert "remaining" in error and quantity > remaining(line)
