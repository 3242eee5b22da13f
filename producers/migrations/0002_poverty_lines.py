from decimal import Decimal

from django.db import migrations

SOURCE = "NESDC (สศช.), official poverty line, baht per person per month; see shared/REFERENCE.md"
# 2022 is left out on purpose: the figure is not confirmed. PovertyLine.for_year falls back to 2021.
LINES = {2017: "2686", 2021: "2803", 2023: "3043", 2024: "3078"}


def load(apps, schema_editor):
    PovertyLine = apps.get_model("producers", "PovertyLine")
    for year, baht in LINES.items():
        PovertyLine.objects.update_or_create(year=year, defaults={"baht_per_person_month": Decimal(baht), "source": SOURCE})


def unload(apps, schema_editor):
    apps.get_model("producers", "PovertyLine").objects.filter(year__in=LINES).delete()


class Migration(migrations.Migration):
    dependencies = [("producers", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
