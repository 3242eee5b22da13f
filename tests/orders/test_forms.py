import datetime

from django.utils import translation

from orders.forms import DeliveryForm


def test_the_delivery_date_input_holds_an_iso_date_whatever_the_language():
    # A browser's <input type=date> drops any value that is not YYYY-MM-DD, and the Thai format
    # (d/m/Y) then left the required field empty.
    form = DeliveryForm(lines=[], initial={"delivered_on": datetime.date(2026, 11, 26)})
    for language in ("th", "en"):
        with translation.override(language):
            assert 'value="2026-11-26"' in str(form["delivered_on"])


# --- Quantities in form boxes: as people write them, never "2E+1" ---------------------------

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402

from income.ledger.forms import ContributionGridForm  # noqa: E402
from marketplace.numbers import decimal_input  # noqa: E402
from orders import fulfilment, services  # noqa: E402
from orders.forms import AcceptanceForm, CallOffForm  # noqa: E402
from orders.selectors import order_lines_with_progress  # noqa: E402
from tests.factories.households import HouseholdFactory  # noqa: E402
from tests.factories.orders import confirmed_call_off  # noqa: E402


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20"), "20"),
        (Decimal("20.000"), "20"),
        (Decimal("20.500"), "20.5"),
        (Decimal("1000.000"), "1000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.001"), "0.001"),
        (Decimal("0.000"), "0"),
        (Decimal("-0"), "0"),
        (12, "12"),
        ("๒๐.๕๐", "20.5"),
        (None, ""),
    ],
)
def test_decimal_input_writes_a_quantity_as_a_person_would(value, shown):
    assert decimal_input(value) == shown


def _box_value(bound_field) -> str:
    import re

    match = re.search(r'value="([^"]*)"', str(bound_field))
    assert match, str(bound_field)
    return match.group(1)


@pytest.fixture
def twenty_kg_order(agreement, purchaser, rice_manager):
    """An agreement whose rice line has 20 kg left (committed 20.000), 20 kg called off."""
    active = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = active.lines.order_by("pk").first()
    rice_line.committed_quantity = Decimal("40.000")
    rice_line.min_per_call_off = None
    rice_line.max_per_call_off = None
    rice_line.save()
    order = confirmed_call_off(active, {rice_line: "20.000"}, placed_by=purchaser, manager=rice_manager)
    return active, rice_line, order


def _fill_value(bound_field) -> str:
    import re

    match = re.search(r'data-fill="([^"]*)"', str(bound_field))
    assert match, str(bound_field)
    return match.group(1)


def test_the_call_off_form_starts_empty_and_offers_what_remains_without_exponent(twenty_kg_order):
    active, rice_line, _order = twenty_kg_order
    lines = list(active.lines.with_quantities().order_by("pk"))
    form = CallOffForm(lines=lines)
    rice_box = form[CallOffForm.field_name(rice_line)]
    assert 'value="' not in str(rice_box)  # a careless submit orders nothing
    assert _fill_value(rice_box) == "20"  # 40 committed, 20 called off
    silk_line = lines[1]  # 20.000 m committed, nothing ordered
    assert _fill_value(form[CallOffForm.field_name(silk_line)]) == "20"
    filled = form.filled(rice_line.pk)
    assert _box_value(filled[CallOffForm.field_name(rice_line)]) == "20"
    assert filled.total() == Decimal("1100.00")  # 20 kg × ฿55


def test_the_delivery_form_shows_the_open_quantity_without_exponent(twenty_kg_order):
    from orders.forms import DeliveryForm

    _active, _line, order = twenty_kg_order
    form = DeliveryForm(lines=list(order_lines_with_progress(order)))
    [(_line_obj, box)] = form.rows()
    assert _box_value(box) == "20"
    fulfilment.delivery_record(
        order=order,
        quantities={order.lines.get().pk: Decimal("9.500")},
        delivered_on=datetime.date.today(),
        actor=None,
    )
    form = DeliveryForm(lines=list(order_lines_with_progress(order)))
    [(_line_obj, box)] = form.rows()
    assert _box_value(box) == "10.5"


def test_the_acceptance_and_contribution_forms_show_quantities_without_exponent(twenty_kg_order, rice_group):
    _active, _line, order = twenty_kg_order
    delivery = fulfilment.delivery_record(
        order=order, quantities={order.lines.get().pk: Decimal("10")}, delivered_on=datetime.date.today(), actor=None
    )
    form = AcceptanceForm(delivery=delivery)
    [(_line_obj, accepted, rejected, _reason)] = form.rows()
    assert (_box_value(accepted), _box_value(rejected)) == ("10", "0")

    household = HouseholdFactory(group=rice_group)
    line = delivery.lines.get()
    grid = ContributionGridForm(
        initial={ContributionGridForm.quantity_name(line, household): Decimal("1.000E+1")},
        lines=[line],
        households=[household],
    )
    assert _box_value(grid[ContributionGridForm.quantity_name(line, household)]) == "10"
