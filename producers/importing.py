"""The household import: how a coordinator brings target households (from TPMAP, the Basic Minimum
Needs survey, the welfare-card register or their own survey) into the programme.

A file is a CSV (UTF-8 with or without BOM, or Thai Windows TIS-620 / cp874) or the first sheet of
an .xlsx workbook; its first row names the columns, in English or in Thai (COLUMNS). It goes
through three steps, and nothing is written unless every row passes:

1. read: decode the file, map the header to our columns;
2. check: each row on its own (values as Thai users type them, the model's field validators and
   area nesting), then against the rest of the file and the database (household codes and citizen
   IDs used twice, citizen IDs of other households, erased households, the coordinator's area);
3. write, in one transaction: households created or updated in bulk (upsert by household code),
   enrolments created where missing, consent decisions appended where they differ from the one in
   force, and one audit event for the run.

Re-importing a file changes nothing. `import_households()` is the entry point for the management
command and the background task; `start_import()` / `confirm_preview()` / `run_import()` are the
admin's flow around a stored upload (HouseholdImport).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import PurePath

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.utils.exceptions import InvalidFileException

from marketplace import access, areas, audit
from marketplace.numbers import normalize_digits, parse_decimal, parse_int

from . import citizen_id, selectors
from .import_models import MAX_STORED_ERRORS, MAX_STORED_OUTCOMES, HouseholdImport
from .models import Consent, CoordinatorAssignment, Enrolment, Household, Institution, PovertySource, ProducerGroup

logger = logging.getLogger(__name__)

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
FIELD_COLUMNS = {"code": "household_code", "citizen_id_hash": "citizen_id", "citizen_id_last4": "citizen_id"}
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
BATCH_SIZE = 1000
PROGRESS_EVERY = 500
UPLOAD_RETENTION = timedelta(days=1)

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


# --- Who may import what --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportScope:
    """Which rows an import may touch. The management command runs as the system operator
    (`ImportScope.system()`): no restriction. A coordinator imports into one institution, and
    only rows in the provinces or groups assigned to them *for that institution*; households
    already registered must also be visible to them (producers.selectors)."""

    restricted: bool
    user: object = None
    provinces: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()

    @classmethod
    def system(cls) -> ImportScope:
        return cls(restricted=False)

    @classmethod
    def coordinator(cls, user, institution: Institution) -> ImportScope:
        if user is None or not access.is_coordinator(user):
            return cls(restricted=True, user=user)
        rows = CoordinatorAssignment.objects.filter(user=user, institution=institution).values_list(
            "province_code", "group_id"
        )
        return cls(
            restricted=True,
            user=user,
            provinces=frozenset(province for province, _group in rows if province),
            group_ids=frozenset(group for _province, group in rows if group),
        )

    @property
    def covers_anything(self) -> bool:
        return not self.restricted or bool(self.provinces or self.group_ids)

    def covers(self, province_code: str, group_id: int | None) -> bool:
        return not self.restricted or province_code in self.provinces or group_id in self.group_ids


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


_HEADER_LOOKUP = {
    _normalize_header(alias): column for column, aliases in COLUMNS.items() for alias in (column, *aliases)
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
    for position, cell in enumerate(header):
        normalized = _normalize_header(cell)
        if not normalized:
            continue
        label = str(cell).replace("\ufeff", "").strip()
        column = _HEADER_LOOKUP.get(normalized)
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


def _single_line(value) -> str:
    return " ".join(cell_text(value).split())


def _code(value) -> str:
    return normalize_digits(cell_text(value)).replace(" ", "")


def _household_code(value) -> str:
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


def _compact(value) -> str:
    text = unicodedata.normalize("NFKC", cell_text(value)).casefold()
    return re.sub(r"[\s.]", "", text)


def parse_consent(value) -> str | None:
    """A Consent.Status, or None for a blank cell (no decision to record)."""
    text = _compact(value)
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


def poverty_source_values() -> dict[str, str]:
    """Accepted poverty-source words -> PovertySource value: our own list plus the choice labels
    in every language the site speaks."""
    values = dict(POVERTY_SOURCE_VALUES)
    for language in ("en", "th"):
        with translation.override(language):
            for value, label in PovertySource.choices:
                values.setdefault(_compact(str(label)), value)
                values.setdefault(_compact(value), value)
    return values


# --- Checking rows --------------------------------------------------------------------------


@dataclass
class CheckedRow:
    """One row after the checks that need only the row itself. `household` is an unsaved
    Household carrying the file's values; `fields` are those the file sets."""

    row: int
    code: str
    household: Household
    fields: tuple[str, ...]
    citizen_hash: str | None = None
    group: ProducerGroup | None = None
    consent_status: str | None = None
    consent_at: datetime.datetime | None = None
    valid: bool = True


class RowChecker:
    """Checks rows one at a time. Holds what every row needs (the columns, the groups, the
    accepted words) so checking 50,000 rows costs no query per row."""

    def __init__(self, *, columns: ColumnMap, institution: Institution, default_group: ProducerGroup | None, now):
        self.columns = columns
        self.institution = institution
        self.default_group = default_group
        self.now = now
        self.today = timezone.localdate(now)
        self.poverty_sources = poverty_source_values()
        groups = list(ProducerGroup.objects.select_related("institution").only("pk", "code", "institution"))
        self.groups = {group.code: group for group in groups}
        self.groups_folded = {group.code.casefold(): group for group in groups}
        self.fields = tuple(
            name
            for name in IMPORTED_FIELDS
            if name not in ("citizen_id_hash", "citizen_id_last4") and FIELD_COLUMNS.get(name, name) in columns
        )

    def _cell(self, cells: list, column: str):
        position = self.columns.index.get(column)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def check(self, row_number: int, cells: list) -> tuple[CheckedRow, list[RowError]]:
        errors: dict[str, list[str]] = {}

        def fail(column: str, message: str) -> None:
            errors.setdefault(column, []).append(message)

        def value(column: str, parse, *, required: bool = False):
            raw = self._cell(cells, column)
            if cell_text(raw) == "":
                if required:
                    fail(column, _("This value is required."))
                return None
            try:
                return parse(raw)
            except CellError as error:
                fail(column, error.message)
                return None

        code = value("household_code", _household_code, required=True) or ""
        household = Household(
            institution=self.institution,
            code=code,
            head_name=value("head_name", _single_line, required=True) or "",
            phone=value("phone", parse_phone) or "",
            members=value("members", parse_count, required=True),
            province_code=value("province_code", _code, required=True) or "",
            district_code=value("district_code", _code, required=True) or "",
            subdistrict_code=value("subdistrict_code", _code) or "",
            village=value("village", _single_line) or "",
            baseline_annual_income=value("baseline_annual_income", parse_money, required=True),
            baseline_year=value("baseline_year", parse_year, required=True),
        )
        source = value("poverty_source", _compact, required=True)
        if source:
            household.poverty_source = self.poverty_sources.get(source, "")
            if not household.poverty_source:
                fail(
                    "poverty_source",
                    _("“%(value)s” is not a poverty data source: write TPMAP, จปฐ., บัตรสวัสดิการ, programme or other.")
                    % {"value": cell_text(self._cell(cells, "poverty_source"))},
                )
        poverty_year = value("poverty_year", parse_year)
        household.poverty_year = household.baseline_year if poverty_year is None else poverty_year

        checked = CheckedRow(row=row_number, code=code, household=household, fields=self.fields)
        self._check_citizen_id(checked, cells, fail)
        self._check_group(checked, cells, fail)
        self._check_consent(checked, cells, value, fail)
        # A poverty year copied from the baseline year is checked as the baseline year.
        self._full_clean(household, errors, fail, skip=("poverty_year",) if poverty_year is None else ())

        row_errors = [
            RowError(row_number, self.columns.label(column), message)
            for column, messages in errors.items()
            for message in dict.fromkeys(messages)
        ]
        checked.valid = not row_errors
        return checked, row_errors

    def _check_citizen_id(self, checked: CheckedRow, cells: list, fail) -> None:
        raw = cell_text(self._cell(cells, "citizen_id"))
        if not raw:
            return
        try:
            digits = citizen_id.validate(raw)
        except ValidationError as error:
            for message in error.messages:
                fail("citizen_id", message)
            return
        checked.citizen_hash = citizen_id.hash_id(digits)
        checked.household.citizen_id_hash = checked.citizen_hash
        checked.household.citizen_id_last4 = digits[-4:]
        checked.fields = (*checked.fields, "citizen_id_hash", "citizen_id_last4")

    def _check_group(self, checked: CheckedRow, cells: list, fail) -> None:
        code = cell_text(self._cell(cells, "group_code"))
        if not code:
            checked.group = self.default_group
            return
        group = self.groups.get(code) or self.groups_folded.get(code.casefold())
        if group is None:
            fail("group_code", _("No producer group has the code %(code)s.") % {"code": code})
        elif group.institution_id != self.institution.pk:
            fail(
                "group_code",
                _("Group %(code)s belongs to another institution (%(institution)s).")
                % {"code": group.code, "institution": group.institution},
            )
        else:
            checked.group = group

    def _check_consent(self, checked: CheckedRow, cells: list, value, fail) -> None:
        status = value("consent", parse_consent)
        date = value("consent_date", parse_date)
        if date is not None and date > self.today:
            fail("consent_date", _("A consent date cannot be in the future."))
            date = None
        if date is not None and status is None and cell_text(self._cell(cells, "consent")) == "":
            fail("consent", _("Give the consent decision (yes or no) made on this date."))
        checked.consent_status = status
        if date is not None:
            checked.consent_at = timezone.make_aware(datetime.datetime.combine(date, datetime.time()))

    def _full_clean(self, household: Household, errors: dict[str, list[str]], fail, *, skip=()) -> None:
        """The model's own field validators and clean() (area nesting through
        areas.validate_area, so each message names its column). Fields whose column already
        failed are not checked again; the institution is not checked at all (it would cost a
        query per row, and it came from the database)."""
        already = set(errors)
        exclude = {"institution", *skip, *already}
        exclude.update(name for name, column in FIELD_COLUMNS.items() if column in already)
        try:
            household.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = "" if name == NON_FIELD_ERRORS else FIELD_COLUMNS.get(name, name)
                if column not in already:
                    for message in messages:
                        fail(column, message)


# --- Checking against the file and the database, and writing --------------------------------


@dataclass
class _Plan:
    creates: list[Household] = field(default_factory=list)
    updates: dict[tuple[str, ...], list[Household]] = field(default_factory=dict)
    enrolments: list[Enrolment] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)


def _batches(items: list, size: int = BATCH_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Planner:
    """Decides, for rows that passed their own checks, what the import would do, and finds the
    errors only the file as a whole or the database can show. Queries in batches of BATCH_SIZE."""

    def __init__(self, *, columns: ColumnMap, institution, scope: ImportScope, actor, now):
        self.columns = columns
        self.institution = institution
        self.scope = scope
        self.actor = actor
        self.now = now
        self.errors: list[RowError] = []
        self.outcomes: list[RowOutcome] = []
        self.plan = _Plan()

    def error(self, row: CheckedRow, column: str, message: str) -> None:
        self.errors.append(RowError(row.row, self.columns.label(column), message))

    def check_within_file(self, rows: list[CheckedRow]) -> None:
        first_code: dict[str, int] = {}
        first_citizen: dict[str, int] = {}
        for row in rows:
            if row.code:
                if row.code in first_code:
                    self.error(
                        row,
                        "household_code",
                        _("Household code %(code)s is also on row %(row)d.")
                        % {"code": row.code, "row": first_code[row.code]},
                    )
                    row.valid = False
                else:
                    first_code[row.code] = row.row
            if row.citizen_hash:
                if row.citizen_hash in first_citizen:
                    self.error(
                        row,
                        "citizen_id",
                        _("The same citizen ID is also on row %(row)d.") % {"row": first_citizen[row.citizen_hash]},
                    )
                    row.valid = False
                else:
                    first_citizen[row.citizen_hash] = row.row

    def check_batch(self, rows: list[CheckedRow]) -> None:
        rows = [row for row in rows if row.code]
        codes = [row.code for row in rows]
        existing = {household.code: household for household in Household.objects.filter(code__in=codes)}
        erased = set(
            Household.objects.filter(
                erased_code_hash__in=[Household.erased_code_hash_of(code) for code in codes]
            ).values_list("erased_code_hash", flat=True)
        )
        citizen_owners = dict(
            Household.objects.filter(
                citizen_id_hash__in=[row.citizen_hash for row in rows if row.citizen_hash]
            ).values_list("citizen_id_hash", "code")
        )
        visible = self._visible_codes([*existing, *citizen_owners.values()])
        ids = [household.pk for household in existing.values()]
        enrolled = set(Enrolment.objects.filter(household_id__in=ids).values_list("household_id", "group_id"))
        latest_consent: dict[int, tuple[str, datetime.datetime]] = {}
        for household_id, status, recorded_at in (
            Consent.objects.filter(household_id__in=ids, scope=Consent.Scope.PROGRAMME)
            .order_by("household_id", "-recorded_at", "-pk")
            .values_list("household_id", "status", "recorded_at")
        ):
            latest_consent.setdefault(household_id, (status, recorded_at))

        for row in rows:
            stored = existing.get(row.code)
            self._check_row(row, stored, erased, citizen_owners, visible)
            if row.valid:
                self._plan_row(row, stored, enrolled, latest_consent)

    def _visible_codes(self, codes: list[str]) -> set[str] | None:
        """Codes among these the user may see; None when the scope is unrestricted."""
        if not self.scope.restricted:
            return None
        if not codes:
            return set()
        return set(
            selectors.households_visible_to(self.scope.user).filter(code__in=codes).values_list("code", flat=True)
        )

    def _check_row(self, row: CheckedRow, stored, erased, citizen_owners, visible) -> None:
        household = row.household
        ok = row.valid
        if Household.erased_code_hash_of(row.code) in erased or (stored is not None and stored.is_erased):
            self.error(
                row,
                "household_code",
                _("This household's data was erased at its request; its code cannot be imported again."),
            )
            ok = False
        elif stored is not None and stored.institution_id != self.institution.pk:
            self.error(row, "household_code", _("This household is registered with another institution."))
            ok = False
        elif stored is not None and visible is not None and row.code not in visible:
            self.error(row, "household_code", _("This household is registered outside your area; ask its coordinator."))
            ok = False
        if row.valid and not self.scope.covers(household.province_code, row.group.pk if row.group else None):
            self.error(
                row,
                "group_code" if row.group and not self.scope.provinces else "province_code",
                _("You do not coordinate this province or group for this institution."),
            )
            ok = False
        owner = citizen_owners.get(row.citizen_hash) if row.citizen_hash else None
        if owner is not None and owner != row.code:
            if visible is None or owner in visible:
                message = _("This citizen ID is already registered to household %(code)s.") % {"code": owner}
            else:
                message = _("This citizen ID is already registered to another household.")
            self.error(row, "citizen_id", message)
            ok = False
        row.valid = ok

    def _plan_row(self, row: CheckedRow, stored: Household | None, enrolled, latest_consent) -> None:
        changes: list[str] = []
        if stored is None:
            household = row.household
            self.plan.creates.append(household)
        else:
            household = stored
            changed = [name for name in row.fields if getattr(stored, name) != getattr(row.household, name)]
            if changed:
                for name in changed:
                    setattr(household, name, getattr(row.household, name))
                if not self._area_still_nests(row, household):
                    return
                household.updated_at = self.now
                self.plan.updates.setdefault((*changed, "updated_at"), []).append(household)
                changes += list(dict.fromkeys(self.columns.label(FIELD_COLUMNS.get(name, name)) for name in changed))

        if row.group is not None and (stored is None or (stored.pk, row.group.pk) not in enrolled):
            self.plan.enrolments.append(Enrolment(household=household, group=row.group, since=timezone.localdate()))
            if stored is not None:
                changes.append(self.columns.label("group_code"))

        consent_added = row.consent_status is not None and self._plan_consent(row, household, stored, latest_consent)
        if consent_added and stored is not None:
            changes.append(self.columns.label("consent"))

        if stored is None:
            action = Action.CREATED
        elif changes:
            action = Action.UPDATED
        else:
            action = Action.UNCHANGED
        self.outcomes.append(RowOutcome(row.row, row.code, action, tuple(changes)))

    def _area_still_nests(self, row: CheckedRow, household: Household) -> bool:
        """An update may change the district while the file has no subdistrict column: the
        stored subdistrict must still lie in it."""
        if household.subdistrict_code == row.household.subdistrict_code:
            return True
        problems = areas.validate_area(household.province_code, household.district_code, household.subdistrict_code)
        for column, message in problems.items():
            self.error(row, column, message)
        row.valid = not problems
        return row.valid

    def _plan_consent(self, row: CheckedRow, household, stored, latest_consent) -> bool:
        """Append a consent decision unless the one in force already says the same. A decision
        that differs from the one on record needs a date after it: re-importing an old
        spreadsheet must never undo a withdrawal recorded since."""
        latest = latest_consent.get(stored.pk) if stored is not None else None
        if latest is not None:
            status, recorded_at = latest
            if status == row.consent_status:
                return False
            if row.consent_at is None or row.consent_at <= recorded_at:
                self.error(
                    row,
                    "consent_date" if "consent_date" in self.columns else "consent",
                    _(
                        "The consent on record is “%(status)s” since %(date)s; to change it, give the date of "
                        "the new decision, after that one."
                    )
                    % {
                        "status": Consent.Status(status).label,
                        "date": timezone.localdate(recorded_at).isoformat(),
                    },
                )
                row.valid = False
                return False
        consent = Consent(
            household=household,
            status=row.consent_status,
            scope=Consent.Scope.PROGRAMME,
            recorded_by=self.actor,
            recorded_at=row.consent_at or self.now,
        )
        self.plan.consents.append(consent)
        return True


def import_households(
    *,
    data: bytes,
    filename: str,
    institution: Institution,
    scope: ImportScope,
    default_group: ProducerGroup | None = None,
    dry_run: bool = False,
    actor=None,
    audit_object=None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Check the whole file, then (unless `dry_run` or any row has an error) write it in one
    transaction. Returns what was (or would be) created, updated and left unchanged, or the
    errors. `actor` is recorded on consent rows and the audit event (None: the system); every run
    leaves one audit event on `audit_object` (default: the institution).

    Call outside any transaction when `progress` is given: progress is reported while rows are
    checked, before the write transaction opens, so that another connection can read it.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        written = _check_and_write(
            report,
            data=data,
            filename=filename,
            institution=institution,
            scope=scope,
            default_group=default_group,
            actor=actor,
            audit_object=audit_object,
            progress=progress,
        )
    except IntegrityError:
        logger.warning("household import collided with a concurrent change", exc_info=True)
        written = False
        report.outcomes = []
        report.errors = [
            RowError(
                0,
                "",
                _(
                    "Some of these households were changed by someone else while the file was being imported; "
                    "nothing was written. Run the import again."
                ),
            )
        ]
    if not written:
        _audit(report, institution=institution, actor=actor, audit_object=audit_object)
    return report


def _audit(report: ImportReport, *, institution, actor, audit_object) -> None:
    if report.dry_run:
        action = "household.import_previewed"
    else:
        action = "household.imported" if report.ok else "household.import_failed"
    audit.record(
        action,
        audit_object if audit_object is not None else institution,
        actor=actor,
        details={"institution": institution.code, "dry_run": report.dry_run, **report.counts()},
    )


def _check_and_write(
    report: ImportReport, *, data, filename, institution, scope, default_group, actor, audit_object, progress
) -> bool:
    """Fill the report; write when every row passes. True when the import was written (and its
    audit event with it, in the same transaction)."""
    now = timezone.now()
    if default_group is not None and default_group.institution_id != institution.pk:
        report.errors.append(RowError(0, "", _("The default group belongs to another institution.")))
        return False
    if not scope.covers_anything:
        report.errors.append(RowError(0, "", _("You coordinate no province or group for this institution.")))
        return False
    try:
        table = read_table(data, filename)
    except ImportFileError as error:
        report.errors.append(RowError(0, "", error.message))
        return False
    columns, header_errors = map_header(table.header)
    report.ignored_columns = columns.ignored
    report.total_rows = len(table.rows)
    if header_errors:
        report.errors = header_errors
        return False
    if not table.rows:
        report.errors.append(RowError(0, "", _("The file has a header but no rows to import.")))
        return False

    checker = RowChecker(columns=columns, institution=institution, default_group=default_group, now=now)
    checked: list[CheckedRow] = []
    for done, (number, cells) in enumerate(table.rows, start=1):
        row, errors = checker.check(number, cells)
        checked.append(row)
        report.errors.extend(errors)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(table.rows)):
            progress(done, len(table.rows))

    planner = _Planner(columns=columns, institution=institution, scope=scope, actor=actor, now=now)
    planner.check_within_file(checked)
    with transaction.atomic():
        for batch in _batches(checked):
            planner.check_batch(batch)
        report.errors.extend(planner.errors)
        if report.errors:
            report.errors.sort(key=lambda error: (error.row, _column_order(columns, error.column)))
            return False
        report.outcomes = planner.outcomes
        report.enrolments_created = len(planner.plan.enrolments)
        report.consents_given = sum(1 for c in planner.plan.consents if c.status == Consent.Status.GIVEN)
        report.consents_withdrawn = len(planner.plan.consents) - report.consents_given
        if report.dry_run:
            return False
        _write(planner.plan)
        _audit(report, institution=institution, actor=actor, audit_object=audit_object)
    return True


def _column_order(columns: ColumnMap, label: str) -> int:
    for column, position in columns.index.items():
        if columns.labels.get(column) == label:
            return position
    return -1 if not label else len(columns.labels)


def _write(plan: _Plan) -> None:
    """Write a checked plan. Call inside the import's transaction."""
    for batch in _batches(plan.creates):
        Household.objects.bulk_create(batch)
    for fields, households in plan.updates.items():
        Household.objects.bulk_update(households, fields, batch_size=BATCH_SIZE)
    for batch in _batches(plan.enrolments):
        Enrolment.objects.bulk_create(batch)
    # Consent rows as services.consent_record would append them (the household is not erased,
    # status and scope come from the choices); one summary audit event stands for their
    # per-decision events.
    for batch in _batches(plan.consents):
        Consent.objects.bulk_create(batch)


# --- The admin's flow: stored uploads run in the background ---------------------------------


def start_import(
    *, user, uploaded_file, institution: Institution, default_group: ProducerGroup | None = None, dry_run: bool
) -> HouseholdImport:
    """Store the upload privately and queue the import (a preview when `dry_run`). The caller has
    checked that the user is a coordinator of that institution."""
    from . import tasks

    household_import = HouseholdImport(
        institution=institution,
        default_group=default_group,
        created_by=user,
        original_name=PurePath(uploaded_file.name).name[:255],
        dry_run=dry_run,
        language=translation.get_language() or "th",
    )
    household_import.file.save(uploaded_file.name, uploaded_file, save=False)
    household_import.save()
    tasks.enqueue(household_import)
    return household_import


def confirm_preview(*, preview: HouseholdImport, user) -> HouseholdImport:
    """Queue the real import of a clean preview's file, once."""
    from . import tasks

    with transaction.atomic():
        preview = HouseholdImport.objects.select_for_update().get(pk=preview.pk)
        if preview.created_by_id != user.pk or not preview.can_be_confirmed:
            raise ValidationError(_("This preview can no longer be imported; upload the file again."))
        household_import = HouseholdImport.objects.create(
            institution=preview.institution,
            default_group=preview.default_group,
            created_by=user,
            file=preview.file.name,
            original_name=preview.original_name,
            dry_run=False,
            preview=preview,
            language=translation.get_language() or preview.language,
        )
        tasks.enqueue(household_import)
    return household_import


def run_import(import_id: int) -> None:
    """The background task's body. Runs a queued import once (a second delivery of the task does
    nothing), storing progress and the outcome on the HouseholdImport."""
    claimed = HouseholdImport.objects.filter(pk=import_id, status=HouseholdImport.Status.QUEUED).update(
        status=HouseholdImport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    household_import = HouseholdImport.objects.select_related("institution", "default_group", "created_by").get(
        pk=import_id
    )
    purge_stale_uploads()

    def progress(done: int, total: int) -> None:
        HouseholdImport.objects.filter(pk=import_id).update(processed_rows=done, total_rows=total)

    with translation.override(household_import.language):
        try:
            with household_import.file.open("rb") as stored:
                data = stored.read()
            report = import_households(
                data=data,
                filename=household_import.original_name,
                institution=household_import.institution,
                default_group=household_import.default_group,
                scope=ImportScope.coordinator(household_import.created_by, household_import.institution),
                dry_run=household_import.dry_run,
                actor=household_import.created_by,
                audit_object=household_import,
                progress=progress,
            )
        except Exception:
            logger.exception("household import %s failed", import_id)
            report = ImportReport(dry_run=household_import.dry_run)
            report.errors.append(
                RowError(0, "", _("The import stopped because of an unexpected error; nothing was written."))
            )
    _store_report(household_import, report)
    _release_file(household_import)


def _store_report(household_import: HouseholdImport, report: ImportReport) -> None:
    household_import.status = HouseholdImport.Status.SUCCEEDED if report.ok else HouseholdImport.Status.FAILED
    household_import.total_rows = report.total_rows
    household_import.processed_rows = report.total_rows
    household_import.created_count = report.created
    household_import.updated_count = report.updated
    household_import.unchanged_count = report.unchanged
    household_import.error_count = len(report.errors)
    household_import.errors = [error.as_dict() for error in report.errors[:MAX_STORED_ERRORS]]
    # What changes comes first, so a long file's changes are not crowded out by unchanged rows.
    changes_first = sorted(report.outcomes, key=lambda outcome: (outcome.action == Action.UNCHANGED, outcome.row))
    household_import.outcomes = [outcome.as_dict() for outcome in changes_first[:MAX_STORED_OUTCOMES]]
    household_import.details = {
        "ignored_columns": report.ignored_columns,
        "enrolments_created": report.enrolments_created,
        "consents_given": report.consents_given,
        "consents_withdrawn": report.consents_withdrawn,
    }
    household_import.finished_at = timezone.now()
    household_import.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "errors",
            "outcomes",
            "details",
            "finished_at",
        ]
    )


def _release_file(household_import: HouseholdImport) -> None:
    """Delete the upload (it holds citizen IDs in clear) unless it is a clean preview still
    waiting for confirmation."""
    if household_import.can_be_confirmed or not household_import.file:
        return
    name = household_import.file.name
    household_import.file.storage.delete(name)
    HouseholdImport.objects.filter(file=name).update(file="")
    household_import.file = ""


def purge_stale_uploads(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of previews nobody confirmed within UPLOAD_RETENTION. Returns how many."""
    cutoff = (now or timezone.now()) - UPLOAD_RETENTION
    stale = (
        HouseholdImport.objects.filter(dry_run=True, created_at__lt=cutoff)
        .exclude(file="")
        .exclude(confirmation__status__in=[HouseholdImport.Status.QUEUED, HouseholdImport.Status.RUNNING])
    )
    names = set(stale.values_list("file", flat=True))
    if not names:
        return 0
    storage = HouseholdImport._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
    HouseholdImport.objects.filter(file__in=names).update(file="")
    return len(names)


def summary(report: ImportReport) -> str:
    """One sentence for the command line and messages."""
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    if report.dry_run:
        text = _("Would create %(created)d, update %(updated)d and leave %(unchanged)d households unchanged.") % counts
        return text + " " + _("Preview only: nothing was written.")
    text = _("Created %(created)d, updated %(updated)d and left %(unchanged)d households unchanged.") % counts
    extra = ngettext("%(count)d enrolment created.", "%(count)d enrolments created.", report.enrolments_created) % {
        "count": report.enrolments_created
    }
    return f"{text} {extra}"
