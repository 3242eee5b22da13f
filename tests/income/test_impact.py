"""The impact figures (producers.impact) on a small programme whose answers are worked out by hand.

The programme, as of 31 October 2026 (the 2024 line, ฿3,078, applies: ฿147,744 a year for four
people, very poor below ฿118,195.20; at baseline, 2023, ฿3,043: ฿146,064, very poor below
฿116,851.20). Period 1 January – 31 October 2026.

| household | group | baseline  | entries in the period                       | now      | uplift |
| H1        | G1    | 100,000 vp | +50,000 (Mar)                              | 150,000 above (crossed) | 50,000 |
| H2        | G1    | 120,000 p  | +10,000 (Apr), −2,000 reversal (May)       | 128,000 poor | 8,000 |
| H3        | G1    | 90,000 vp  | +1,000 (Feb, before its June survey of 95,000), +3,000 (Jul) |
|           |       |            |     98,000 very poor | 8,000 |
| H4        | G1    | 200,000 a  | none (+500 in Dec 2025, before the period)  | 200,500 above | (not earning) |
| H5        | G2    | 100,000 vp | +20,000 (Sep), no consent                  | 120,000 poor | 20,000 |
| R1        | Roi Et| out of every Kalasin coordinator's scope, +99,999                        |

G1 sells to company A under an agreement (100 kg committed at ฿50; a call-off of 60 kg; 30 kg
accepted and paid on time, 10 kg accepted and paid late); G2 to company B on the marketplace.
"""

import datetime
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from cms.models import Category
from income.impact import figures as impact
from income.models import HouseholdIncomeEntry
from income.status import with_current_status
from orders.models import Delivery, DeliveryLine, Invoice, Order, OrderLine, OrderStatus
from producers.models import Household, IncomeSurvey, PovertySource, PovertyStatus
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory
from tests.factories.households import GroupFactory, HouseholdFactory, assign
from tests.factories.orders import AgreementFactory, add_line, make_product
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 10, 31)
PERIOD = {"date_from": START, "date_to": END}
BASELINE = datetime.date(2023, 6, 1)


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def build_programme():
    silk = Category.objects.create(name="ผ้าไหมทดสอบ", name_en="Test silk", slug="impact-silk")
    rice = Category.objects.create(name="ข้าวทดสอบ", name_en="Test rice", slug="impact-rice")
    g1 = GroupFactory(code="IMP-G1", province_code="46", district_code="4601", subdistrict_code="460101")
    g2 = GroupFactory(code="IMP-G2", province_code="46", district_code="4602", subdistrict_code="460201")
    roiet = GroupFactory(code="IMP-ROI", province_code="45", district_code="4501", subdistrict_code="450101")
    company_a = CompanyFactory(name_th="บริษัท เอ จำกัด")
    company_b = CompanyFactory(name_th="บริษัท บี จำกัด")

    silk_product = make_product(g1, category=silk, price=Decimal("50.00"))
    rice_product = make_product(g2, category=rice)
    roiet_product = make_product(roiet, category=rice)

    agreement = AgreementFactory(company=company_a, code="IMP-MOU-1")
    agreement_line = add_line(agreement, silk_product, committed="100", price="50.00")
    Household.objects.none()  # (households come next)
    agreement.activated_at = _aware(datetime.date(2025, 12, 1))
    agreement.valid_from = datetime.date(2025, 12, 1)
    agreement.valid_to = datetime.date(2026, 12, 31)
    agreement.save()

    def order(group, company, product, *, number, quantity, agreement_line=None, placed=datetime.date(2026, 2, 1)):
        o = Order.objects.create(
            number=number,
            kind=Order.Kind.CONTRACT if agreement_line else Order.Kind.MARKETPLACE,
            agreement=agreement_line.agreement if agreement_line else None,
            company=company,
            group=group,
            status=OrderStatus.CONFIRMED,
            placed_at=_aware(placed),
        )
        line = OrderLine.objects.create(
            order=o,
            product=product,
            agreement_line=agreement_line,
            quantity=Decimal(quantity),
            product_name=product.title,
            unit="kg",
            unit_price=agreement_line.unit_price if agreement_line else product.price,
        )
        return o, line

    call_off, call_off_line = order(
        g1, company_a, silk_product, number="IMP-CO-1", quantity="60", agreement_line=agreement_line
    )
    market, market_line = order(g2, company_b, rice_product, number="IMP-MO-1", quantity="10")
    roiet_order, roiet_line = order(roiet, company_b, roiet_product, number="IMP-MO-2", quantity="10")

    def delivery(o, line, *, number, accepted, paid_on, due):
        d = Delivery.objects.create(
            order=o, number=number, delivered_on=datetime.date(2026, 2, 10), status=Delivery.Status.ACCEPTED
        )
        dl = DeliveryLine.objects.create(
            delivery=d,
            order_line=line,
            quantity=Decimal(accepted),
            accepted_quantity=Decimal(accepted),
            rejected_quantity=Decimal("0"),
        )
        if paid_on is not None:
            Invoice.objects.create(
                order=o,
                delivery=d,
                number=f"INV-{number}",
                amount=dl.accepted_value,
                status=Invoice.Status.PAID,
                due_date=due,
                paid_at=_aware(paid_on),
            )
        return dl

    on_time = delivery(
        call_off,
        call_off_line,
        number="IMP-D1",
        accepted="30",
        paid_on=datetime.date(2026, 3, 10),
        due=datetime.date(2026, 3, 10),
    )
    delivery(
        call_off,
        call_off_line,
        number="IMP-D2",
        accepted="10",
        paid_on=datetime.date(2026, 4, 20),
        due=datetime.date(2026, 4, 10),
    )
    market_delivery = delivery(market, market_line, number="IMP-D3", accepted="10", paid_on=None, due=None)
    roiet_delivery = delivery(roiet_order, roiet_line, number="IMP-D4", accepted="10", paid_on=None, due=None)

    def household(code, group, income, **fields):
        return HouseholdFactory(
            code=code,
            group=group,
            baseline_annual_income=Decimal(income),
            baseline_year=2023,
            baseline_date=BASELINE,
            members=4,
            province_code=group.province_code,
            district_code=group.district_code,
            subdistrict_code=group.subdistrict_code,
            **fields,
        )

    h1 = household("IMP-H1", g1, "100000")
    h2 = household("IMP-H2", g1, "120000")
    h3 = household("IMP-H3", g1, "90000")
    h4 = household("IMP-H4", g1, "200000")
    h5 = household("IMP-H5", g2, "100000", consent=False)
    r1 = household("IMP-R1", roiet, "100000")
    IncomeSurvey.objects.create(
        household=h3,
        surveyed_on=datetime.date(2026, 6, 1),
        annual_income=Decimal("95000"),
        members=4,
        source=PovertySource.BMN,
    )

    keys = iter(range(1, 1000))

    def earn(h, group, o, dl, amount, on, kind=HouseholdIncomeEntry.Kind.SALE):
        return HouseholdIncomeEntry.objects.create(
            household=h,
            group=group,
            order=o,
            delivery_line=dl,
            kind=kind,
            quantity=Decimal("1"),
            amount=Decimal(amount),
            settlement_key=f"impact-test:{next(keys)}",
            earned_on=on,
        )

    earn(h1, g1, call_off, on_time, "50000", datetime.date(2026, 3, 1))
    earn(h2, g1, call_off, on_time, "10000", datetime.date(2026, 4, 1))
    earn(h2, g1, call_off, on_time, "-2000", datetime.date(2026, 5, 1), kind=HouseholdIncomeEntry.Kind.REVERSAL)
    earn(h3, g1, call_off, on_time, "1000", datetime.date(2026, 2, 1))
    earn(h3, g1, call_off, on_time, "3000", datetime.date(2026, 7, 1))
    earn(h4, g1, call_off, on_time, "500", datetime.date(2025, 12, 15))
    earn(h5, g2, market, market_delivery, "20000", datetime.date(2026, 9, 1))
    earn(r1, roiet, roiet_order, roiet_delivery, "99999", datetime.date(2026, 3, 1))

    coordinator = UserFactory(email="impact.kalasin@example.org")
    assign(coordinator, province_code="46")
    give_totp(coordinator)
    return SimpleNamespace(
        g1=g1,
        g2=g2,
        roiet=roiet,
        company_a=company_a,
        company_b=company_b,
        agreement=agreement,
        silk=silk,
        rice=rice,
        h1=h1,
        h2=h2,
        h3=h3,
        h4=h4,
        h5=h5,
        r1=r1,
        coordinator=coordinator,
    )


@pytest.fixture
def programme():
    return build_programme()


def figures(user, **filters):
    return impact.household_figures(user, impact.ImpactFilters(**{**PERIOD, **filters}))


def test_the_programme_figures_match_the_hand_worked_answers(programme):
    result = figures(programme.coordinator)

    assert result.enrolled == 5
    assert result.known_baseline == 5
    assert result.earning == 4
    assert result.total_paid == Decimal("82000.00")  # the reversal is netted, H4's December sale is not
    assert result.mean_uplift == Decimal("21500.00")
    assert result.median_uplift == Decimal("14000.00")  # even count: (8,000 + 20,000) / 2
    assert result.crossed == 1
    assert result.crossed_share == Decimal("20.0")
    assert result.very_poor == 1
    assert result.baseline_counts == {"very_poor": 3, "poor": 1, "above": 1, "unknown": 0}
    assert result.current_counts == {"very_poor": 1, "poor": 2, "above": 2, "unknown": 0}
    assert result.mean_members == Decimal("4.00")


def test_an_odd_number_of_earners_takes_the_middle_uplift(programme):
    result = figures(programme.coordinator, group=programme.g1)

    assert result.earning == 3
    assert result.median_uplift == Decimal("8000.00")
    assert result.mean_uplift == Decimal("22000.00")


def test_the_figures_agree_with_the_household_status_the_household_page_shows(programme):
    expected = {
        h.code: (h.current_status, h.crossed_line, h.current_annual_income)
        for h in with_current_status(Household.objects.all(), END).filter(code__startswith="IMP-H")
    }

    rows = impact.drilldown(programme.coordinator, impact.ImpactFilters(**PERIOD), "enrolled")

    assert {
        row.household.code: (
            row.current_status,
            row.current_status == PovertyStatus.ABOVE and row.baseline_status != PovertyStatus.ABOVE,
            row.current_income,
        )
        for row in rows
    } == expected


@pytest.mark.parametrize(
    ("filters", "enrolled", "earning", "paid"),
    [
        ({"district": "4601"}, 4, 3, "62000.00"),
        ({"district": "4602"}, 1, 1, "20000.00"),
        ({"province": "46"}, 5, 4, "82000.00"),
        ({"date_from": datetime.date(2026, 6, 1)}, 5, 2, "23000.00"),
        ({"date_to": datetime.date(2026, 3, 31)}, 5, 2, "51000.00"),
    ],
)
def test_area_and_period_filters_narrow_the_figures(programme, filters, enrolled, earning, paid):
    result = figures(programme.coordinator, **filters)

    assert (result.enrolled, result.earning, result.total_paid) == (enrolled, earning, Decimal(paid))


def test_group_agreement_company_and_category_filters_narrow_the_figures(programme):
    p = programme
    by_group = figures(p.coordinator, group=p.g2)
    by_agreement = figures(p.coordinator, agreement=p.agreement)
    by_company = figures(p.coordinator, company=p.company_b)
    by_category = figures(p.coordinator, category=p.silk)

    assert (by_group.enrolled, by_group.earning, by_group.total_paid) == (1, 1, Decimal("20000.00"))
    assert (by_agreement.enrolled, by_agreement.earning, by_agreement.total_paid) == (4, 3, Decimal("62000.00"))
    # Company B also buys from the Roi Et group, which this coordinator does not cover.
    assert (by_company.enrolled, by_company.earning, by_company.total_paid) == (1, 1, Decimal("20000.00"))
    assert (by_category.enrolled, by_category.earning, by_category.total_paid) == (4, 3, Decimal("62000.00"))


def test_a_coordinator_of_another_province_sees_none_of_it(programme):
    other = UserFactory(email="impact.roiet@example.org")
    assign(other, province_code="45")

    result = figures(other)
    drill = impact.drilldown(other, impact.ImpactFilters(**PERIOD), "enrolled")

    assert (result.enrolled, result.earning, result.total_paid) == (1, 1, Decimal("99999.00"))
    assert [row.household.code for row in drill] == ["IMP-R1"]


def test_someone_without_an_assignment_sees_nothing(programme, superuser):
    for user in (superuser, UserFactory()):
        result = figures(user)
        assert (result.enrolled, result.earning, result.total_paid) == (0, 0, Decimal("0.00"))
        assert result.median_uplift is None


@pytest.mark.parametrize(
    ("figure", "codes"),
    [
        ("enrolled", ["IMP-H1", "IMP-H2", "IMP-H3", "IMP-H4", "IMP-H5"]),
        ("earning", ["IMP-H1", "IMP-H2", "IMP-H3", "IMP-H5"]),
        ("crossed", ["IMP-H1"]),
        ("very_poor", ["IMP-H3"]),
    ],
)
def test_the_drilldown_lists_the_households_behind_each_figure(programme, figure, codes):
    filters = impact.ImpactFilters(**PERIOD)

    rows = impact.drilldown(programme.coordinator, filters, figure)

    assert [row.household.code for row in rows] == codes
    assert impact.drilldown_count(programme.coordinator, filters, figure) == len(codes)


def test_the_drilldown_masks_names_without_consent(programme):
    rows = {
        row.household.code: row
        for row in impact.drilldown(programme.coordinator, impact.ImpactFilters(**PERIOD), "earning")
    }

    assert rows["IMP-H1"].household.display_name == programme.h1.head_name
    assert rows["IMP-H5"].household.display_name != programme.h5.head_name
    assert rows["IMP-H2"].paid == Decimal("8000.00")


def test_money_by_month_and_by_group(programme):
    money = impact.money_figures(programme.coordinator, impact.ImpactFilters(**PERIOD))

    assert [(month.month, total) for month, total in money.monthly] == [
        (2, Decimal("1000.00")),
        (3, Decimal("50000.00")),
        (4, Decimal("10000.00")),
        (5, Decimal("-2000.00")),
        (7, Decimal("3000.00")),
        (9, Decimal("20000.00")),
    ]
    assert [(group.code, total) for group, total in money.by_group] == [
        ("IMP-G1", Decimal("62000.00")),
        ("IMP-G2", Decimal("20000.00")),
    ]


def test_the_summary_gives_the_same_figures_as_the_separate_selectors(programme):
    # On PostgreSQL impact_summary folds the money by month and group into the household query.
    filters = impact.ImpactFilters(**PERIOD)
    narrowed = impact.ImpactFilters(**PERIOD, group=programme.g1)  # another plan for the ledger

    narrowed_summary = impact.impact_summary(programme.coordinator, narrowed)
    assert narrowed_summary.households == impact.household_figures(programme.coordinator, narrowed)
    assert narrowed_summary.money == impact.money_figures(programme.coordinator, narrowed)

    summary = impact.impact_summary(programme.coordinator, filters, top=1)

    assert summary.households == impact.household_figures(programme.coordinator, filters)
    money = impact.money_figures(programme.coordinator, filters, top=1)
    assert summary.money.monthly == money.monthly
    assert summary.money.by_group == money.by_group == [(programme.g1, Decimal("62000.00"))]


def test_the_summary_of_an_empty_period_has_no_money(programme):
    filters = impact.ImpactFilters(date_from=datetime.date(2001, 1, 1), date_to=datetime.date(2001, 12, 31))

    summary = impact.impact_summary(programme.coordinator, filters)

    assert summary.households.earning == 0
    assert summary.households.total_paid == Decimal("0.00")
    assert (summary.money.monthly, summary.money.by_group) == ([], [])


def test_fulfilment_per_company_counts_paid_late_apart_from_paid_on_time(programme):
    [row] = impact.fulfilment_by_company(programme.coordinator, impact.ImpactFilters(**PERIOD))

    assert row.company == programme.company_a
    assert row.committed == Decimal("5000.00")
    assert row.ordered == Decimal("3000.00")
    assert row.accepted == Decimal("2000.00")
    assert row.paid_on_time == Decimal("1500.00")
    assert (row.ordered_share, row.accepted_share, row.paid_on_time_share) == (
        Decimal("60.0"),
        Decimal("40.0"),
        Decimal("30.0"),
    )


def test_fulfilment_is_empty_for_a_coordinator_of_another_institution(programme):
    from tests.factories.households import InstitutionFactory

    other = UserFactory()
    assign(other, province_code="46", institution=InstitutionFactory(code="OTHER-U", name_th="อื่น"))

    assert impact.fulfilment_by_company(other, impact.ImpactFilters(**PERIOD)) == []


def test_without_a_poverty_line_statuses_are_unknown_and_nobody_crosses(programme):
    from producers.models import PovertyLine

    PovertyLine.objects.all().delete()

    result = figures(programme.coordinator)

    assert result.known_baseline == 0
    assert result.crossed == 0
    assert result.crossed_share is None
    assert result.current_counts["unknown"] == 5


def test_the_status_counts_take_a_constant_number_of_queries(programme, django_assert_max_num_queries):
    for n in range(20):
        HouseholdFactory(code=f"IMP-X{n}", group=programme.g1)

    with django_assert_max_num_queries(20):
        impact.impact_summary(programme.coordinator, impact.ImpactFilters(**PERIOD))


@pytest.mark.parametrize("seed", [1, 2])
def test_random_households_get_the_status_the_household_page_computes(programme, seed):
    """The dashboard's set-based query restates income.status.with_current_status (latest
    survey up to "as of", else the baseline; income after that measurement and within the year
    before). Households with and without a baseline date, with surveys before, inside and after
    the window, and cent amounts (sales and reversals) in several groups, for several "as of"
    days: both must give the same income to the satang, and the same status."""
    rng = random.Random(seed)
    orders = list(HouseholdIncomeEntry.objects.values_list("group_id", "order_id", "delivery_line_id").distinct())
    households = []
    for n in range(30):
        group = programme.g1 if n % 2 else programme.g2
        h = HouseholdFactory(
            code=f"IMP-RND-{seed}-{n:02d}",
            group=group,
            baseline_annual_income=Decimal(rng.randint(2_000_000, 20_000_000)) / 100,
            baseline_year=rng.choice([2022, 2023, 2025]),
            baseline_date=rng.choice([None, datetime.date(2025, rng.randint(1, 12), 1)]),
            members=rng.randint(1, 6),
            province_code=group.province_code,
            district_code=group.district_code,
            subdistrict_code=group.subdistrict_code,
        )
        households.append(h)
        for _survey in range(rng.randint(0, 2)):
            IncomeSurvey.objects.create(
                household=h,
                surveyed_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 730)),
                annual_income=Decimal(rng.randint(2_000_000, 25_000_000)) / 100,
                members=rng.randint(1, 6),
                source=PovertySource.BMN,
            )
        for k in range(rng.randint(0, 6)):
            group_id, order_id, line_id = rng.choice(orders)
            amount = Decimal(rng.randint(-50_000, 500_000)) / 100
            HouseholdIncomeEntry.objects.create(
                household=h,
                group_id=group_id,
                order_id=order_id,
                delivery_line_id=line_id,
                kind=HouseholdIncomeEntry.Kind.REVERSAL if amount < 0 else HouseholdIncomeEntry.Kind.SALE,
                quantity=Decimal("1"),
                amount=amount,
                settlement_key=f"impact-random:{seed}:{n}:{k}",
                earned_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 700)),
            )
    codes = {h.code for h in households}
    for as_of in (datetime.date(2025, 9, 30), datetime.date(2026, 3, 31), datetime.date(2026, 10, 31)):
        programme.coordinator.__dict__.pop("_impact_scope", None)
        expected = {
            h.code: (h.current_status, h.current_annual_income)
            for h in with_current_status(Household.objects.all(), as_of).filter(code__in=codes)
        }
        rows = impact.drilldown(programme.coordinator, impact.ImpactFilters(date_to=as_of), "enrolled")
        assert {
            row.household.code: (row.current_status, row.current_income) for row in rows if row.household.code in codes
        } == expected, as_of
        paid = impact.entries(programme.coordinator, impact.ImpactFilters(date_to=as_of)).aggregate(total=Sum("amount"))
        figures_as_of = impact.household_figures(programme.coordinator, impact.ImpactFilters(date_to=as_of))
        assert figures_as_of.total_paid == paid["total"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: planner settings")
def test_the_dashboards_planner_settings_end_with_its_queries(programme):
    """The household query runs without hash joins (see impact._cursor); inside a caller's
    transaction (as here) the rest of the transaction gets the usual settings back."""

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_hashjoin'), current_setting('jit')")
            return cursor.fetchone()

    before = settings()
    impact.impact_summary(programme.coordinator, impact.ImpactFilters(**PERIOD))
    assert settings() == before


@pytest.mark.parametrize(
    "period",
    [
        {},
        PERIOD,
        {"date_from": datetime.date(2026, 3, 1)},
        {"date_to": datetime.date(2026, 4, 30)},
        {"date_from": datetime.date(2026, 3, 2), "date_to": datetime.date(2026, 9, 15)},  # not whole months
    ],
)
def test_the_money_by_month_and_group_leaves_out_households_outside_the_population(programme, period):
    """H2 leaves its group: its entries stay in the ledger (and in the running totals per group
    and month) but are no longer the population's, so the summary, whether it reads the running
    totals or the ledger, gives what money_figures sums from the ledger's rows."""
    from producers.models import Enrolment

    Enrolment.objects.filter(household=programme.h2).update(active=False)
    for extra in ({}, {"group": programme.g1}):
        filters = impact.ImpactFilters(**period, **extra)
        programme.coordinator.__dict__.pop("_impact_scope", None)
        summary = impact.impact_summary(programme.coordinator, filters)
        expected = impact.money_figures(programme.coordinator, filters)
        assert summary.money == expected, (period, extra)
        assert sum(total for _month, total in summary.money.monthly) == summary.households.total_paid
    # H2's 10,000 and its reversal are gone from April and May.
    money = impact.money_figures(programme.coordinator, impact.ImpactFilters(**PERIOD))
    assert dict(money.monthly)[datetime.date(2026, 3, 1)] == Decimal("50000.00")
    assert datetime.date(2026, 4, 1) not in dict(money.monthly)
