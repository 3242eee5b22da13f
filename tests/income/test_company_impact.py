"""The company impact statement (buyers.impact and its portal page): figures on a hand-made ledger,
suppression below 5 households, who may see it, and that it names nobody."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from buyers.models import CompanyRole
from income.company_impact import statement as impact
from income.models import HouseholdIncomeEntry
from orders.models import Delivery, DeliveryLine, Invoice, Order, OrderLine, OrderStatus
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.households import HouseholdFactory, assign
from tests.factories.orders import active_agreement, make_product, paid_marketplace_order

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RECENTLY = TODAY - datetime.timedelta(days=10)
# Four people on ฿120,000 a year are poor at baseline (the 2023 line); ฿30,000 more from sales
# lifts them above the latest line (฿3,078 × 12 × 4 = ฿147,744); ฿1,000 does not.
LIFTS = Decimal("30000.00")
HELPS = Decimal("1000.00")

_numbers = itertools.count(1)


def paid_call_off(agreement, *, quantity="100", price="1600.00", paid_on=RECENTLY, paid=True) -> DeliveryLine:
    """A call-off under `agreement`, delivered, accepted in full and (if `paid`) its invoice paid
    on `paid_on`: the state the fulfilment and payment services leave it in."""
    n = next(_numbers)
    agreement_line = agreement.lines.first()
    order = Order.objects.create(
        number=f"CO-T{n:04d}",
        kind=Order.Kind.CONTRACT,
        company=agreement.company,
        group=agreement_line.group,
        agreement=agreement,
        status=OrderStatus.CONFIRMED,
    )
    line = OrderLine.objects.create(
        order=order,
        product=agreement_line.product,
        agreement_line=agreement_line,
        quantity=Decimal(quantity),
        product_name=agreement_line.product.title,
        unit="kg",
        unit_price=Decimal(price),
    )
    delivery = Delivery.objects.create(
        order=order, number=f"DL-T{n:04d}", delivered_on=paid_on, status=Delivery.Status.ACCEPTED
    )
    delivery_line = DeliveryLine.objects.create(
        delivery=delivery,
        order_line=line,
        quantity=Decimal(quantity),
        accepted_quantity=Decimal(quantity),
        rejected_quantity=Decimal("0"),
    )
    paid_at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(10)))
    Invoice.objects.create(
        order=order,
        delivery=delivery,
        number=f"INV-T{n:04d}",
        amount=delivery_line.accepted_value,
        status=Invoice.Status.PAID if paid else Invoice.Status.OPEN,
        paid_at=paid_at if paid else None,
    )
    return delivery_line


def earn(household, delivery_line, amount, *, on=RECENTLY, kind=HouseholdIncomeEntry.Kind.SALE):
    """One ledger entry, as settlement writes it."""
    order = delivery_line.delivery.order
    return HouseholdIncomeEntry.objects.create(
        household=household,
        group=order.group,
        order=order,
        delivery_line=delivery_line,
        kind=kind,
        quantity=Decimal("1"),
        amount=Decimal(amount),
        settlement_key=f"test:{next(_numbers)}",
        earned_on=on,
    )


def households(n: int, group) -> list:
    return [HouseholdFactory(group=group, baseline_annual_income=Decimal("120000"), members=4) for _ in range(n)]


@pytest.fixture
def company(db):
    return CompanyFactory(name_th="บริษัท ข้าวดี จำกัด")


@pytest.fixture
def agreement(company):
    return active_agreement(company=company)


@pytest.fixture
def delivery_line(agreement):
    return paid_call_off(agreement)


def figures(company, **filters):
    return impact.statement(company, impact.StatementFilters(**filters))


# --- Figures --------------------------------------------------------------------------------


def test_the_statement_sums_the_ledger_of_the_companys_orders(company, agreement, delivery_line):
    # given ten households: five lifted over the line by their sales, five helped but still poor
    group = delivery_line.delivery.order.group
    lifted, helped = households(5, group), households(5, group)
    for household in lifted:
        earn(household, delivery_line, LIFTS)
    for household in helped:
        earn(household, delivery_line, HELPS)
    # a refund took ฿500 back from one of them
    earn(helped[0], delivery_line, "-500.00", kind=HouseholdIncomeEntry.Kind.REVERSAL)
    # and another company's purchases from the same households do not count
    other = paid_call_off(active_agreement(company=CompanyFactory()))
    for household in lifted:
        earn(household, other, "999.00")

    # when
    statement = figures(company)

    # then
    assert statement.households_reached.value == 10
    assert statement.paid_to_households.value == Decimal("154500.00")  # 5 × 30,000 + 5 × 1,000 − 500
    assert statement.purchase_value == Decimal("160000.00")  # 100 × ฿1,600 accepted and paid
    assert statement.share_reached.value == Decimal("96.6")  # 154,500 ÷ 160,000
    assert statement.crossed.value == 5
    assert statement.crossed_share.value == Decimal("50.0")


def test_unpaid_goods_are_not_in_the_purchase_value(company, agreement, delivery_line):
    paid_call_off(agreement, quantity="10", price="100.00", paid=False)

    assert figures(company).purchase_value == Decimal("160000.00")


def test_the_period_is_the_day_the_goods_were_paid_for(company, agreement, delivery_line):
    group = delivery_line.delivery.order.group
    last_year = TODAY - datetime.timedelta(days=400)
    old_line = paid_call_off(agreement, quantity="10", price="100.00", paid_on=last_year)
    for household in households(5, group):
        earn(household, delivery_line, HELPS)
        earn(household, old_line, "190.00", on=last_year)

    recent = figures(company, date_from=TODAY - datetime.timedelta(days=30))
    old = figures(company, date_to=last_year)

    assert (recent.paid_to_households.value, recent.purchase_value) == (Decimal("5000.00"), Decimal("160000.00"))
    assert (old.paid_to_households.value, old.purchase_value) == (Decimal("950.00"), Decimal("1000.00"))
    assert old.share_reached.value == Decimal("95.0")


def test_the_statement_narrows_to_one_agreement_or_to_marketplace_purchases(company, agreement, delivery_line):
    group = delivery_line.delivery.order.group
    second = active_agreement(company=company)
    second_line = paid_call_off(second, quantity="10", price="100.00")
    product = make_product(group, price=Decimal("200.00"))
    order = paid_marketplace_order(company=company, lines=[(product, "5")], status=OrderStatus.CONFIRMED)
    delivery = Delivery.objects.create(
        order=order, number="DL-MKT-1", delivered_on=RECENTLY, status=Delivery.Status.ACCEPTED
    )
    market_line = DeliveryLine.objects.create(
        delivery=delivery,
        order_line=order.lines.get(),
        quantity=Decimal("5"),
        accepted_quantity=Decimal("5"),
        rejected_quantity=Decimal("0"),
    )
    for household in households(5, group):
        earn(household, delivery_line, HELPS)
        earn(household, second_line, "100.00")
        earn(household, market_line, "150.00")

    first_only = figures(company, agreement=agreement)
    second_only = figures(company, agreement=second)
    market = figures(company, marketplace_only=True)
    everything = figures(company)

    def money(statement):
        return statement.paid_to_households.value, statement.purchase_value

    assert money(first_only) == (Decimal("5000.00"), Decimal("160000.00"))
    assert money(second_only) == (Decimal("500.00"), Decimal("1000.00"))
    assert money(market) == (Decimal("750.00"), Decimal("1000.00"))
    assert everything.paid_to_households.value == Decimal("6250.00")
    assert everything.purchase_value == Decimal("162000.00")


def test_a_company_with_no_purchases_has_an_empty_statement(company):
    statement = figures(company)

    assert statement.households_reached.value == 0
    assert statement.purchase_value == Decimal("0.00")
    assert statement.share_reached.value is None and not statement.share_reached.suppressed
    assert not statement.has_figures


# --- Suppression ----------------------------------------------------------------------------


def test_four_households_are_shown_as_fewer_than_five_and_their_money_is_hidden(company, delivery_line):
    for household in households(4, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)

    statement = figures(company)

    for figure in ("households_reached", "paid_to_households", "share_reached", "crossed", "crossed_share"):
        assert getattr(statement, figure).suppressed, figure
        assert getattr(statement, figure).value is None, figure
    assert statement.purchase_value == Decimal("160000.00")  # the company's own purchases


def test_five_households_are_shown(company, delivery_line):
    for household in households(5, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)

    statement = figures(company)

    assert statement.households_reached.value == 5
    assert statement.paid_to_households.value == Decimal("150000.00")
    assert statement.share_reached.value == Decimal("93.8")
    assert (statement.crossed.value, statement.crossed_share.value) == (5, Decimal("100.0"))


def test_crossed_is_hidden_when_fewer_than_five_crossed(company, delivery_line):
    group = delivery_line.delivery.order.group
    for household in households(4, group):
        earn(household, delivery_line, LIFTS)
    for household in households(6, group):
        earn(household, delivery_line, HELPS)

    statement = figures(company)

    assert statement.households_reached.value == 10
    assert statement.crossed.suppressed and statement.crossed_share.suppressed


def test_crossed_is_hidden_when_fewer_than_five_did_not_cross(company, delivery_line):
    # 6 reached and 5 crossed would tell the company that exactly one household did not
    group = delivery_line.delivery.order.group
    for household in households(5, group):
        earn(household, delivery_line, LIFTS)
    for household in households(1, group):
        earn(household, delivery_line, HELPS)

    statement = figures(company)

    assert statement.households_reached.value == 6
    assert statement.paid_to_households.value == Decimal("151000.00")
    assert statement.crossed.suppressed and statement.crossed_share.suppressed


def test_none_crossed_is_shown_as_zero(company, delivery_line):
    for household in households(5, delivery_line.delivery.order.group):
        earn(household, delivery_line, HELPS)

    statement = figures(company)

    assert (statement.crossed.value, statement.crossed_share.value) == (0, Decimal("0.0"))


def test_the_statement_costs_a_fixed_number_of_queries(company, delivery_line, django_assert_max_num_queries):
    group = delivery_line.delivery.order.group
    for household in households(12, group):
        earn(household, delivery_line, HELPS)

    with django_assert_max_num_queries(4):  # entries, purchase value, the poverty line, status
        figures(company)


# --- The portal page ------------------------------------------------------------------------


@pytest.fixture
def viewer(company):
    user = UserFactory(email="viewer@company.example")
    add_member(company, user, CompanyRole.VIEWER)
    return user


def test_a_member_in_any_role_sees_the_statement_without_household_data(client, company, viewer, delivery_line):
    group = delivery_line.delivery.order.group
    reached = households(5, group)
    for household in reached:
        earn(household, delivery_line, LIFTS)
    client.force_login(viewer)

    response = client.get(reverse("company_impact:impact", args=[company.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-figure="households_reached"' in page and "150,000.00" in page
    for household in reached:
        assert household.code not in page
        assert household.head_name not in page
        assert household.phone not in page
        assert household.citizen_id_last4 == "" or household.citizen_id_last4 not in page
    assert "income/impact.css" in page and "<style" not in page and "<script>" not in page


def test_the_page_shows_fewer_than_five_instead_of_small_counts(client, company, viewer, delivery_line):
    for household in households(3, delivery_line.delivery.order.group):
        earn(household, delivery_line, LIFTS)
    client.force_login(viewer)

    page = client.get(reverse("company_impact:impact", args=[company.pk])).content.decode()

    assert page.count("data-suppressed") == 4  # reached, paid, share, crossed
    assert "90,000.00" not in page


def test_the_page_filters_by_agreement_and_period(client, company, viewer, agreement, delivery_line):
    for household in households(5, delivery_line.delivery.order.group):
        earn(household, delivery_line, HELPS)
    client.force_login(viewer)
    url = reverse("company_impact:impact", args=[company.pk])

    narrowed = client.get(url, {"agreement": agreement.pk, "date_from": RECENTLY.isoformat()})
    outside = client.get(url, {"date_to": (RECENTLY - datetime.timedelta(days=1)).isoformat()})
    foreign = client.get(url, {"agreement": active_agreement(company=CompanyFactory()).pk})

    assert "5,000.00" in narrowed.content.decode()
    assert "data-empty" in outside.content.decode()
    assert foreign.status_code == 200 and "data-figure" not in foreign.content.decode()
    assert foreign.context["form"].errors


def test_another_companys_member_gets_a_404(client, company, delivery_line):
    other = UserFactory()
    add_member(CompanyFactory(), other, CompanyRole.ADMIN)
    client.force_login(other)

    assert client.get(reverse("company_impact:impact", args=[company.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, company):
    response = client.get(reverse("company_impact:impact", args=[company.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_coordinators_and_group_managers_have_no_portal_statement(client, company, delivery_line):
    group = delivery_line.delivery.order.group
    coordinator = UserFactory()
    assign(coordinator, province_code="46")
    manager = UserFactory()
    producer_services.membership_grant(user=manager, group=group, role=GroupMembership.Role.MANAGER)

    for user in (coordinator, manager):
        client.force_login(user)
        assert client.get(reverse("company_impact:impact", args=[company.pk])).status_code == 404
        assert client.get(reverse("company_impact:impact_home")).status_code == 404


def test_the_impact_link_leads_a_member_to_their_company_or_lets_them_choose(client, company, viewer):
    client.force_login(viewer)
    response = client.get(reverse("company_impact:impact_home"))
    assert response.status_code == 302 and response["Location"] == reverse("company_impact:impact", args=[company.pk])

    second = CompanyFactory()
    add_member(second, viewer, CompanyRole.PURCHASER)
    page = client.get(reverse("company_impact:impact_home")).content.decode()
    assert (
        reverse("company_impact:impact", args=[second.pk]) in page
        and reverse("company_impact:impact", args=[company.pk]) in page
    )


def test_the_portal_navigation_links_to_the_statement(client, company, viewer):
    client.force_login(viewer)

    page = client.get(reverse("buyers:company", args=[company.pk])).content.decode()

    assert f'href="{reverse("company_impact:impact_home")}"' in page
