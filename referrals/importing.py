"""The needs assessment's columns in the household import (producers.importing.extensions): one
column per TPMAP dimension, holding how urgent the need is and, after a colon, what is needed
("เร่งด่วน: ต้องการรถเข็น", "2", "urgent"); the assessment's date and a note. A row with any of
them gets a needs assessment dated as the file says (today when it says nothing)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from producers.importing.extensions import ImportExtension
from producers.importing.parsing import CellError, cell_text, compact, parse_date, single_line

from .models import Dimension, Need, NeedsAssessment, Severity

DIMENSION_COLUMNS = {
    Dimension.HEALTH: ("need_health", ("ความต้องการด้านสุขภาพ", "ด้านสุขภาพ")),
    Dimension.LIVING: ("need_living", ("ความต้องการด้านความเป็นอยู่", "ด้านความเป็นอยู่")),
    Dimension.EDUCATION: ("need_education", ("ความต้องการด้านการศึกษา", "ด้านการศึกษา")),
    Dimension.INCOME: ("need_income", ("ความต้องการด้านรายได้", "ด้านรายได้")),
    Dimension.SERVICES: ("need_services", ("ความต้องการด้านการเข้าถึงบริการรัฐ", "ด้านการเข้าถึงบริการรัฐ")),
}
COLUMNS = {
    **dict(DIMENSION_COLUMNS.values()),
    "needs_assessed_on": ("วันที่ประเมินความต้องการ",),
    "needs_note": ("บันทึกความต้องการ",),
}
SEVERITY_WORDS = {
    "1": Severity.LOW,
    "2": Severity.MEDIUM,
    "3": Severity.HIGH,
    "yes": Severity.MEDIUM,
    "ใช่": Severity.MEDIUM,
    "มี": Severity.MEDIUM,
    "high": Severity.HIGH,
    "มาก": Severity.HIGH,
}


@dataclass(frozen=True)
class ParsedNeeds:
    assessed_on: datetime.date
    note: str
    needs: tuple[tuple[str, int, str], ...]


def _severity_words() -> dict[str, int]:
    words = dict(SEVERITY_WORDS)
    for language in ("en", "th"):
        with translation.override(language):
            for value, label in Severity.choices:
                words.setdefault(compact(str(label)), value)
    return words


def parse_need(value) -> tuple[int, str]:
    text = cell_text(value)
    head, _colon, description = text.partition(":")
    severity = _severity_words().get(compact(head))
    if severity is None:
        raise CellError(
            _(
                "“%(value)s” is not how urgent a need is: write low, medium or urgent "
                "(น้อย, ปานกลาง, เร่งด่วน; 1–3), then a colon and what is needed."
            )
            % {"value": head.strip()}
        )
    return int(severity), " ".join(description.split())


def check(get, fail, today: datetime.date) -> ParsedNeeds | None:
    needs = []
    for dimension, (column, _aliases) in DIMENSION_COLUMNS.items():
        raw = get(column)
        if cell_text(raw) == "":
            continue
        try:
            severity, description = parse_need(raw)
        except CellError as error:
            fail(column, error.message)
            continue
        needs.append((str(dimension), severity, description))
    date_raw = get("needs_assessed_on")
    note = single_line(get("needs_note"))
    assessed_on = today
    if cell_text(date_raw):
        try:
            assessed_on = parse_date(date_raw)
        except CellError as error:
            fail("needs_assessed_on", error.message)
            return None
        if assessed_on > today:
            fail("needs_assessed_on", _("The assessment date cannot be in the future."))
            return None
    elif not needs and not note:
        return None
    return ParsedNeeds(assessed_on=assessed_on, note=note, needs=tuple(needs))


def write(rows, actor) -> int:
    """One assessment per row, with its needs; one audit event for the lot (the import's)."""
    assessments = NeedsAssessment.objects.bulk_create(
        [
            NeedsAssessment(household=household, assessed_on=parsed.assessed_on, assessed_by=actor, note=parsed.note)
            for household, parsed in rows
        ]
    )
    Need.objects.bulk_create(
        [
            Need(assessment=assessment, dimension=dimension, severity=severity, description=description)
            for assessment, (_household, parsed) in zip(assessments, rows, strict=True)
            for dimension, severity, description in parsed.needs
        ]
    )
    return len(assessments)


EXTENSION = ImportExtension(name="needs", columns=COLUMNS, check=check, write=write)
