"""The household income ledger, taken over from producers (producers.0010 removed it from the
state): the models keep the tables producers made (db_table), with the same columns, generated
column, indexes and constraints under the same names, so this migration only records them in the
state and changes nothing in the database. The guards that keep the ledger
append-only are the model's and its queryset's own (income.ledger.models), unchanged."""

import django.core.validators
import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('orders', '0002_checkout_deliveries_payments'),
        ('producers', '0010_ledger_moves_to_income'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Contribution',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.DecimalField(decimal_places=3, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0.001'))], verbose_name='quantity')),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                        ('delivery_line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contributions', to='orders.deliveryline', verbose_name='delivery line')),
                        ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contributions', to='producers.household', verbose_name='household')),
                        ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                    ],
                    options={
                        'verbose_name': 'contribution',
                        'verbose_name_plural': 'contributions',
                        'db_table': 'producers_contribution',
                        'ordering': ['delivery_line', 'household'],
                        'constraints': [models.UniqueConstraint(fields=('delivery_line', 'household'), name='one_contribution_per_household'), models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='contribution_quantity_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='GroupIncomeMonth',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('amount_satang', models.BigIntegerField(default=0, verbose_name='amount (satang)')),
                        ('entries', models.IntegerField(default=0, verbose_name='entries')),
                        ('month', models.DateField(help_text='The first day of the month.', verbose_name='month')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='producers.producergroup', verbose_name='producer group')),
                    ],
                    options={
                        'verbose_name': 'group income in a month',
                        'verbose_name_plural': 'group income by month',
                        'db_table': 'producers_groupincomemonth',
                        'constraints': [models.UniqueConstraint(fields=('group', 'month'), name='one_total_per_group_month')],
                    },
                ),
                migrations.CreateModel(
                    name='HouseholdGroupIncome',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('amount_satang', models.BigIntegerField(default=0, verbose_name='amount (satang)')),
                        ('entries', models.IntegerField(default=0, verbose_name='entries')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='producers.producergroup', verbose_name='producer group')),
                        ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='producers.household', verbose_name='household')),
                    ],
                    options={
                        'verbose_name': 'household income through a group',
                        'verbose_name_plural': 'household income by group',
                        'db_table': 'producers_householdgroupincome',
                        'indexes': [models.Index(fields=['group', 'household'], name='producers_hgi_group_idx')],
                        'constraints': [models.UniqueConstraint(fields=('household', 'group'), name='one_total_per_household_group')],
                    },
                ),
                migrations.CreateModel(
                    name='HouseholdIncomeEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('sale', 'sale'), ('reversal', 'reversal (refund)')], default='sale', max_length=10, verbose_name='kind')),
                        ('quantity', models.DecimalField(decimal_places=3, max_digits=12, verbose_name='quantity')),
                        ('amount', models.DecimalField(decimal_places=2, help_text='Negative for a reversal.', max_digits=14, verbose_name='amount (THB)')),
                        ('amount_satang', models.GeneratedField(db_persist=True, expression=django.db.models.functions.comparison.Cast(django.db.models.functions.math.Round(django.db.models.expressions.CombinedExpression(models.F('amount'), '*', models.Value(100))), models.BigIntegerField()), output_field=models.BigIntegerField(), verbose_name='amount (satang)')),
                        ('settlement_key', models.CharField(editable=False, max_length=100, unique=True, verbose_name='settlement key')),
                        ('earned_on', models.DateField(help_text='The day the goods were paid for.', verbose_name='earned on')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                        ('delivery_line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='income_entries', to='orders.deliveryline', verbose_name='delivery line')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='producers.producergroup', verbose_name='producer group')),
                        ('household', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='income_entries', to='producers.household', verbose_name='household')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orders.order', verbose_name='order')),
                        ('reverses', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversals', to='income.householdincomeentry', verbose_name='reverses')),
                    ],
                    options={
                        'verbose_name': 'household income entry',
                        'verbose_name_plural': 'household income entries',
                        'db_table': 'producers_householdincomeentry',
                        'ordering': ['earned_on', 'pk'],
                        'indexes': [models.Index(fields=['household', 'earned_on', 'group', 'amount_satang'], name='producers_entry_impact_idx'), models.Index(fields=['group', 'earned_on'], name='producers_h_group_i_d36c3b_idx'), models.Index(fields=['earned_on'], name='producers_h_earned__7fcd20_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='Payout',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='amount (THB)')),
                        ('method', models.CharField(choices=[('cash', 'cash'), ('bank_transfer', 'bank transfer'), ('promptpay', 'PromptPay')], max_length=20, verbose_name='method')),
                        ('reference', models.CharField(blank=True, help_text='Transfer reference or receipt number.', max_length=100, verbose_name='reference')),
                        ('paid_on', models.DateField(verbose_name='paid on')),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded at')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payouts', to='producers.producergroup', verbose_name='producer group')),
                        ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payouts', to='producers.household', verbose_name='household')),
                        ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                    ],
                    options={
                        'verbose_name': 'payout',
                        'verbose_name_plural': 'payouts',
                        'db_table': 'producers_payout',
                        'ordering': ['-paid_on', '-pk'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='payout_amount_positive')],
                    },
                ),
            ],
        ),
    ]
