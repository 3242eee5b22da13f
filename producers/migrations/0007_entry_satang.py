"""The ledger's amount in whole satang (a stored generated column) and one index that serves both
each household's entries by date and the impact dashboard's index-only pass: it replaces the
raw-SQL index of 0006 (same name, now declared on the model), the (household, earned on) index
and the foreign key's own index, all of which start with the household. PostgreSQL would otherwise
read the ledger through the narrower foreign-key index and fetch every row from the table."""

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_checkout_deliveries_payments"),
        ("producers", "0006_imq_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql="DROP INDEX producers_entry_impact_idx",
            reverse_sql=(
                "CREATE INDEX producers_entry_impact_idx "
                "ON producers_householdincomeentry (household_id, earned_on, group_id, amount)"
            ),
        ),
        migrations.RemoveIndex(
            model_name="householdincomeentry",
            name="producers_h_househo_31aa53_idx",
        ),
        migrations.AddField(
            model_name="householdincomeentry",
            name="amount_satang",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(models.F("amount"), "*", models.Value(100))
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
                verbose_name="amount (satang)",
            ),
        ),
        migrations.AlterField(
            model_name="householdincomeentry",
            name="household",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="income_entries",
                to="producers.household",
                verbose_name="household",
            ),
        ),
        migrations.AddIndex(
            model_name="householdincomeentry",
            index=models.Index(
                fields=["household", "earned_on", "group", "amount_satang"], name="producers_entry_impact_idx"
            ),
        ),
    ]
