"""The ledger's models now belong to income: their content types follow them (app label producers →
income), so the permissions granted on them, Django admin and Wagtail history entries (which point
to the content type) stay attached; and the audit trail's events about them, which name the model
by its label, are renamed the same way, so that payouts' events stay visible only to those who may
see the household (marketplace.audit matches events to their kind by that label). Only the label
changes: no event, permission or history entry is added or removed. Reversible."""

from django.db import migrations

MODELS = ("contribution", "householdincomeentry", "groupincomemonth", "householdgroupincome", "payout")


def _move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("marketplace", "AuditEvent")
    for model in MODELS:
        # A content type already made for the target by an earlier, partial `migrate` (with the
        # permissions Django made with it) has nothing attached of its own: the moved one wins.
        moved = ContentType.objects.filter(app_label=source, model=model).first()
        if moved is None:
            continue
        ContentType.objects.filter(app_label=target, model=model).delete()
        moved.app_label = target
        moved.save(update_fields=["app_label"])
    # The base manager: the default one refuses updates, as the trail is otherwise never edited.
    for model in MODELS:
        AuditEvent._base_manager.filter(object_type=f"{source}.{model}").update(object_type=f"{target}.{model}")


def forwards(apps, schema_editor):
    _move(apps, "producers", "income")


def backwards(apps, schema_editor):
    _move(apps, "income", "producers")


class Migration(migrations.Migration):
    dependencies = [
        ("income", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("marketplace", "0003_audit_scrub_personal_data"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
