"""The household income ledger moved to the income app (income.0001_initial takes the models over
with the same tables, columns, indexes and constraints): removed here from the migration state
only; the database keeps every table and row as it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0009_neutral_log_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="groupincomemonth",
                    name="group",
                ),
                migrations.RemoveField(
                    model_name="householdgroupincome",
                    name="group",
                ),
                migrations.RemoveField(
                    model_name="householdgroupincome",
                    name="household",
                ),
                migrations.RemoveField(
                    model_name="householdincomeentry",
                    name="delivery_line",
                ),
                migrations.RemoveField(
                    model_name="householdincomeentry",
                    name="group",
                ),
                migrations.RemoveField(
                    model_name="householdincomeentry",
                    name="household",
                ),
                migrations.RemoveField(
                    model_name="householdincomeentry",
                    name="order",
                ),
                migrations.RemoveField(
                    model_name="householdincomeentry",
                    name="reverses",
                ),
                migrations.RemoveField(
                    model_name="payout",
                    name="group",
                ),
                migrations.RemoveField(
                    model_name="payout",
                    name="household",
                ),
                migrations.RemoveField(
                    model_name="payout",
                    name="recorded_by",
                ),
                migrations.DeleteModel(
                    name="Contribution",
                ),
                migrations.DeleteModel(
                    name="GroupIncomeMonth",
                ),
                migrations.DeleteModel(
                    name="HouseholdGroupIncome",
                ),
                migrations.DeleteModel(
                    name="HouseholdIncomeEntry",
                ),
                migrations.DeleteModel(
                    name="Payout",
                ),
            ],
        ),
    ]
