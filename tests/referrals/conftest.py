import datetime

import pytest
from django.utils import timezone

from producers.models import Consent
from referrals import services
from referrals.models import Agency, AgencyMembership, Dimension, FieldAssignment
from tests.areas import (  # noqa: F401
    kalasin_coordinator,
    kalasin_group,
    kalasin_household,
    roiet_coordinator,
    roiet_group,
    roiet_household,
)
from tests.english import _english, client  # noqa: F401
from tests.factories.accounts import UserFactory
from tests.helpers import give_totp


@pytest.fixture
def field_manager(db):
    """An area research manager for Kalasin (province 46)."""
    user = UserFactory(email="field.kalasin@example.org")
    FieldAssignment.objects.create(user=user, province_code="46")
    give_totp(user)
    return user


@pytest.fixture
def health_agency(db):
    return Agency.objects.create(
        name="รพ.สต. ทดสอบ",
        level=Agency.Level.LOCAL,
        province_codes=["46"],
        dimensions=[Dimension.HEALTH, Dimension.LIVING],
        contact_email="rphs@agency.example",
        answer_days=14,
    )


@pytest.fixture
def welfare_agency(db):
    return Agency.objects.create(
        name="พมจ. ทดสอบ", level=Agency.Level.PROVINCIAL, province_codes=[], dimensions=[Dimension.INCOME]
    )


@pytest.fixture
def agency_user(health_agency):
    user = UserFactory(email="staff@agency.example")
    AgencyMembership.objects.create(user=user, agency=health_agency)
    give_totp(user)
    return user


def give_referral_consent(household, status=Consent.Status.GIVEN):
    return Consent.objects.create(household=household, status=status, scope=Consent.Scope.REFERRAL)


@pytest.fixture
def health_need(kalasin_household, field_manager):  # noqa: F811 - the fixture imported above
    give_referral_consent(kalasin_household)
    assessment = services.needs_assess(
        household=kalasin_household,
        actor=field_manager,
        needs=[(Dimension.HEALTH, 3, "ต้องการเยี่ยมบ้าน")],
        assessed_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    return assessment.needs.get()


@pytest.fixture
def referral(health_need, health_agency, field_manager):
    return services.referral_create(need=health_need, agency=health_agency, actor=field_manager)
