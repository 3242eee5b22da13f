"""The impact dashboard's legibility (#17): months in the Buddhist era for Thai readers, long group
names cut to the chart's label column with the whole name as the tooltip."""

import datetime
from decimal import Decimal

from income.impact import charts
from marketplace.thaidate import format_month


def test_months_are_labelled_in_the_buddhist_era_for_thai_readers():
    assert format_month(datetime.date(2026, 9, 1)) == "ก.ย. 2569"
    assert format_month(datetime.date(2026, 9, 1), "en") == "Sep 2026"


def test_a_long_group_name_is_cut_with_the_whole_name_as_its_tooltip():
    name = "กลุ่มวิสาหกิจชุมชนทอผ้าไหมแพรวาบ้านโพนและบ้านนาคู"
    svg = str(charts.bar_chart([(name, Decimal("1200.00")), ("กลุ่มข้าว", Decimal("10.00"))], title="t"))
    assert f"<title>{name}</title>" in svg  # the whole name, for a pointer or a screen reader
    assert f"{name[: charts.LABEL_CHARACTERS - 1]}…" in svg
    assert ">กลุ่มข้าว</text>" in svg  # short names stay whole
