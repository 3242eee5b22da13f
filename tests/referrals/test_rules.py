"""Referring: consent, the agency's dimensions and area, dates, one open referral per need and
agency; a withdrawn consent closes the household's open referrals."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace.models import AuditEvent
from producers.models import Consent
from referrals import selectors, services
from referrals.models import Dimension, ReferralState
from tests.referrals.conftest import give_referral_consent

pytestmark = pytest.mark.django_db


def test_a_household_without_referral_consent_is_refused_with_the_reason(
    kalasin_household, field_manager, health_agency
):
    need = services.needs_assess(
        household=kalasin_household, actor=field_manager, needs=[(Dimension.HEALTH, 2, "")]
    ).needs.get()

    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_create(need=need, agency=health_agency, actor=field_manager)

    assert refused.value.code == "no_consent"
    assert not need.referrals.exists()


def test_an_agency_must_handle_the_dimension_and_serve_the_province(health_need, welfare_agency, field_manager):
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_create(need=health_need, agency=welfare_agency, actor=field_manager)
    assert refused.value.code == "dimension"


def test_an_answer_date_before_the_assessment_is_refused(health_need, health_agency, field_manager):
    before = health_need.assessment.assessed_on - datetime.timedelta(days=1)
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_create(need=health_need, agency=health_agency, actor=field_manager, expected_by=before)
    assert refused.value.code == "date"


def test_an_assessment_dated_in_the_future_is_refused(kalasin_household, field_manager):
    with pytest.raises(ValidationError):
        services.needs_assess(
            household=kalasin_household,
            actor=field_manager,
            needs=[],
            assessed_on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_one_open_referral_per_need_and_agency(referral, health_need, health_agency, field_manager):
    with pytest.raises(services.ReferralRefused) as refused:
        services.referral_create(need=health_need, agency=health_agency, actor=field_manager)
    assert refused.value.code == "open"


def test_the_agency_is_told_without_the_household_name(
    health_need, health_agency, agency_user, field_manager, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(need=health_need, agency=health_agency, actor=field_manager)
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == ["rphs@agency.example", "staff@agency.example"]
    body = mail.outbox[0].body
    assert referral.number in body and health_need.assessment.household.head_name not in body


def test_withdrawing_consent_closes_open_referrals_and_cuts_agency_access(referral, agency_user, kalasin_household):
    assert list(selectors.referrals_for_agency_user(agency_user)) == [referral]

    give_referral_consent(kalasin_household, Consent.Status.WITHDRAWN)

    referral.refresh_from_db()
    assert referral.state == ReferralState.NOT_RESOLVABLE and referral.closed_at is not None
    assert not selectors.referrals_for_agency_user(agency_user).exists()
    assert AuditEvent.objects.filter(action="referral.closed_by_consent_withdrawal").exists()


def test_verified_household_with_a_changed_figure_needs_correction(kalasin_household, field_manager):
    services.household_verify(household=kalasin_household, actor=field_manager, status="verified", method="home_visit")
    kalasin_household.refresh_from_db()
    assert kalasin_household.verification_status == "verified"

    kalasin_household.members = 6
    kalasin_household.save()

    kalasin_household.refresh_from_db()
    assert kalasin_household.verification_status == "needs_correction"
    assert AuditEvent.objects.filter(
        action="household.verification_reset", object_id=str(kalasin_household.pk)
    ).exists()


def test_a_changed_phone_keeps_the_household_verified(kalasin_household, field_manager):
    services.household_verify(household=kalasin_household, actor=field_manager, status="verified", method="document")
    kalasin_household.refresh_from_db()
    kalasin_household.phone = "0899999999"
    kalasin_household.save(update_fields=["phone"])
    kalasin_household.refresh_from_db()
    assert kalasin_household.verification_status == "verified"


def test_verification_needs_a_method_and_a_correction_needs_a_note(kalasin_household, field_manager):
    with pytest.raises(ValidationError):
        services.household_verify(household=kalasin_household, actor=field_manager, status="verified")
    with pytest.raises(ValidationError):
        services.household_verify(household=kalasin_household, actor=field_manager, status="needs_correction")
