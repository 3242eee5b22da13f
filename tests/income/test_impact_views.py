"""The impact dashboard pages: who reaches them, what they show, and the audit of drill-downs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import AuditEvent
from producers import services
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import HouseholdFactory, assign
from tests.helpers import give_totp
from tests.income.test_impact import build_programme

pytestmark = pytest.mark.django_db

PERIOD = "date_from=2026-01-01&date_to=2026-10-31"


@pytest.fixture
def programme():
    return build_programme()


def test_the_coordinator_sees_the_figures_and_svg_charts(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:dashboard") + "?" + PERIOD)

    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.households.enrolled, summary.households.earning) == (5, 4)
    html = response.content.decode()
    assert html.count("<svg") >= 3
    assert "<script" not in html.split('id="impact-dashboard"')[1]
    assert "IMP-H1" not in html  # the dashboard itself shows no household


def test_the_filter_form_offers_only_the_coordinators_area(client, programme):
    client.force_login(programme.coordinator)

    form = client.get(reverse("impact:dashboard")).context["form"]

    assert {code for code, _name in form.fields["province"].choices if code} == {"46"}
    districts = {code for code, _name in form.fields["district"].choices if code}
    assert {"4601", "4602"} <= districts and all(code.startswith("46") for code in districts)
    assert set(form.fields["group"].queryset) == {programme.g1, programme.g2}


def test_a_district_filter_narrows_the_figures(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:dashboard") + "?" + PERIOD + "&district=4602")

    assert response.context["summary"].households.enrolled == 1


def test_a_group_of_another_province_is_refused_by_the_form(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:dashboard") + f"?group={programme.roiet.pk}")

    assert response.status_code == 200
    assert response.context["summary"] is None
    assert response.context["form"].errors["group"]


def test_group_managers_superusers_and_buyers_get_no_dashboard(client, programme, superuser):
    manager = UserFactory()
    services.membership_grant(user=manager, group=programme.g1, role=GroupMembership.Role.MANAGER)
    give_totp(manager)
    give_totp(superuser)
    for user in (manager, superuser):
        client.force_login(user)
        for url in (
            reverse("impact:dashboard"),
            reverse("impact:drilldown", args=["enrolled"]),
            reverse("impact:export_iris"),
        ):
            response = client.get(url)
            # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
            assert response.status_code == 302, url
            assert response["Location"] == reverse("wagtailadmin_home")
    assert not AuditEvent.objects.filter(action__startswith="impact.").exists()


def test_the_drilldown_lists_households_masks_names_and_is_audited(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:drilldown", args=["earning"]) + "?" + PERIOD)

    assert response.status_code == 200
    assert [row.household.code for row in response.context["rows"]] == ["IMP-H1", "IMP-H2", "IMP-H3", "IMP-H5"]
    html = response.content.decode()
    assert programme.h1.head_name in html
    assert programme.h5.head_name not in html  # no consent
    event = AuditEvent.objects.get(action="impact.drilldown")
    assert event.actor == programme.coordinator
    assert event.details["figure"] == "earning"
    assert event.details["count"] == 4
    assert event.details["filters"]["from"] == "2026-01-01"


def test_a_coordinator_of_another_area_gets_no_drilldown_of_this_group(client, programme):
    other = UserFactory()
    assign(other, province_code="45")
    give_totp(other)
    client.force_login(other)

    response = client.get(reverse("impact:drilldown", args=["enrolled"]) + f"?group={programme.g1.pk}")
    export = client.get(reverse("impact:export_households", args=["enrolled", "csv"]) + f"?group={programme.g1.pk}")
    everything = client.get(reverse("impact:drilldown", args=["enrolled"]))

    assert response.status_code == 404
    assert export.status_code == 404
    assert [row.household.code for row in everything.context["rows"]] == ["IMP-R1"]
    assert not AuditEvent.objects.filter(action="impact.exported").exists()


def test_an_unknown_figure_is_not_found(client, programme):
    client.force_login(programme.coordinator)

    assert client.get(reverse("impact:drilldown", args=["everyone"])).status_code == 404


def test_the_drilldown_pages_through_many_households(client, programme):
    for n in range(60):
        HouseholdFactory(code=f"IMP-P{n:03d}", group=programme.g1)
    client.force_login(programme.coordinator)

    first = client.get(reverse("impact:drilldown", args=["enrolled"]))
    second = client.get(reverse("impact:drilldown", args=["enrolled"]) + "?page=2")

    assert first.context["count"] == 65
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 15


def test_the_dashboard_query_count_does_not_grow_with_households(client, programme, django_assert_max_num_queries):
    client.force_login(programme.coordinator)
    client.get(reverse("impact:dashboard") + "?" + PERIOD)  # warm the session and user caches
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("impact:dashboard") + "?" + PERIOD)
    for n in range(40):
        HouseholdFactory(code=f"IMP-Q{n:03d}", group=programme.g2)

    with django_assert_max_num_queries(len(small)):
        response = client.get(reverse("impact:dashboard") + "?" + PERIOD)

    assert response.context["summary"].households.enrolled == 45
    # The admin page itself (menu, session, user) takes about 25; the verification figures 3.
    assert len(small) <= 48


def test_the_period_inputs_keep_an_iso_date_whatever_the_language(client, programme):
    # A browser's <input type=date> drops any value that is not YYYY-MM-DD: the Thai d/m/Y
    # rendering emptied the period after every submit.
    client.force_login(programme.coordinator)

    for language in ("th", "en"):
        client.cookies["django_language"] = language
        html = client.get(reverse("impact:dashboard") + "?" + PERIOD).content.decode()

        assert 'value="2026-01-01"' in html
        assert 'value="2026-10-31"' in html


def test_the_filter_selects_escape_labels_and_mark_the_chosen_option(programme):
    from income.impact.views import ImpactFilterForm

    programme.g2.name_th = 'กลุ่ม <b>"ทอผ้า"</b> & ข้าว'
    programme.g2.save()
    form = ImpactFilterForm(data={"group": programme.g2.pk, "province": "46"}, user=programme.coordinator)
    assert form.is_valid(), form.errors

    group_select = str(form["group"])
    assert group_select.startswith('<select name="group" id="id_group">')
    assert f'<option value="{programme.g2.pk}" selected>' in group_select
    assert f'<option value="{programme.g1.pk}">' in group_select
    assert "กลุ่ม &lt;b&gt;&quot;ทอผ้า&quot;&lt;/b&gt; &amp; ข้าว" in group_select
    assert "<b>" not in group_select
    assert '<option value="46" selected>' in str(form["province"])
    assert '<option value="" selected>' in str(form["district"])
