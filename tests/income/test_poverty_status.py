"""Where a household stands now (income.status.with_current_status), at the boundaries."""

import datetime
from decimal import Decimal

import pytest

from buyers.models import Company
from income.models import HouseholdIncomeEntry
from income.status import with_current_status
from orders.models import Delivery, DeliveryLine, Order, OrderLine
from producers.models import Household, IncomeSurvey, PovertyLine, PovertySource, PovertyStatus
from tests.factories.households import HouseholdFactory
from tests.factories.orders import make_product

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)
# The 2024 line (the latest before 2026) is ฿3,078 a person a month: ฿147,744 a year for four.
LINE_FOR_FOUR = Decimal("3078") * 12 * 4


def current(household):
    return with_current_status(Household.objects.all(), TODAY).get(pk=household.pk)


def survey(household, *, income, members=4, on=datetime.date(2026, 6, 1)):
    return IncomeSurvey.objects.create(
        household=household, surveyed_on=on, annual_income=income, members=members, source=PovertySource.BMN
    )


@pytest.fixture
def earn():
    product = make_product()
    group = product.get_parent().specific.group
    company = Company.objects.create(name_th="บริษัท ทดสอบ จำกัด", tax_id="0105536000315")
    order = Order.objects.create(number="MO-1", kind=Order.Kind.MARKETPLACE, company=company, group=group)
    line = OrderLine.objects.create(
        order=order, product=product, quantity=Decimal("10"), product_name="x", unit="kg", unit_price=Decimal("50")
    )
    delivery = Delivery.objects.create(order=order, number="DL-1", delivered_on=datetime.date(2026, 1, 1))
    delivery_line = DeliveryLine.objects.create(delivery=delivery, order_line=line, quantity=Decimal("10"))

    def earn(household, amount, on):
        return HouseholdIncomeEntry.objects.create(
            household=household,
            group=group,
            order=order,
            delivery_line=delivery_line,
            quantity=Decimal("1"),
            amount=Decimal(amount),
            settlement_key=f"test:{household.pk}:{on}:{amount}",
            earned_on=on,
        )

    return earn


def test_without_a_survey_or_sales_the_baseline_stands():
    household = HouseholdFactory(baseline_annual_income=Decimal("120000"), members=4)

    row = current(household)

    assert row.current_annual_income == Decimal("120000")
    assert row.baseline_status == PovertyStatus.POOR
    assert row.current_status == PovertyStatus.POOR
    assert row.crossed_line is False


def test_exactly_on_the_line_is_above_it_and_one_satang_below_is_not():
    on_the_line = HouseholdFactory()
    survey(on_the_line, income=LINE_FOR_FOUR)
    just_below = HouseholdFactory()
    survey(just_below, income=LINE_FOR_FOUR - Decimal("0.01"))

    assert current(on_the_line).current_status == PovertyStatus.ABOVE
    assert current(on_the_line).crossed_line is True
    assert current(just_below).current_status == PovertyStatus.POOR
    assert current(just_below).crossed_line is False


def test_very_poor_means_more_than_a_fifth_below_the_line():
    household = HouseholdFactory()
    survey(household, income=LINE_FOR_FOUR * Decimal("0.8") - Decimal("0.01"))

    assert current(household).current_status == PovertyStatus.VERY_POOR


def test_the_newest_survey_counts_with_its_own_number_of_members():
    household = HouseholdFactory(members=4)
    survey(household, income=LINE_FOR_FOUR + 1000, members=4, on=datetime.date(2025, 6, 1))
    survey(household, income=LINE_FOR_FOUR + 1000, members=5, on=datetime.date(2026, 6, 1))

    row = current(household)

    assert row.current_members == 5
    assert row.current_status == PovertyStatus.POOR  # the same income now feeds five people


def test_a_survey_dated_after_today_is_not_used_yet():
    household = HouseholdFactory(baseline_annual_income=Decimal("120000"))
    survey(household, income=LINE_FOR_FOUR * 2, on=TODAY + datetime.timedelta(days=1))

    assert current(household).current_annual_income == Decimal("120000")


def test_marketplace_income_counts_once_only_after_the_measurement_and_within_a_year(earn):
    household = HouseholdFactory()
    survey(household, income=LINE_FOR_FOUR - Decimal("1000"), on=datetime.date(2026, 3, 1))
    earn(household, "500.00", datetime.date(2026, 2, 1))  # before the survey: already in it
    earn(household, "600.00", datetime.date(2026, 5, 1))
    earn(household, "400.00", datetime.date(2026, 11, 26))

    row = current(household)

    assert row.current_annual_income == LINE_FOR_FOUR
    assert row.current_status == PovertyStatus.ABOVE
    assert row.crossed_line is True


def test_sales_older_than_a_year_do_not_count_without_a_survey(earn):
    household = HouseholdFactory(baseline_date=None, baseline_year=2023, baseline_annual_income=Decimal("120000"))
    earn(household, "30000.00", datetime.date(2025, 1, 10))  # after the baseline year, but > 12 months ago
    earn(household, "100.00", datetime.date(2026, 1, 10))

    assert current(household).current_annual_income == Decimal("120100.00")


def test_without_a_poverty_line_the_status_is_unknown():
    household = HouseholdFactory()
    PovertyLine.objects.all().delete()

    row = current(household)

    assert row.current_status == PovertyStatus.UNKNOWN
    assert row.crossed_line is False
