"""Dates as Thai readers expect them: Buddhist era (พ.ศ. = CE + 543) and Thai month names."""

import datetime

from django.utils import timezone

BE_OFFSET = 543

MONTHS_TH = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
MONTHS_TH_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


def be_year(value: datetime.date) -> int:
    return value.year + BE_OFFSET


def _local_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            raise ValueError("Naive datetimes are not allowed; use aware datetimes.")
        return timezone.localtime(value).date()
    return value


def format_be_date(value: datetime.date | datetime.datetime, style: str = "long") -> str:
    """long: "26 พฤศจิกายน พ.ศ. 2569"; short: "26 พ.ย. 2569"; numeric: "26/11/2569"."""
    day = _local_date(value)
    if style == "short":
        return f"{day.day} {MONTHS_TH_SHORT[day.month - 1]} {be_year(day)}"
    if style == "numeric":
        return f"{day.day:02d}/{day.month:02d}/{be_year(day)}"
    if style == "long":
        return f"{day.day} {MONTHS_TH[day.month - 1]} พ.ศ. {be_year(day)}"
    raise ValueError(f"Unknown date style {style!r}; use long, short or numeric.")


def format_month(value: datetime.date, language: str = "th") -> str:
    """A month as a label: "ก.ย. 2569" for Thai readers, "Sep 2026" for others."""
    if language == "th":
        return f"{MONTHS_TH_SHORT[value.month - 1]} {be_year(value)}"
    return value.strftime("%b %Y")


def format_be_datetime(value: datetime.datetime, style: str = "short") -> str:
    if timezone.is_naive(value):
        raise ValueError("Naive datetimes are not allowed; use aware datetimes.")
    local = timezone.localtime(value)
    return f"{format_be_date(local, style)} {local:%H:%M} น."
