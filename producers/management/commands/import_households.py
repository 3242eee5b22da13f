"""manage.py import_households FILE --institution CODE [--group CODE] [--dry-run]

Runs as the system operator: no coordinator scope, so it is for the people who run the servers.
Coordinators import through the admin (Households › Import), which checks their areas.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from producers.importing import applying, parsing, validation
from producers.models import Institution, ProducerGroup


class Command(BaseCommand):
    help = (
        "Import target households from a CSV (UTF-8 or TIS-620) or .xlsx file. Every row is checked first; "
        "if any row has an error nothing is written, the errors are listed and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file; its first row names the columns.")
        parser.add_argument("--institution", required=True, help="Code of the coordinating institution, e.g. KSU.")
        parser.add_argument("--group", help="Code of the producer group for rows that name none.")
        parser.add_argument("--dry-run", action="store_true", help="Check and list the changes; write nothing.")

    def handle(self, *args, file: Path, institution: str, group: str | None, dry_run: bool, **options):
        found_institution = Institution.objects.filter(code=institution).first()
        if found_institution is None:
            raise CommandError(_("No institution has the code %(code)s.") % {"code": institution})
        default_group = None
        if group:
            default_group = ProducerGroup.objects.filter(code=group).first()
            if default_group is None:
                raise CommandError(_("No producer group has the code %(code)s.") % {"code": group})
            if default_group.institution_id != found_institution.pk:
                raise CommandError(
                    _("Group %(group)s belongs to another institution, not %(institution)s.")
                    % {"group": group, "institution": institution}
                )
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}) from None

        report = applying.import_households(
            data=data,
            filename=file.name,
            institution=found_institution,
            default_group=default_group,
            scope=validation.ImportScope.system(),
            dry_run=dry_run,
            actor=None,
            progress=self._progress if options["verbosity"] >= 2 else None,
        )
        if report.ignored_columns:
            self.stderr.write(
                _("Columns ignored (not import columns): %(columns)s") % {"columns": ", ".join(report.ignored_columns)}
            )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                ngettext(
                    "%(count)d error; nothing was imported.",
                    "%(count)d errors; nothing was imported.",
                    len(report.errors),
                )
                % {"count": len(report.errors)},
                returncode=1,
            )
        if options["verbosity"] >= 2:
            for outcome in report.outcomes:
                self.stdout.write(
                    _("row %(row)d: %(code)s %(action)s %(changes)s")
                    % {
                        "row": outcome.row,
                        "code": outcome.code,
                        "action": parsing.Action.labels[outcome.action],
                        "changes": ", ".join(outcome.changes),
                    }
                )
        self.stdout.write(self.style.SUCCESS(applying.summary(report)))

    def _progress(self, done: int, total: int) -> None:
        if done % 10_000 == 0 or done == total:
            self.stderr.write(_("checked %(done)d of %(total)d rows") % {"done": done, "total": total})
