"""The area's figures against a hand-counted world, and the small-cell suppression of exports.

The world (Kalasin, district 4601 unless said): five households.
  H1 verified; needs health (referred to the health agency: accepted after 2 days, resolved after 6)
  H2 verified; needs health and income (health referred, declined; income not referred)
  H3 needs correction; needs living (referred, still waiting)
  H4 unverified; an old assessment with education, a newer one with no needs
  H5 unverified; in district 4602, never assessed
So: 5 households, 2 verified (40.0%); by dimension (newest assessments): health 2, income 1,
living 1, education 0, services 0; needs 4, referred 3 (75.0%); referrals 3: resolved 1, declined 1,
referred 1 (resolved 33.3%); median days to accept 2.0, to resolve 6.0.
"""

import csv
import datetime
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import analysis, services
from referrals.models import Dimension, Referral, ReferralState
from tests.factories.households import HouseholdFactory
from tests.referrals.conftest import give_referral_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(field_manager, health_agency, welfare_agency, agency_user):
    today = timezone.localdate()
    h = [HouseholdFactory(code=f"HH-AN-{n}") for n in range(1, 5)]
    h.append(HouseholdFactory(code="HH-AN-5", district_code="4602", subdistrict_code="460201"))
    for household in h[:2]:
        services.household_verify(household=household, actor=field_manager, status="verified", method="home_visit")
    services.household_verify(household=h[2], actor=field_manager, status="needs_correction", note="อายุผิด")
    for household in h[:3]:
        give_referral_consent(household)

    def assess(household, needs, days_ago=10):
        return services.needs_assess(
            household=household, actor=field_manager, needs=needs, assessed_on=today - datetime.timedelta(days_ago)
        )

    a1 = assess(h[0], [(Dimension.HEALTH, 3, "")])
    a2 = assess(h[1], [(Dimension.HEALTH, 2, ""), (Dimension.INCOME, 2, "")])
    a3 = assess(h[2], [(Dimension.LIVING, 3, "")])
    assess(h[3], [(Dimension.EDUCATION, 2, "")], days_ago=30)
    assess(h[3], [], days_ago=5)

    r1 = services.referral_create(need=a1.needs.get(), agency=health_agency, actor=field_manager)
    r2 = services.referral_create(
        need=a2.needs.get(dimension=Dimension.HEALTH), agency=health_agency, actor=field_manager
    )
    services.referral_create(need=a3.needs.get(), agency=health_agency, actor=field_manager)
    services.referral_transition(referral=r1, to=ReferralState.ACCEPTED, actor=agency_user)
    services.referral_transition(referral=r1, to=ReferralState.RESOLVED, actor=agency_user)
    services.referral_transition(referral=r2, to=ReferralState.DECLINED, actor=agency_user, reason="ซ้ำ")
    start = timezone.now() - datetime.timedelta(days=10)
    Referral.objects.filter(pk=r1.pk).update(
        referred_at=start, accepted_at=start + datetime.timedelta(days=2), closed_at=start + datetime.timedelta(days=6)
    )
    return h


def test_the_figures_match_the_hand_count(world, field_manager):
    result = analysis.analyse(field_manager)

    assert result.households == 5
    assert result.verification == {"unverified": 2, "verified": 2, "needs_correction": 1}
    assert str(result.verified_percent) == "40.0"
    assert result.households_by_dimension == {"health": 2, "living": 1, "education": 0, "income": 1, "services": 0}
    assert (result.needs_total, result.needs_referred, str(result.referred_percent)) == (4, 3, "75.0")
    assert result.referrals_by_state["resolved"] == 1 and result.referrals_by_state["declined"] == 1
    assert result.referrals_by_state["referred"] == 1 and result.referrals_total == 3
    assert str(result.resolved_percent) == "33.3"
    assert (str(result.median_days_to_accept), str(result.median_days_to_resolve)) == ("2.0", "6.0")
    by_district = {row.label: (row.verified, row.total) for row in result.by_district}
    assert sorted(by_district.values()) == [(0, 1), (2, 4)]


def test_a_district_filter_and_the_drilldown(world, field_manager):
    assert analysis.analyse(field_manager, district="4602").households == 1
    health = analysis.drilldown(field_manager, dimension="health")
    assert sorted(h.code for h in health) == ["HH-AN-1", "HH-AN-2"]
    assert [h.code for h in analysis.drilldown(field_manager, state="declined")] == ["HH-AN-2"]


def test_the_area_research_manager_export_suppresses_small_cells(client, world, field_manager):
    client.force_login(field_manager)

    response = client.get(reverse("field:analysis_export", args=["csv"]))

    rows = {row["key"]: row["value"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["households"] == "5"
    assert rows["verification_verified"] == "<5" and rows["need_health"] == "<5" and rows["need_services"] == "0"
    assert rows["median_days_to_accept"] == ""


def test_the_area_coordinator_export_has_exact_counts(client, world, kalasin_coordinator):
    client.force_login(kalasin_coordinator)

    response = client.get(reverse("field:analysis_export", args=["csv"]) + "?province=46")

    rows = {row["key"]: row["value"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["verification_verified"] == "2" and rows["need_health"] == "2"
    assert client.get(reverse("field:analysis_export", args=["xlsx"])).status_code == 200
    assert client.get(reverse("field:analysis_export", args=["pdf"])).status_code == 404


def test_the_page_shows_the_figures_and_links_to_the_households(client, world, field_manager):
    client.force_login(field_manager)
    page = client.get(reverse("field:analysis")).content.decode()
    assert 'data-figure="verified-percent">40.0%' in page
    assert 'data-figure="referred-percent">75.0%' in page
    listed = client.get(reverse("field:analysis_list") + "?dimension=health").content.decode()
    assert "HH-AN-1" in listed and "HH-AN-3" not in listed


def test_the_impact_dashboard_shows_the_verified_share(client, world, kalasin_coordinator):
    client.force_login(kalasin_coordinator)
    page = client.get(reverse("impact:dashboard")).content.decode()
    assert 'id="impact-verification"' in page and "40.0%" in page


def _export(exact):
    """An area of 40 households where each group of cells has exactly one small cell."""
    result = analysis.Analysis(
        households=40,
        verification={"unverified": 30, "verified": 7, "needs_correction": 3},
        by_district=[analysis.Coverage("A", 38, 7, "4601"), analysis.Coverage("B", 2, 0, "4602")],
        households_by_dimension={"health": 9, "living": 0, "education": 6, "income": 12, "services": 1},
        needs_total=28,
        needs_referred=20,
        referrals_by_state={
            "referred": 3,
            "accepted": 10,
            "declined": 7,
            "in_progress": 0,
            "resolved": 0,
            "not_resolvable": 0,
        },
        referrals_by_agency=[(SimpleNamespace(pk=1, name="a"), 12), (SimpleNamespace(pk=2, name="b"), 8)],
        referrals_total=20,
    )
    return {key: value for key, _label, value in analysis.export_rows(result, exact=exact)}


def test_a_hidden_cell_cannot_be_worked_out_from_its_total():
    rows = _export(exact=False)

    # needs correction 3 is small; verified 7 goes with it, else 40 - 30 - 7 = 3.
    assert (rows["verification_needs_correction"], rows["verification_verified"]) == ("<5", "<5")
    assert rows["verification_unverified"] == 30
    # District B's 2 households: district A's 38 goes too, else 40 - 38 = 2.
    assert (rows["district_total:4602"], rows["district_total:4601"]) == ("<5", "<5")
    # Referred 3 of 20 referrals: declined 7 (the smallest other) goes with it.
    assert (rows["referrals_referred"], rows["referrals_declined"], rows["referrals_accepted"]) == ("<5", "<5", 10)
    assert rows["referrals_in_progress"] == 0 and rows["referrals_total"] == 20
    # Agencies have no small cell; households by dimension do not add up, so only the small one hides.
    assert (rows["agency:1"], rows["agency:2"]) == (12, 8)
    assert (rows["need_services"], rows["need_education"], rows["need_health"]) == ("<5", 6, 9)


def test_the_area_coordinators_export_hides_nothing():
    rows = _export(exact=True)
    assert (rows["verification_needs_correction"], rows["district_total:4602"], rows["referrals_referred"]) == (3, 2, 3)


def test_secondary_suppression_repeats_until_nothing_changes():
    # b is small, so a hides with it (else t - a gives b); a is also a member
    # of s's group, where it is now the only hidden cell, so d (smaller than e) hides too. A hidden
    # total (a, for x and y) leaves its group alone.
    counts = {"t": 9, "a": 7, "b": 2, "s": 60, "d": 20, "e": 33, "x": 3, "y": 4}
    groups = [("t", ["a", "b"]), ("s", ["a", "d", "e"]), ("a", ["x", "y"])]
    assert analysis.cells_to_hide(counts, groups) == {"a", "b", "d", "x", "y"}


def test_a_district_verified_count_hides_with_another_district_when_the_total_verified_shows():
    result = analysis.Analysis(
        households=40,
        verification={"unverified": 20, "verified": 15, "needs_correction": 5},
        by_district=[analysis.Coverage("A", 30, 12, "4601"), analysis.Coverage("B", 10, 3, "4602")],
    )
    rows = {key: value for key, _label, value in analysis.export_rows(result, exact=False)}

    assert rows["verification_verified"] == 15 and (rows["district_total:4601"], rows["district_total:4602"]) == (
        30,
        10,
    )
    # 15 - 12 would give district B's 3 away.
    assert (rows["district_verified:4602"], rows["district_verified:4601"]) == ("<5", "<5")
