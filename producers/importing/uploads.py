"""The admin's flow around a stored upload: store it and queue a preview or an import, and
confirm a clean preview. The run itself happens in the background (tasks.py, running.py)."""

from __future__ import annotations

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Institution, ProducerGroup
from . import tasks
from .models import HouseholdImport

# --- The admin's flow: stored uploads run in the background ---------------------------------


def start_import(
    *, user, uploaded_file, institution: Institution, default_group: ProducerGroup | None = None, dry_run: bool
) -> HouseholdImport:
    """Store the upload privately and queue the import (a preview when `dry_run`). The caller has
    checked that the user is a coordinator of that institution."""
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
