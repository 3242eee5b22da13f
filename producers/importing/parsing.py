"""The household import, step 1: read the file and the values in it, as Thai users type them.

A file is a CSV (UTF-8 with or without BOM, or Thai Windows TIS-620 / cp874) or the first sheet of
an .xlsx workbook; its first row names the columns, in English or in Thai (COLUMNS). This module
decodes it, maps the header to our columns and parses single cells; it also holds the report an
import run produces (ImportReport, RowError). The package's steps: parsing (read), validation
(check each row), applying (check against the file and the database, then write), running and
uploads (the admin's flow around a stored upload).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

import openpyxl
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.exceptions import InvalidFileException

from marketplace.numbers import normalize_digits, parse_decimal, parse_int

from ..models import Consent, PovertySource, VerificationMethod, VerificationStatus
from . import extensions

# --- Columns --------------------------------------------------------------------------------

# Our column name -> the other headers accepted for it. Headers are compared after removing
# whitespace at the ends and any BOM, folding case, and treating "_", "-" and runs of spaces alike.
COLUMNS: dict[str, tuple[str, ...]] = {
    "household_code": ("รหัสครัวเรือน",),
    "citizen_id": ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "เลขบัตรประจำตัวประชาชน"),
    "head_name": ("ชื่อหัวหน้าครัวเรือน", "หัวหน้าครัวเรือน"),
    "phone": ("โทรศัพท์", "เบอร์โทรศัพท์", "เบอร์โทร"),
    "members": ("จำนวนสมาชิก", "จำนวนสมาชิกในครัวเรือน"),
    "province_code": ("รหัสจังหวัด",),
    "district_code": ("รหัสอำเภอ",),
    "subdistrict_code": ("รหัสตำบล",),
    "village": ("หมู่บ้าน",),
    "baseline_annual_income": ("รายได้ต่อปี", "รายได้ครัวเรือนต่อปี"),
    "baseline_year": ("ปีฐาน",),
    "poverty_source": ("แหล่งข้อมูลความยากจน",),
    "poverty_year": ("ปีข้อมูลความยากจน",),
    "group_code": ("รหัสกลุ่ม",),
    "consent": ("ความยินยอม",),
    "consent_date": ("วันที่ยินยอม",),
    # Field verification (optional): the result, how, a note, the date.
    "verification": ("การตรวจสอบข้อมูล", "ผลการตรวจสอบ"),
    "verification_method": ("วิธีตรวจสอบ",),
    "verification_note": ("บันทึกการตรวจสอบ",),
    "verified_on": ("วันที่ตรวจสอบ",),
}
REQUIRED_COLUMNS = (
    "household_code",
    "head_name",
    "members",
    "province_code",
    "district_code",
    "baseline_annual_income",
    "baseline_year",
    "poverty_source",
)
# Household fields whose column has a different name.
FIELD_COLUMNS = {
    "code": "household_code",
    "citizen_id_hash": "citizen_id",
    "citizen_id_last4": "citizen_id",
    "verification_status": "verification",
    "verified_by": "verification",
    "verified_at": "verified_on",
}
# Household fields the import sets, in the order their differences are listed.
IMPORTED_FIELDS = (
    "head_name",
    "citizen_id_hash",
    "citizen_id_last4",
    "phone",
    "members",
    "province_code",
    "district_code",
    "subdistrict_code",
    "village",
    "baseline_annual_income",
    "baseline_year",
    "poverty_source",
    "poverty_year",
)
# A column the file has sets its field, a blank cell included (a blank phone clears the phone);
# a column it lacks leaves the stored value alone. Two exceptions: a blank citizen_id keeps the
# ID on record (we never hold the digits to write back, and losing a verified identity to an
# incomplete spreadsheet would be worse), and a blank poverty_year means the baseline year.

CONSENT_VALUES = {
    "yes": Consent.Status.GIVEN,
    "y": Consent.Status.GIVEN,
    "1": Consent.Status.GIVEN,
    "true": Consent.Status.GIVEN,
    "given": Consent.Status.GIVEN,
    "ใช่": Consent.Status.GIVEN,
    "ยินยอม": Consent.Status.GIVEN,
    "ให้ความยินยอม": Consent.Status.GIVEN,
    "no": Consent.Status.WITHDRAWN,
    "n": Consent.Status.WITHDRAWN,
    "0": Consent.Status.WITHDRAWN,
    "false": Consent.Status.WITHDRAWN,
    "withdrawn": Consent.Status.WITHDRAWN,
    "ไม่": Consent.Status.WITHDRAWN,
    "ไม่ใช่": Consent.Status.WITHDRAWN,
    "ไม่ยินยอม": Consent.Status.WITHDRAWN,
    "ถอนความยินยอม": Consent.Status.WITHDRAWN,
}
# Besides these, the PovertySource labels in English and Thai are accepted.
POVERTY_SOURCE_VALUES = {
    "tpmap": PovertySource.TPMAP,
    "จปฐ": PovertySource.BMN,
    "bmn": PovertySource.BMN,
    "basicminimumneeds": PovertySource.BMN,
    "บัตรสวัสดิการ": PovertySource.WELFARE,
    "บัตรสวัสดิการแห่งรัฐ": PovertySource.WELFARE,
    "welfare": PovertySource.WELFARE,
    "welfarecard": PovertySource.WELFARE,
    "programme": PovertySource.PROGRAMME,
    "program": PovertySource.PROGRAMME,
    "สำรวจโดยโครงการ": PovertySource.PROGRAMME,
    "โครงการ": PovertySource.PROGRAMME,
    "other": PovertySource.OTHER,
    "อื่นๆ": PovertySource.OTHER,
    "อื่น": PovertySource.OTHER,
}

BUDDHIST_ERA_OFFSET = 543
BUDDHIST_ERA_FROM = 2400  # a year above this is a Buddhist-era year (พ.ศ.)

ProgressCallback = Callable[[int, int], None]


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem the user fixes in their spreadsheet. `row` is the row number the spreadsheet
    shows (the header is row 1); 0 means the file as a whole. `column` is the header as written
    in the file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return _("file: %(message)s") % {"message": self.message}
        if not self.column:
            return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("row %(row)d, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class Action:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    labels = {CREATED: gettext_lazy("created"), UPDATED: gettext_lazy("updated"), UNCHANGED: gettext_lazy("unchanged")}


@dataclass(frozen=True)
class RowOutcome:
    row: int
    code: str
    action: str
    changes: tuple[str, ...] = ()  # the columns whose values differ from what is stored

    def as_dict(self) -> dict:
        return {"row": self.row, "code": self.code, "action": self.action, "changes": list(self.changes)}


@dataclass
class ImportReport:
    dry_run: bool
    total_rows: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    enrolments_created: int = 0
    consents_given: int = 0
    consents_withdrawn: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def _count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def created(self) -> int:
        return self._count(Action.CREATED)

    @property
    def updated(self) -> int:
        return self._count(Action.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(Action.UNCHANGED)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "enrolments_created": self.enrolments_created,
            "consents_given": self.consents_given,
            "consents_withdrawn": self.consents_withdrawn,
            "errors": len(self.errors),
        }


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, encoding, no header)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Reading the file -----------------------------------------------------------------------


@dataclass
class Table:
    header: list
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells); blank rows left out


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Thai Windows."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp874")  # TIS-620 plus the Windows additions
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is neither UTF-8 nor Thai Windows (TIS-620) text. Save it again as “CSV UTF-8”.")
        ) from None


def _delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _is_blank(cells: Iterable) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _read_csv(data: bytes, *, header_only: bool) -> Table:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is an Excel workbook, not a CSV file: name it .xlsx, or save it as CSV."))
    text = decode_text(data)
    if "\x00" in text:
        raise ImportFileError(_("This does not look like a CSV text file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(reader, [])
        rows = []
        if not header_only:
            for number, cells in enumerate(reader, start=2):
                if not _is_blank(cells):
                    rows.append((number, cells))
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": error}) from None
    return Table(header=header, rows=rows)


def _read_xlsx(data: bytes, *, header_only: bool) -> Table:
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is not an Excel .xlsx workbook."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise ImportFileError(_("This Excel workbook cannot be read; save it again as .xlsx.")) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
        rows_iter = workbook.worksheets[0].iter_rows(values_only=True)
        header = list(next(rows_iter, ()) or ())
        rows = []
        if not header_only:
            for number, cells in enumerate(rows_iter, start=2):
                if not _is_blank(cells):
                    rows.append((number, list(cells)))
    finally:
        workbook.close()
    return Table(header=header, rows=rows)


def read_table(data: bytes, filename: str, *, header_only: bool = False) -> Table:
    """The header and the non-blank rows of the file, by its extension (.csv or .xlsx)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(data, header_only=header_only)
    if suffix in (".csv", ".txt"):
        return _read_csv(data, header_only=header_only)
    raise ImportFileError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))


def _normalize_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\ufeff", "")
    text = text.replace("_", " ").replace("-", " ")
    return " ".join(text.split()).casefold()


def all_columns() -> dict[str, tuple[str, ...]]:
    """Ours and those other apps add (producers.importing.extensions)."""
    columns = dict(COLUMNS)
    for extension in extensions.extensions():
        columns.update(extension.columns)
    return columns


def _header_lookup() -> dict[str, str]:
    return {
        _normalize_header(alias): column for column, aliases in all_columns().items() for alias in (column, *aliases)
    }


@dataclass(frozen=True)
class ColumnMap:
    index: dict[str, int]  # our column name -> position in the row
    labels: dict[str, str]  # our column name -> the header as the file writes it
    ignored: list[str]

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def __contains__(self, column: str) -> bool:
        return column in self.index


def map_header(header: list) -> tuple[ColumnMap, list[RowError]]:
    """Which cell holds which column; errors for required columns missing or columns given twice."""
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    lookup = _header_lookup()
    for position, cell in enumerate(header):
        normalized = _normalize_header(cell)
        if not normalized:
            continue
        label = str(cell).replace("\ufeff", "").strip()
        column = lookup.get(normalized)
        if column is None:
            ignored.append(label)
        elif column in index:
            errors.append(
                RowError(1, label, _("This column repeats “%(other)s”; keep only one.") % {"other": labels[column]})
            )
        else:
            index[column] = position
            labels[column] = label
    if not index:
        errors.append(
            RowError(1, "", _("The first row must name the columns (household_code, head_name, …); it names none."))
        )
        return ColumnMap(index, labels, ignored), errors
    for column in REQUIRED_COLUMNS:
        if column not in index:
            errors.append(RowError(1, column, _("This column is required and the file does not have it.")))
    return ColumnMap(index, labels, ignored), errors


def check_header(data: bytes, filename: str) -> list[RowError]:
    """Read only the header (for the upload form): errors that make the whole file unusable."""
    try:
        table = read_table(data, filename, header_only=True)
    except ImportFileError as error:
        return [RowError(0, "", error.message)]
    return map_header(table.header)[1]


# --- Values as people type them -------------------------------------------------------------


class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def cell_text(value) -> str:
    """A cell as text: spreadsheet numbers without their ".0", surrounding whitespace removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def single_line(value) -> str:
    return " ".join(cell_text(value).split())


def parse_code(value) -> str:
    return normalize_digits(cell_text(value)).replace(" ", "")


def parse_household_code(value) -> str:
    return normalize_digits(cell_text(value))


def parse_year(value) -> int:
    """A year in the common or the Buddhist era ("2567", "๒๕๖๗", 2024): the common-era year."""
    try:
        year = parse_int(value)
    except ValueError:
        raise CellError(_("“%(value)s” is not a year.") % {"value": cell_text(value)}) from None
    return year - BUDDHIST_ERA_OFFSET if year > BUDDHIST_ERA_FROM else year


def parse_money(value) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError:
        raise CellError(_("“%(value)s” is not an amount in baht.") % {"value": cell_text(value)}) from None


def parse_count(value) -> int:
    try:
        return parse_int(value)
    except ValueError:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": cell_text(value)}) from None


def parse_phone(value) -> str:
    """Digits only; "+66 81 234 5678" and "081-234-5678" both become "0812345678". A number cell
    from Excel has lost its leading zero (Thai numbers all start with 0), so it gets it back."""
    text = normalize_digits(cell_text(value))
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    if isinstance(value, int | float) and not isinstance(value, bool) and digits and not digits.startswith("0"):
        digits = "0" + digits
    return digits


def compact(value) -> str:
    text = unicodedata.normalize("NFKC", cell_text(value)).casefold()
    return re.sub(r"[\s.]", "", text)


def parse_consent(value) -> str | None:
    """A Consent.Status, or None for a blank cell (no decision to record)."""
    text = compact(value)
    if not text:
        return None
    status = CONSENT_VALUES.get(text)
    if status is None:
        raise CellError(
            _("“%(value)s” is not a consent answer: write yes or no (ใช่ / ไม่, ยินยอม / ไม่ยินยอม, 1 / 0).")
            % {"value": cell_text(value)}
        )
    return status


def parse_date(value) -> datetime.date:
    """A date cell, an ISO date (2024-01-31) or day/month/year (31/1/2567); Buddhist-era years
    are converted."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        year, month, day = value.year, value.month, value.day
    else:
        text = normalize_digits(cell_text(value))
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
        dmy = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if iso:
            year, month, day = (int(part) for part in iso.groups())
        elif dmy:
            day, month, year = (int(part) for part in dmy.groups())
        else:
            raise CellError(
                _("“%(value)s” is not a date: write it as 2024-01-31 or 31/1/2567.") % {"value": cell_text(value)}
            )
    if year > BUDDHIST_ERA_FROM:
        year -= BUDDHIST_ERA_OFFSET
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(_("“%(value)s” is not a date that exists.") % {"value": cell_text(value)}) from None


VERIFICATION_VALUES = {
    "verified": VerificationStatus.VERIFIED,
    "yes": VerificationStatus.VERIFIED,
    "ตรวจสอบแล้ว": VerificationStatus.VERIFIED,
    "ถูกต้อง": VerificationStatus.VERIFIED,
    "needscorrection": VerificationStatus.NEEDS_CORRECTION,
    "needs_correction": VerificationStatus.NEEDS_CORRECTION,
    "ต้องแก้ไข": VerificationStatus.NEEDS_CORRECTION,
    "ไม่ถูกต้อง": VerificationStatus.NEEDS_CORRECTION,
    "unverified": VerificationStatus.UNVERIFIED,
    "ยังไม่ตรวจสอบ": VerificationStatus.UNVERIFIED,
}


def _choice_words(choices, extra: dict) -> dict[str, str]:
    values = dict(extra)
    for language in ("en", "th"):
        with translation.override(language):
            for value, label in choices:
                values.setdefault(compact(str(label)), value)
                values.setdefault(compact(value), value)
    return values


def parse_verification(value) -> str:
    status = _choice_words(VerificationStatus.choices, VERIFICATION_VALUES).get(compact(value))
    if status is None:
        raise CellError(
            _("“%(value)s” is not a verification result: write verified, needs correction or unverified.")
            % {"value": cell_text(value)}
        )
    return status


def parse_verification_method(value) -> str:
    method = _choice_words(VerificationMethod.choices, {}).get(compact(value))
    if method is None:
        raise CellError(
            _("“%(value)s” is not a way of verifying: write home visit, village meeting, document or registry match.")
            % {"value": cell_text(value)}
        )
    return method


def poverty_source_values() -> dict[str, str]:
    """Accepted poverty-source words -> PovertySource value: our own list plus the choice labels
    in every language the site speaks."""
    values = dict(POVERTY_SOURCE_VALUES)
    for language in ("en", "th"):
        with translation.override(language):
            for value, label in PovertySource.choices:
                values.setdefault(compact(str(label)), value)
                values.setdefault(compact(value), value)
    return values
