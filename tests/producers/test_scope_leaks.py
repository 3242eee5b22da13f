"""Household data that leaked out of the user's scope in the admin (issue 13): the contributions
page of a watched order, Wagtail's history and usage views, contact details without consent in the
edit form, and export filters that were not validated."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from buyers.models import CompanyRole
from marketplace.models import AuditEvent
from orders import fulfilment
from orders import services as order_services
from producers import services
from producers.models import Consent, IncomeSurvey, PovertySource
from tests.factories.accounts import UserFactory
from tests.factories.buyers import add_member
from tests.factories.households import HouseholdFactory
from tests.factories.orders import AgreementFactory, add_line, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- 1. Who supplied a delivery -------------------------------------------------------------


@pytest.fixture
def call_off_delivery(kalasin_group, kalasin_manager):
    """A delivery of a call-off under an agreement of the Kalasin group's institution (KSU): every
    coordinator of KSU watches the order, whatever their province."""
    agreement = AgreementFactory(institution=kalasin_group.institution)
    line = add_line(agreement, make_product(kalasin_group), committed="100")
    order_services.agreement_activate(agreement=agreement, actor=None)
    purchaser = UserFactory(email="purchaser@company.example")
    add_member(agreement.company, purchaser, CompanyRole.PURCHASER)
    [order] = order_services.call_off_place(
        agreement=agreement, quantities={line.pk: Decimal("10")}, placed_by=purchaser
    )
    order_services.order_confirm(order=order, actor=kalasin_manager)
    order_line = order.lines.get()
    return fulfilment.delivery_record(
        order=order, quantities={order_line.pk: Decimal("10")}, delivered_on=timezone.localdate(), actor=kalasin_manager
    )


def contributions_url(delivery):
    return reverse("ledger:delivery_contributions", args=[delivery.pk])


def test_a_coordinator_of_another_province_gets_no_contributions_page(
    client, call_off_delivery, kalasin_household, roiet_coordinator
):
    # Given a coordinator of the same institution who covers Roi Et, not the group's Kalasin
    client.force_login(roiet_coordinator)

    # When they open who supplied the Kalasin group's delivery
    response = client.get(contributions_url(call_off_delivery))

    # Then the page does not exist for them, and no household is named
    assert response.status_code == 404
    assert kalasin_household.code not in response.content.decode()
    assert not AuditEvent.objects.filter(action="contributions.viewed").exists()


def test_the_order_page_offers_the_suppliers_link_only_to_those_who_may_open_it(
    client, call_off_delivery, roiet_coordinator, kalasin_coordinator
):
    order_url = reverse("orders_admin:order_detail", args=[call_off_delivery.order.pk])
    link = contributions_url(call_off_delivery)

    client.force_login(roiet_coordinator)
    response = client.get(order_url)
    assert response.status_code == 200
    assert link not in response.content.decode()

    client.force_login(kalasin_coordinator)
    assert link in client.get(order_url).content.decode()


def test_the_contributions_page_lists_only_households_the_coordinator_may_see(
    client, call_off_delivery, kalasin_group, kalasin_household, kalasin_coordinator, kalasin_manager
):
    # Given a household of Roi Et enrolled in the Kalasin group
    neighbour = HouseholdFactory(
        code="HH-NEIGHBOUR", group=kalasin_group, province_code="45", district_code="4501", subdistrict_code="450101"
    )

    # When the Kalasin coordinator opens the page
    client.force_login(kalasin_coordinator)
    response = client.get(contributions_url(call_off_delivery))

    # Then they see their own province's household only
    html = response.content.decode()
    assert response.status_code == 200
    assert kalasin_household.code in html
    assert neighbour.code not in html and neighbour.head_name not in html

    # ...while the group's manager, who sees every household of the group, gets both
    client.force_login(kalasin_manager)
    html = client.get(contributions_url(call_off_delivery)).content.decode()
    assert kalasin_household.code in html and neighbour.code in html


# --- 2. Wagtail's history and usage views ---------------------------------------------------


def test_history_and_usage_of_a_household_are_not_shown_outside_the_scope(client, kalasin_household, roiet_coordinator):
    enrolment = kalasin_household.enrolments.get()
    urls = [
        reverse("households:history", args=[kalasin_household.pk]),
        reverse("households:history_results", args=[kalasin_household.pk]),
        reverse("households:usage", args=[kalasin_household.pk]),
        reverse("enrolments:history", args=[enrolment.pk]),
        reverse("enrolments:usage", args=[enrolment.pk]),
    ]
    client.force_login(roiet_coordinator)

    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert kalasin_household.code not in response.content.decode(), url


def test_the_coordinator_of_the_area_still_reads_the_history(client, kalasin_household, kalasin_coordinator):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("households:history", args=[kalasin_household.pk]))

    assert response.status_code == 200
    assert kalasin_household.code in response.content.decode()


def test_income_survey_history_is_not_shown_to_another_groups_manager(client, kalasin_household, roiet_manager):
    survey = IncomeSurvey.objects.create(
        household=kalasin_household,
        surveyed_on=datetime.date(2026, 6, 1),
        annual_income=Decimal("150000"),
        members=4,
        source=PovertySource.BMN,
    )
    client.force_login(roiet_manager)

    response = client.get(reverse("income_surveys:history", args=[survey.pk]))

    assert response.status_code == 404
    assert kalasin_household.code not in response.content.decode()


# --- 3. Contact details without consent -----------------------------------------------------


@pytest.fixture
def withdrawn_household(kalasin_group):
    household = HouseholdFactory(
        code="HH-WITHDRAWN",
        group=kalasin_group,
        head_name="นางถอนความยินยอม ทดสอบ",
        phone="0891112222",
        village="บ้านโคกสูง",
    )
    services.consent_record(household=household, status=Consent.Status.WITHDRAWN)
    return household


def edit_data(household, **changes):
    data = {
        "code": household.code,
        "institution": household.institution_id,
        "head_name": "",
        "phone": "",
        "members": str(household.members),
        "province_code": household.province_code,
        "district_code": household.district_code,
        "subdistrict_code": household.subdistrict_code,
        "village": "",
        "poverty_source": household.poverty_source,
        "poverty_year": str(household.poverty_year),
        "baseline_annual_income": str(household.baseline_annual_income),
        "baseline_year": str(household.baseline_year),
        "baseline_date": "",
        "citizen_id": "",
    }
    return {**data, **changes}


def test_the_edit_form_does_not_show_contact_details_after_consent_is_withdrawn(
    client, kalasin_coordinator, withdrawn_household
):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("households:edit", args=[withdrawn_household.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert withdrawn_household.code in html
    assert "0891112222" not in html
    assert "บ้านโคกสูง" not in html
    assert "นางถอนความยินยอม" not in html


def test_saving_the_form_without_consent_keeps_the_hidden_details(client, kalasin_coordinator, withdrawn_household):
    client.force_login(kalasin_coordinator)

    # When the coordinator changes the members and leaves the hidden boxes empty
    response = client.post(
        reverse("households:edit", args=[withdrawn_household.pk]), edit_data(withdrawn_household, members="5")
    )

    # Then the change is saved and the name, phone and village are kept
    assert response.status_code == 302, response.content.decode()[:3000]
    withdrawn_household.refresh_from_db()
    assert withdrawn_household.members == 5
    assert (withdrawn_household.head_name, withdrawn_household.phone, withdrawn_household.village) == (
        "นางถอนความยินยอม ทดสอบ",
        "0891112222",
        "บ้านโคกสูง",
    )


def test_a_hidden_detail_can_still_be_replaced(client, kalasin_coordinator, withdrawn_household):
    client.force_login(kalasin_coordinator)

    response = client.post(
        reverse("households:edit", args=[withdrawn_household.pk]), edit_data(withdrawn_household, phone="0823334444")
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    withdrawn_household.refresh_from_db()
    assert (withdrawn_household.phone, withdrawn_household.village) == ("0823334444", "บ้านโคกสูง")


def test_the_edit_form_shows_contact_details_with_consent(client, kalasin_coordinator, kalasin_household):
    client.force_login(kalasin_coordinator)

    html = client.get(reverse("households:edit", args=[kalasin_household.pk])).content.decode()

    assert kalasin_household.phone in html and kalasin_household.village in html


# --- 4. Export filters ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "1.5", "-"])
def test_a_malformed_group_filter_is_a_bad_request_with_a_message(
    client, kalasin_coordinator, kalasin_household, value
):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("producers_admin:households_export"), {"group": value})

    assert response.status_code == 400
    assert "producer group" in response.content.decode()
    assert not AuditEvent.objects.filter(action="household.exported").exists()


def test_the_malformed_filter_message_is_in_thai(client, kalasin_coordinator, kalasin_household):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("producers_admin:households_export"), {"group": "abc"})

    assert response.status_code == 400
    assert "กลุ่มผู้ผลิต" in response.content.decode()


def test_a_group_outside_the_scope_is_not_found(client, kalasin_coordinator, roiet_group):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("producers_admin:households_export"), {"group": roiet_group.pk})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("impact:export_figures", ["csv"]),
        ("impact:export_households", ["enrolled", "xlsx"]),
        ("impact:export_iris", []),
        ("impact:drilldown", ["enrolled"]),
    ],
)
def test_impact_downloads_answer_a_malformed_date_with_a_bad_request(client, kalasin_coordinator, name, args):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse(name, args=args), {"date_from": "2026-13-45"})

    assert response.status_code == 400
    assert "from" in response.content.decode()
