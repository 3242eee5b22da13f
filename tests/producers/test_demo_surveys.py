"""The demo's follow-up income survey (producers.demo._seed_follow_up_surveys): deterministic,
only of households that consented, and never twice."""

import datetime

import pytest
from django.utils import timezone

from producers import demo
from producers.models import Household, IncomeSurvey, PovertySource
from tests.factories.households import HouseholdFactory

pytestmark = pytest.mark.django_db


def make_households(n: int) -> list:
    return [HouseholdFactory(code=f"DEMO-4601-{i:03d}", consent=i % 7 != 6) for i in range(1, n + 1)]


def surveys() -> list[tuple]:
    return list(
        IncomeSurvey.objects.order_by("household__code").values_list("household__code", "annual_income", "members")
    )


def test_four_in_five_consenting_demo_households_are_surveyed_once(django_user_model):
    households = make_households(20)
    coordinator = django_user_model.objects.create_user(email="coordinator@example.org", password="x")

    created = demo._seed_follow_up_surveys(coordinator)
    again = demo._seed_follow_up_surveys(coordinator)

    surveyed = set(IncomeSurvey.objects.values_list("household__code", flat=True))
    expected = {h.code for n, h in enumerate(households) if n % 5 != 4 and (n + 1) % 7 != 6}
    assert (created, again) == (len(expected), 0)
    assert surveyed == expected
    survey = IncomeSurvey.objects.first()
    assert survey.source == PovertySource.PROGRAMME and survey.recorded_by == coordinator
    assert survey.surveyed_on == timezone.localdate() - datetime.timedelta(days=demo.FOLLOW_UP_DAYS_AGO)


def test_the_surveys_are_the_same_every_time(django_user_model):
    make_households(20)
    demo._seed_follow_up_surveys(None)
    first = surveys()
    IncomeSurvey.objects.all().delete()

    demo._seed_follow_up_surveys(None)

    assert surveys() == first
    baseline = dict(Household.objects.values_list("code", "baseline_annual_income"))
    assert all(baseline[code] * 9 / 10 - 1 <= income <= baseline[code] * 122 / 100 + 1 for code, income, _m in first)
