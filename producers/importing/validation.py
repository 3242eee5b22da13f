"""The household import, step 2: each row on its own (values as Thai users type them, the
model's field validators and area nesting), and which rows an import may touch (ImportScope)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access

from .. import citizen_id
from ..models import CoordinatorAssignment, Household, Institution, ProducerGroup, VerificationStatus
from . import extensions
from .parsing import (
    FIELD_COLUMNS,
    IMPORTED_FIELDS,
    CellError,
    ColumnMap,
    RowError,
    cell_text,
    compact,
    parse_code,
    parse_consent,
    parse_count,
    parse_date,
    parse_household_code,
    parse_money,
    parse_phone,
    parse_verification,
    parse_verification_method,
    parse_year,
    poverty_source_values,
    single_line,
)

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
    # (status, method, note, verified at) when the row records a field verification.
    verification: tuple | None = None
    # What other apps' columns parsed (producers.importing.extensions): {extension name: value}.
    extra: dict = field(default_factory=dict)
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

        code = value("household_code", parse_household_code, required=True) or ""
        household = Household(
            institution=self.institution,
            code=code,
            head_name=value("head_name", single_line, required=True) or "",
            phone=value("phone", parse_phone) or "",
            members=value("members", parse_count, required=True),
            province_code=value("province_code", parse_code, required=True) or "",
            district_code=value("district_code", parse_code, required=True) or "",
            subdistrict_code=value("subdistrict_code", parse_code) or "",
            village=value("village", single_line) or "",
            baseline_annual_income=value("baseline_annual_income", parse_money, required=True),
            baseline_year=value("baseline_year", parse_year, required=True),
        )
        source = value("poverty_source", compact, required=True)
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
        self._check_verification(checked, cells, value, fail)
        for extension in extensions.extensions():
            parsed = extension.check(lambda column: self._cell(cells, column), fail, self.today)
            if parsed is not None:
                checked.extra[extension.name] = parsed
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

    def _check_verification(self, checked: CheckedRow, cells: list, value, fail) -> None:
        """The optional verification columns: the result (verified needs the method, needs
        correction a note saying what is wrong), and the date, not in the future."""
        status = value("verification", parse_verification)
        method = value("verification_method", parse_verification_method) or ""
        note = value("verification_note", single_line) or ""
        date = value("verified_on", parse_date)
        if status is None:
            if method or note or date:
                fail("verification", _("Give the verification result (verified or needs correction)."))
            return
        if date is not None and date > self.today:
            fail("verified_on", _("A verification date cannot be in the future."))
            return
        if status == VerificationStatus.VERIFIED and not method:
            fail("verification_method", _("Say how the household was verified."))
            return
        if status == VerificationStatus.NEEDS_CORRECTION and not note:
            fail("verification_note", _("Say what needs correcting."))
            return
        at = timezone.make_aware(datetime.datetime.combine(date, datetime.time(12))) if date else self.now
        checked.verification = (status, method if status == VerificationStatus.VERIFIED else "", note, at)

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
