"""Downloads from the impact dashboard: contents, formula neutralising and the audit trail."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from income.impact import exports
from marketplace.models import AuditEvent
from tests.income.test_impact import build_programme

pytestmark = pytest.mark.django_db

PERIOD = "date_from=2026-01-01&date_to=2026-10-31"


@pytest.fixture
def programme():
    return build_programme()


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_figures_csv_holds_every_figure_and_the_filters(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:export_figures", args=["csv"]) + "?" + PERIOD)

    assert response["Content-Disposition"].startswith("attachment;")
    values = {row[0]: row[2] for row in _csv(response)[1:]}
    assert values["households_enrolled"] == "5"
    assert values["households_earning"] == "4"
    assert values["total_paid_thb"] == "82000.00"
    assert values["median_uplift_thb"] == "14000.00"
    assert values["households_crossed"] == "1"
    assert values["paid_2026-05"] == "-2000.00"  # a number, not neutralised as a formula
    assert values["filter_from"] == "2026-01-01"
    event = AuditEvent.objects.get(action="impact.exported")
    assert event.details["what"] == "figures"
    assert event.details["format"] == "csv"


def test_the_figures_xlsx_keeps_numbers_as_numbers(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:export_figures", args=["xlsx"]) + "?" + PERIOD)

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["households_enrolled"] == 5
    assert float(values["total_paid_thb"]) == 82000.0


def test_the_households_csv_masks_names_without_consent_and_is_audited(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:export_households", args=["earning", "csv"]) + "?" + PERIOD)

    rows = _csv(response)
    assert rows[0] == exports.HOUSEHOLD_COLUMNS
    by_code = {row[0]: row for row in rows[1:]}
    assert list(by_code) == ["IMP-H1", "IMP-H2", "IMP-H3", "IMP-H5"]
    assert by_code["IMP-H1"][1] == programme.h1.head_name
    assert by_code["IMP-H5"][1] != programme.h5.head_name
    assert by_code["IMP-H1"][4:7] == ["very_poor", "150000.00", "above"]
    event = AuditEvent.objects.get(action="impact.exported")
    assert (event.details["what"], event.details["count"]) == ("households:earning", 4)


def test_the_households_xlsx_lists_the_same_rows(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:export_households", args=["crossed", "xlsx"]) + "?" + PERIOD)

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.HOUSEHOLD_COLUMNS
    assert [row[0] for row in rows[1:]] == ["IMP-H1"]


def test_a_name_that_looks_like_a_formula_is_neutralised(programme):
    from income.impact import figures as impact

    programme.h1.head_name = '=HYPERLINK("http://evil.example")'
    programme.h1.save()
    rows = impact.drilldown(programme.coordinator, impact.ImpactFilters(), "enrolled")

    text = exports.households_csv(rows)
    sheet = openpyxl.load_workbook(io.BytesIO(exports.households_xlsx(rows))).active

    assert "'=HYPERLINK" in text
    assert sheet["B2"].value.startswith("'=")


def test_the_iris_export_has_the_four_metrics(client, programme):
    client.force_login(programme.coordinator)

    response = client.get(reverse("impact:export_iris") + "?" + PERIOD + f"&group={programme.g1.pk}")

    rows = _csv(response)
    assert rows[0] == ["code", "name", "value", "unit", "period", "scope"]
    metrics = {row[0]: row for row in rows[1:]}
    assert metrics["PI7852"][2:5] == ["62000.00", "THB", "2026-01-01/2026-10-31"]
    assert metrics["PI7318"][2] == "3"  # H1, H2, H3 poor or very poor at baseline (H4 above)
    assert metrics["PI1726"][2] == "2"  # H2 poor, H3 very poor now
    assert metrics["PI4548"][2:4] == ["4.00", "persons"]
    assert "IMP-G1" in metrics["PI7852"][5]
    assert AuditEvent.objects.get(action="impact.exported").details["what"] == "iris"
