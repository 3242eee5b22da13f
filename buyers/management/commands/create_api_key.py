"""manage.py create_api_key --company <tax-id> --user <admin email> --scopes read,order [--name …]
[--expires YYYY-MM-DD]: print a new key for the buyer API. The key acts as the given user, who must
be an admin of the company, and stops working if they stop being one. The key is printed once;
only its hash is stored."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from buyers import api_keys
from buyers.models import Company


class Command(BaseCommand):
    help = (
        "Make an API key for a company (by its 13-digit tax ID) in the name of one of its admins, "
        "and print it. It is not shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's 13-digit tax ID.")
        parser.add_argument(
            "--user",
            required=True,
            help="Email of an admin of the company: the key acts as them, and stops when they are no longer one.",
        )
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, order (default: read).")
        parser.add_argument("--name", default="", help="Where the key is used (default: 'command line').")
        parser.add_argument("--expires", default="", help="The last day the key works, YYYY-MM-DD (default: never).")

    def handle(self, *args, company, user, scopes, name, expires, **options):
        found = Company.objects.filter(tax_id=company.strip()).first()
        if found is None:
            raise CommandError(f"No company has the tax ID {company!r}.")
        creator = get_user_model().objects.filter(email__iexact=user.strip()).first()
        if creator is None:
            raise CommandError(f"No user has the email {user!r}; give an admin of {found}.")
        expires_at = None
        if expires:
            try:
                expires_at = api_keys.end_of_day(datetime.date.fromisoformat(expires.strip()))
            except ValueError as error:
                raise CommandError(f"--expires must be a date as YYYY-MM-DD, not {expires!r}.") from error
        try:
            row, key = api_keys.create_key(
                company=found,
                name=name or "command line",
                scopes=scopes.split(","),
                created_by=creator,
                expires_at=expires_at,
            )
        except ValueError as error:
            raise CommandError(f"{error} ({user} for {found})") from error
        self.stderr.write(
            f"Made key '{row.name}' (mkt_{row.prefix}_…) for {found}, acting as {creator.email}, with scopes "
            f"{', '.join(row.scopes)}. It is printed once, below:"
        )
        self.stdout.write(key)
