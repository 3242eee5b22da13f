"""Background work of the household import (django-tasks). With the ImmediateBackend (development,
tests) a task runs inline when enqueued; in production `manage.py db_worker` runs it."""

from django.db import transaction
from django_tasks import task

from .models import HouseholdImport
from .running import run_import


@task()
def run_household_import(import_id: int) -> None:
    run_import(import_id)


def enqueue(household_import: HouseholdImport) -> None:
    """Queue the import once the row that describes it is committed, so a worker on another
    connection finds it."""
    import_id = household_import.pk
    transaction.on_commit(lambda: run_household_import.enqueue(import_id))
