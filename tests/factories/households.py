"""Factories for producer groups and households (Kalasin: province 46, Mueang district 4601)."""

import datetime
import itertools
from decimal import Decimal

import factory

from producers import citizen_id
from producers.models import (
    Consent,
    CoordinatorAssignment,
    Enrolment,
    Household,
    Institution,
    PovertySource,
    ProducerGroup,
)

_ids = itertools.count(1)


def valid_citizen_id(seed: int | None = None) -> str:
    seed = next(_ids) if seed is None else seed
    first = f"1{seed:011d}"
    return first + str(citizen_id.check_digit(first))


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = "KSU"
    name_th = "มหาวิทยาลัยกาฬสินธุ์"
    name_en = "Kalasin University"
    province_code = "46"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProducerGroup

    code = factory.Sequence(lambda n: f"GRP-{n:03d}")
    institution = factory.SubFactory(InstitutionFactory)
    name_th = factory.Sequence(lambda n: f"กลุ่มทอผ้าไหมทดสอบ {n}")
    province_code = "46"
    district_code = "4601"
    subdistrict_code = "460101"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"HH-{n:05d}")
    institution = factory.SubFactory(InstitutionFactory)
    head_name = factory.Sequence(lambda n: f"นางทดสอบ ตัวอย่าง{n}")
    phone = "0812345678"
    members = 4
    province_code = "46"
    district_code = "4601"
    subdistrict_code = "460101"
    village = "หมู่ 3"
    poverty_source = PovertySource.TPMAP
    poverty_year = 2023
    baseline_annual_income = Decimal("120000.00")
    baseline_year = 2023
    baseline_date = datetime.date(2023, 6, 1)

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted is not None:
            Enrolment.objects.create(household=self, group=extracted)

    @factory.post_generation
    def consent(self, create, extracted, **kwargs):
        """consent=True (default) records consent given; consent=False records nothing."""
        if create and extracted is not False:
            Consent.objects.create(household=self, status=Consent.Status.GIVEN)


def assign(user, *, province_code: str = "", group=None, institution=None) -> CoordinatorAssignment:
    from marketplace import access

    access.grant_role(user=user, group_name=access.COORDINATORS)
    return CoordinatorAssignment.objects.create(
        user=user, institution=institution or InstitutionFactory(), province_code=province_code, group=group
    )
