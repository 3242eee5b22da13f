import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from marketplace import money, thaidate


def render(template: str, **context) -> str:
    return Template("{% load thai %}" + template).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0"), "฿0.00"),
        (Decimal("1234.5"), "฿1,234.50"),
        (Decimal("0.01"), "฿0.01"),
        (Decimal("999999999999.99"), "฿999,999,999,999.99"),
        (Decimal("-1500"), "-฿1,500.00"),
        (7, "฿7.00"),
    ],
)
def test_baht_filter(amount, expected):
    assert render("{{ amount|baht }}", amount=amount) == expected


def test_baht_refuses_floats():
    with pytest.raises(TypeError):
        money.format_baht(1.1)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("0"), "ศูนย์บาทถ้วน"),
        (Decimal("0.50"), "ห้าสิบสตางค์"),
        (Decimal("1.01"), "หนึ่งบาทหนึ่งสตางค์"),
        (Decimal("21"), "ยี่สิบเอ็ดบาทถ้วน"),
        (Decimal("1234.50"), "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์"),
        (Decimal("1000000"), "หนึ่งล้านบาทถ้วน"),
        (
            Decimal("999999999999.99"),
            "เก้าแสนเก้าหมื่นเก้าพันเก้าร้อยเก้าสิบเก้าล้านเก้าแสนเก้าหมื่นเก้าพันเก้าร้อยเก้าสิบเก้าบาทเก้าสิบเก้าสตางค์",
        ),
    ],
)
def test_baht_in_words(amount, expected):
    assert render("{{ amount|baht_words }}", amount=amount) == expected


def test_baht_in_words_refuses_negative_amounts():
    with pytest.raises(ValueError, match="negative"):
        money.baht_in_words(Decimal("-1"))


def test_satang_conversion_is_exact():
    assert money.to_satang(Decimal("1500.00")) == 150000
    assert money.to_satang(Decimal("0.07")) == 7
    assert money.from_satang(150001) == Decimal("1500.01")
    with pytest.raises(ValueError):
        money.to_satang(Decimal("1.005"))


def test_be_dates():
    day = datetime.date(2026, 11, 26)
    assert render("{{ d|be_date }}", d=day) == "26 พฤศจิกายน พ.ศ. 2569"
    assert render('{{ d|be_date:"short" }}', d=day) == "26 พ.ย. 2569"
    assert render('{{ d|be_date:"numeric" }}', d=day) == "26/11/2569"
    assert render("{{ d|be_date }}", d=None) == ""


def test_be_date_of_a_datetime_is_the_bangkok_day():
    late_utc = datetime.datetime(2026, 12, 31, 18, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on 1 Jan in Bangkok
    assert thaidate.format_be_date(late_utc) == "1 มกราคม พ.ศ. 2570"
    assert thaidate.format_be_datetime(late_utc) == "1 ม.ค. 2570 01:30 น."
    with pytest.raises(ValueError, match="Naive"):
        thaidate.format_be_date(datetime.datetime(2026, 1, 1, 12, 0))


def test_local_date_follows_the_language():
    day = datetime.date(2026, 11, 26)
    with translation.override("th"):
        assert render("{{ d|local_date }}", d=day) == "26 พฤศจิกายน พ.ศ. 2569"
    with translation.override("en"):
        assert render("{{ d|local_date }}", d=day) == "26 November 2026"
