"""manage.py create_api_key --company <tax-id> --scopes read,order [--name …]: print a new key for
the buyer API. The key is printed once; only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError

from buyers import api_keys
from buyers.models import Company


class Command(BaseCommand):
    help = "Make an API key for a company (by its 13-digit tax ID) and print it. It is not shown again."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="The company's 13-digit tax ID.")
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, order (default: read).")
        parser.add_argument("--name", default="", help="Where the key is used (default: 'command line').")

    def handle(self, *args, company, scopes, name, **options):
        found = Company.objects.filter(tax_id=company.strip()).first()
        if found is None:
            raise CommandError(f"No company has the tax ID {company!r}.")
        try:
            row, key = api_keys.create_key(
                company=found, name=name or "command line", scopes=scopes.split(","), created_by=None
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(
            f"Made key '{row.name}' (mkt_{row.prefix}_…) for {found} with scopes {', '.join(row.scopes)}. "
            "It is printed once, below:"
        )
        self.stdout.write(key)
