import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from buyers.models import Company
from income.models import HouseholdIncomeEntry
from orders.models import Delivery, DeliveryLine, Order, OrderLine
from tests.factories.households import HouseholdFactory
from tests.factories.orders import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    product = make_product()
    group = product.get_parent().specific.group
    company = Company.objects.create(name_th="บริษัท ทดสอบ จำกัด", tax_id="0105536000315")
    order = Order.objects.create(number="MO-1", kind=Order.Kind.MARKETPLACE, company=company, group=group)
    line = OrderLine.objects.create(
        order=order, product=product, quantity=Decimal("10"), product_name="x", unit="kg", unit_price=Decimal("50")
    )
    delivery = Delivery.objects.create(order=order, number="DL-1", delivered_on=datetime.date(2026, 11, 1))
    delivery_line = DeliveryLine.objects.create(delivery=delivery, order_line=line, quantity=Decimal("10"))
    household = HouseholdFactory(province_code=group.province_code)
    return HouseholdIncomeEntry.objects.create(
        household=household,
        group=group,
        order=order,
        delivery_line=delivery_line,
        quantity=Decimal("10"),
        amount=Decimal("475.00"),
        settlement_key=f"sale:{delivery_line.pk}:{household.pk}",
        earned_on=datetime.date(2026, 11, 2),
    )


def test_a_ledger_entry_is_never_changed_or_deleted(entry):
    entry.amount = Decimal("1")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        HouseholdIncomeEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(ValidationError):
        HouseholdIncomeEntry.objects.filter(pk=entry.pk).delete()

    assert HouseholdIncomeEntry.objects.get(pk=entry.pk).amount == Decimal("475.00")


def test_the_same_settlement_cannot_be_written_twice(entry):
    with pytest.raises(IntegrityError):
        HouseholdIncomeEntry.objects.create(
            household=entry.household,
            group=entry.group,
            order=entry.order,
            delivery_line=entry.delivery_line,
            quantity=entry.quantity,
            amount=entry.amount,
            settlement_key=entry.settlement_key,
            earned_on=entry.earned_on,
        )


@pytest.mark.parametrize(
    "amount, satang",
    [
        # 0.29 × 100 is 28.999… in floating point, which is how SQLite keeps decimals.
        (Decimal("0.29"), 29),
        (Decimal("-0.29"), -29),
        (Decimal("1234567.89"), 123456789),
        (Decimal("-0.01"), -1),
        (Decimal("999999999999.99"), 99999999999999),
    ],
)
def test_the_database_keeps_each_amount_in_exact_satang(entry, amount, satang):
    """The impact dashboard sums amount_satang, not amount: the two must agree to the satang."""
    created = HouseholdIncomeEntry.objects.create(
        household=entry.household,
        group=entry.group,
        order=entry.order,
        delivery_line=entry.delivery_line,
        kind=HouseholdIncomeEntry.Kind.REVERSAL if amount < 0 else HouseholdIncomeEntry.Kind.SALE,
        quantity=Decimal("0"),
        amount=amount,
        settlement_key=f"satang:{amount}",
        earned_on=datetime.date(2026, 11, 3),
    )
    stored = HouseholdIncomeEntry.objects.values_list("amount", "amount_satang").get(pk=created.pk)
    assert stored == (amount, satang)


def test_the_running_totals_follow_every_append(entry):
    """GroupIncomeMonth and HouseholdGroupIncome equal the ledger's own sums after entries are
    appended one by one and in bulk, and the migration's backfill computes the same totals."""
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from income.ledger.models import rollups_from_ledger, rollups_stored
    from income.models import GroupIncomeMonth, HouseholdGroupIncome
    from tests.factories.households import GroupFactory

    other_group = GroupFactory(province_code=entry.group.province_code)
    second = HouseholdFactory(province_code=entry.group.province_code)
    rows = []
    for n, (household, group, amount, day) in enumerate(
        [
            (entry.household, entry.group, "0.29", datetime.date(2026, 11, 30)),
            (entry.household, entry.group, "-100.01", datetime.date(2026, 12, 1)),
            (second, entry.group, "12.50", datetime.date(2026, 11, 2)),
            (second, other_group, "7.77", datetime.date(2026, 11, 2)),
        ]
    ):
        rows.append(
            HouseholdIncomeEntry(
                household=household,
                group=group,
                order=entry.order,
                delivery_line=entry.delivery_line,
                kind=HouseholdIncomeEntry.Kind.REVERSAL if amount.startswith("-") else HouseholdIncomeEntry.Kind.SALE,
                quantity=Decimal("1"),
                amount=Decimal(amount),
                settlement_key=f"rollup:{n}",
                earned_on=day,
            )
        )
    rows[0].save()
    HouseholdIncomeEntry.objects.bulk_create(rows[1:])

    expected = rollups_from_ledger()
    assert rollups_stored() == expected
    assert expected[0][(entry.group_id, datetime.date(2026, 11, 1))] == (47500 + 29 + 1250, 3)
    assert expected[1][(entry.household_id, entry.group_id)] == (47500 + 29 - 10001, 3)

    GroupIncomeMonth.objects.all().delete()
    HouseholdGroupIncome.objects.all().delete()
    migration = importlib.import_module("producers.migrations.0008_ledger_rollups")
    # The models as they were at that migration (the ledger was producers' then; income's now).
    apps = MigrationLoader(connection).project_state(("producers", "0008_ledger_rollups")).apps
    migration.backfill(apps, type("Editor", (), {"connection": connection})())
    assert rollups_stored() == expected


def test_the_ledger_refuses_bulk_inserts_that_may_skip_rows(entry):
    with pytest.raises(ValueError):
        HouseholdIncomeEntry.objects.bulk_create([], ignore_conflicts=True)


def test_check_ledger_totals_finds_and_repairs_totals_left_behind(entry):
    from django.core.management import CommandError, call_command
    from django.utils.translation import gettext

    from income.models import GroupIncomeMonth

    out = io.StringIO()
    call_command("check_ledger_totals", stdout=out)
    assert gettext("The ledger's running totals match its rows.") in out.getvalue()

    # As if a row had been written around the ledger (a raw insert, loaddata).
    GroupIncomeMonth.objects.filter(group=entry.group).update(amount_satang=1)
    with pytest.raises(CommandError):
        call_command("check_ledger_totals", stdout=io.StringIO())

    call_command("check_ledger_totals", "--repair", stdout=io.StringIO())
    assert GroupIncomeMonth.objects.get(group=entry.group).amount_satang == 47500
    call_command("check_ledger_totals", stdout=io.StringIO())
