"""Field validation for the producers models: each rule a user could trip over, with its message."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from producers.models import (
    CoordinatorAssignment,
    Household,
    IncomeSurvey,
    Institution,
    PovertyLine,
    PovertyStatus,
    ProducerGroup,
    poverty_status,
)
from tests.factories.households import GroupFactory, HouseholdFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict:
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            instance.full_clean()
        return {field: [str(message) for message in messages] for field, messages in caught.value.message_dict.items()}


def test_poverty_lines_are_loaded_from_nesdc_figures():
    lines = dict(PovertyLine.objects.values_list("year", "baht_per_person_month"))
    assert lines == {2017: Decimal("2686"), 2021: Decimal("2803"), 2023: Decimal("3043"), 2024: Decimal("3078")}
    # 2022 is not confirmed: the 2021 line applies; before 2017 there is none.
    assert PovertyLine.for_year(2022).year == 2021
    assert PovertyLine.for_year(2026).year == 2024
    assert PovertyLine.for_year(2010) is None


def test_poverty_status_thresholds():
    line = Decimal("3043")
    assert poverty_status(Decimal("2434.39"), line) == PovertyStatus.VERY_POOR  # > 20% below
    assert poverty_status(Decimal("2434.40"), line) == PovertyStatus.POOR
    assert poverty_status(Decimal("3042.99"), line) == PovertyStatus.POOR
    assert poverty_status(Decimal("3043"), line) == PovertyStatus.ABOVE
    assert poverty_status(Decimal("1"), None) == PovertyStatus.UNKNOWN


def test_a_valid_group_passes():
    GroupFactory.build(institution=InstitutionFactory()).full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "has space", "Use letters, digits and dashes."),
        ("registration_number", "ABC", "Use digits, dashes, dots and slashes only."),
        ("retention_rate", Decimal("60"), "less than or equal to 50"),
        ("retention_rate", Decimal("-1"), "greater than or equal to 0"),
        ("bank_account_number", "12", "10 to 15 digits"),
        ("promptpay_id", "12345", "A 10-digit mobile number or a 13-digit ID."),
        ("province_code", "99", "99 is not a province code."),
        ("district_code", "4501", "District Mueang Roi Et is not in the province of Kalasin."),
        ("district_code", "", "Give the district of the subdistrict."),
        ("subdistrict_code", "450101", "is not in the district of Mueang Kalasin."),
        ("name_th", "", "This field cannot be blank."),
    ],
)
def test_group_field_rules(field, value, message):
    group = GroupFactory.build(institution=InstitutionFactory(), **{field: value})
    errors = errors_of(group)
    assert field in errors
    assert any(message in text for text in errors[field]), errors


def test_a_valid_household_passes():
    HouseholdFactory.build(institution=InstitutionFactory()).full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "HH 1", "Use letters, digits and dashes."),
        ("phone", "12345", "A Thai phone number"),
        ("members", 0, "greater than or equal to 1"),
        ("members", 51, "less than or equal to 50"),
        ("baseline_annual_income", Decimal("-1"), "greater than or equal to 0"),
        ("baseline_year", 1999, "greater than or equal to 2000"),
        ("poverty_year", 2569, "less than or equal to 2100"),  # a BE year typed by mistake
        ("poverty_source", "rumour", "is not a valid choice"),
        ("head_name", "", "This field cannot be blank."),
        ("subdistrict_code", "999999", "999999 is not a subdistrict code."),
        ("baseline_date", datetime.date(2022, 1, 1), "must fall in the baseline year"),
    ],
)
def test_household_field_rules(field, value, message):
    household = HouseholdFactory.build(institution=InstitutionFactory(), **{field: value})
    errors = errors_of(household)
    assert field in errors
    assert any(message in text for text in errors[field]), errors


def test_household_codes_and_citizen_id_hashes_are_unique():
    HouseholdFactory(code="HH-1", citizen_id_hash="f" * 64)
    with transaction.atomic(), pytest.raises(IntegrityError):
        HouseholdFactory(code="HH-1")
    with transaction.atomic(), pytest.raises(IntegrityError):
        HouseholdFactory(code="HH-2", citizen_id_hash="f" * 64)
    # No citizen ID is not a duplicate.
    HouseholdFactory(code="HH-3", citizen_id_hash=None)
    HouseholdFactory(code="HH-4", citizen_id_hash=None)


def test_baseline_figures():
    household = HouseholdFactory(baseline_annual_income=Decimal("120000"), members=4, baseline_year=2023)
    assert household.baseline_monthly_income_per_person == Decimal("2500.00")
    assert household.baseline_poverty_status == PovertyStatus.POOR
    annotated = Household.objects.with_baseline_status().get(pk=household.pk)
    assert annotated.baseline_status == PovertyStatus.POOR


def test_an_assignment_is_a_province_or_a_group():
    from tests.factories.accounts import UserFactory

    user = UserFactory()
    institution = InstitutionFactory()
    group = GroupFactory(institution=institution)
    with translation.override("en"):
        for kwargs in ({}, {"province_code": "46", "group": group}):
            with pytest.raises(ValidationError, match="either a province or a producer group"):
                CoordinatorAssignment(user=user, institution=institution, **kwargs).full_clean()
        with pytest.raises(ValidationError):
            CoordinatorAssignment(user=user, institution=institution, province_code="99").full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        CoordinatorAssignment.objects.create(user=user, institution=institution, province_code="46", group=group)
    CoordinatorAssignment(user=user, institution=institution, province_code="46").full_clean()


def test_institution_rules():
    errors = errors_of(Institution(code="ksu uni", name_th="x", province_code="99"))
    assert set(errors) == {"code", "province_code"}


def test_income_survey_rules():
    household = HouseholdFactory()
    survey = IncomeSurvey(
        household=household,
        surveyed_on=datetime.date.today() + datetime.timedelta(days=2),
        annual_income=Decimal("-5"),
        members=0,
        source="tpmap",
    )
    assert set(errors_of(survey)) == {"surveyed_on", "annual_income", "members"}


def test_group_verification_flags():
    group = GroupFactory()
    assert not group.is_verified
    group.verification_status = ProducerGroup.Verification.VERIFIED
    assert group.is_verified
