"""The household import, step 3: check the rows against the rest of the file and the database
(household codes and citizen IDs used twice, citizen IDs of other households, erased households, the
coordinator's area), then write, in one transaction: households created or updated in bulk (upsert
by household code), enrolments created where missing, consent decisions appended where they differ
from the one in force, and one audit event for the run. Nothing is written unless every row passes;
re-importing a file changes nothing.

`import_households()` is the entry point for the management command and the background run
(running.run_import)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import areas, audit

from .. import selectors
from ..models import VERIFIED_FIELDS, Consent, Enrolment, Household, Institution, ProducerGroup, VerificationStatus
from . import extensions
from .parsing import (
    FIELD_COLUMNS,
    Action,
    ColumnMap,
    ImportFileError,
    ImportReport,
    ProgressCallback,
    RowError,
    RowOutcome,
    map_header,
    read_table,
)
from .validation import CheckedRow, ImportScope, RowChecker

BATCH_SIZE = 1000
PROGRESS_EVERY = 500

logger = logging.getLogger(__name__)


# --- Checking against the file and the database, and writing --------------------------------


@dataclass
class _Plan:
    creates: list[Household] = field(default_factory=list)
    updates: dict[tuple[str, ...], list[Household]] = field(default_factory=dict)
    enrolments: list[Enrolment] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    # (extension name, household, parsed value): written after the households (extensions).
    extra: list[tuple[str, Household, object]] = field(default_factory=list)


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
            self._verification_changes(row, household, [])
            self.plan.creates.append(household)
        else:
            household = stored
            changed = [name for name in row.fields if getattr(stored, name) != getattr(row.household, name)]
            for name in changed:
                setattr(household, name, getattr(row.household, name))
            if changed and not self._area_still_nests(row, household):
                return
            changed += self._verification_changes(row, stored, changed)
            if changed:
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
        for name, value in row.extra.items():
            self.plan.extra.append((name, household, value))
            if stored is not None:
                changes.append(name)

        if stored is None:
            action = Action.CREATED
        elif changes:
            action = Action.UPDATED
        else:
            action = Action.UNCHANGED
        self.outcomes.append(RowOutcome(row.row, row.code, action, tuple(changes)))

    def _verification_changes(self, row: CheckedRow, household: Household, changed: list[str]) -> list[str]:
        """Set the verification the row records; without one, a verified household whose
        figures or area the file changes goes back to "needs correction" (as Household.save
        does: the import writes in bulk, past save()). Returns the fields it set."""
        if row.verification is not None:
            status, method, note, at = row.verification
            new = {
                "verification_status": status,
                "verification_method": method,
                "verification_note": note,
                "verified_by": self.actor,
                "verified_at": at,
            }
            if household.pk and all(getattr(household, k) == v for k, v in new.items() if k != "verified_at"):
                return []
            for name, value in new.items():
                setattr(household, name, value)
            return ["verification_status", "verification_method", "verification_note", "verified_by", "verified_at"]
        verified = household.pk and household.verification_status == VerificationStatus.VERIFIED
        if verified and set(changed) & set(VERIFIED_FIELDS):
            household.verification_status = VerificationStatus.NEEDS_CORRECTION
            return ["verification_status"]
        return []

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
        _write(planner.plan, actor=actor)
        _audit(report, institution=institution, actor=actor, audit_object=audit_object)
    return True


def _column_order(columns: ColumnMap, label: str) -> int:
    for column, position in columns.index.items():
        if columns.labels.get(column) == label:
            return position
    return -1 if not label else len(columns.labels)


def _write(plan: _Plan, *, actor=None) -> None:
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
    by_name = {extension.name: extension for extension in extensions.extensions()}
    for name in dict.fromkeys(name for name, _household, _value in plan.extra):
        by_name[name].write([(household, value) for n, household, value in plan.extra if n == name], actor)


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
