"""manage.py check_ledger_totals [--repair]

Compares the ledger's running totals (per group and month, per household and group: what the
impact dashboard's money reads) with the ledger's own rows. The ledger keeps them as it appends;
rows written around it (a raw SQL insert, `loaddata`, a restored table) would leave them behind.
Exit status 1 when they differ; --repair writes them again from the ledger.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from income.ledger.models import rollups_from_ledger, rollups_rebuild, rollups_stored
from marketplace.jobs import locked_command


class Command(BaseCommand):
    help = "Check the ledger's running totals against its rows; --repair rewrites them from the rows."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Write the totals again from the ledger's rows.")

    @locked_command(datetime.timedelta(hours=2))
    def handle(self, *args, repair: bool, **options):
        expected = rollups_from_ledger()
        stored = rollups_stored()
        differences = []
        for label, want, have in (
            (_("group and month"), expected[0], stored[0]),
            (_("household and group"), expected[1], stored[1]),
        ):
            for key in sorted(set(want) | set(have), key=str):
                if want.get(key) != have.get(key):
                    differences.append(f"{label} {key}: {have.get(key)} ≠ {want.get(key)}")
        if not differences:
            self.stdout.write(_("The ledger's running totals match its rows."))
            return
        for line in differences[:50]:
            self.stdout.write(line)
        if repair:
            rollups_rebuild()
            self.stdout.write(
                _("Rewrote the running totals from the ledger (%(count)d differed).") % {"count": len(differences)}
            )
            return
        raise CommandError(
            _("%(count)d running totals differ from the ledger; run with --repair to rewrite them.")
            % {"count": len(differences)}
        )
