"""Covering indexes for the impact dashboard (producers.impact): the ledger read in household order
with the columns the figures need (an index-only scan, whatever order the rows were written in),
and each household's surveys newest first.

Written as SQL that both SQLite and PostgreSQL accept, without touching the model state: the
models belong to the ledger and the household register, and the indexes only serve these reads.
(To declare them on the models instead, move them to Meta.indexes with the same names.)"""

from django.db import migrations

INDEXES = [
    (
        "producers_entry_impact_idx",
        "producers_householdincomeentry",
        "household_id, earned_on, group_id, amount",
    ),
    ("producers_survey_impact_idx", "producers_incomesurvey", "household_id, surveyed_on, id"),
]


class Migration(migrations.Migration):
    dependencies = [("producers", "0005_household_income_ledger")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX {name} ON {table} ({columns})",  # constants only
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, table, columns in INDEXES
    ]
