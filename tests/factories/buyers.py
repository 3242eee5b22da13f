"""Factories for partner companies and their people."""

import itertools

import factory

from buyers import services
from buyers.models import Company, CompanyRole
from producers.citizen_id import check_digit

_tax_ids = itertools.count(1)


def valid_tax_id(seed: int | None = None) -> str:
    """A 13-digit tax ID with a correct check digit (companies' numbers start with 0)."""
    seed = next(_tax_ids) if seed is None else seed
    first = f"0{seed:011d}"
    return first + str(check_digit(first))


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name_th = factory.Sequence(lambda n: f"บริษัท ทดสอบการค้า {n} จำกัด")
    name_en = factory.Sequence(lambda n: f"Test Trading {n} Co., Ltd.")
    tax_id = factory.LazyFunction(valid_tax_id)
    address = "99 ถนนทดสอบ เขตบางรัก กรุงเทพมหานคร 10500"
    billing_email = factory.Sequence(lambda n: f"billing{n}@company.example")


def add_member(company, user, role: str = CompanyRole.PURCHASER):
    return services.membership_grant(user=user, company=company, role=role)
