"""Wagtail history entries already written about households (and records about one household)
carry the household code in their label: rewrite them to kind and id, as producers.log_labels does
for new entries. The old labels are not kept, so this cannot be reversed."""

from django.db import migrations
from django.utils import translation
from django.utils.text import capfirst

PERSONAL_MODELS = ("household", "enrolment", "consent", "incomesurvey", "contribution", "householdincomeentry", "payout")


def relabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    with translation.override("th"):
        for content_type in ContentType.objects.filter(app_label="producers", model__in=PERSONAL_MODELS):
            kind = capfirst(apps.get_model("producers", content_type.model)._meta.verbose_name)
            for entry in ModelLogEntry.objects.filter(content_type=content_type).only("pk", "object_id"):
                ModelLogEntry.objects.filter(pk=entry.pk).update(label=f"{kind} #{entry.object_id}")


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0008_ledger_rollups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop)]
