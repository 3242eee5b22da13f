"""From delivered goods to household income: who supplied what (Contribution), what each household
earned (HouseholdIncomeEntry, an append-only ledger) and what the group paid out (Payout).

The ledger is never edited: a refund appends reversing entries, and a settlement that already ran
finds its entries by their `settlement_key` and adds nothing. Amounts are exact to the satang.

Two running totals are kept beside it, in the same transaction as each append (`rollups_add`,
called by `HouseholdIncomeEntry.save` and the ledger's `bulk_create`): per group and month
(GroupIncomeMonth) and per household and group (HouseholdGroupIncome). The impact dashboard reads
its money by month and group from them instead of summing a million entries (income.impact).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models, router, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Cast, Round, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


class Contribution(models.Model):
    """How much of one delivered line one household supplied. The contributions of a line sum
    to its delivered quantity (checked by the service that records them)."""

    delivery_line = models.ForeignKey(
        "orders.DeliveryLine", verbose_name=_("delivery line"), on_delete=models.PROTECT, related_name="contributions"
    )
    household = models.ForeignKey(
        "producers.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="contributions"
    )
    quantity = models.DecimalField(_("quantity"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "producers_contribution"  # made by producers, which held the ledger first
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["delivery_line", "household"]
        constraints = [
            models.UniqueConstraint(fields=["delivery_line", "household"], name="one_contribution_per_household"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="contribution_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.quantity}"


class AppendOnlyQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Appends many entries and adds them to the running totals, in one transaction."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            # The totals must count exactly the rows written, which these options leave unknown.
            raise ValueError("Ledger entries are appended with plain inserts only.")
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            rollups_add(created, using=self.db)
        return created

    def update(self, **kwargs):
        raise ValidationError(_("Ledger entries are never changed: append a reversing entry instead."))

    def delete(self):
        raise ValidationError(_("Ledger entries are never deleted: append a reversing entry instead."))


class HouseholdIncomeEntry(models.Model):
    """One amount a household earned (or, as a reversal, gave back) through the marketplace."""

    class Kind(models.TextChoices):
        SALE = "sale", _("sale")
        REVERSAL = "reversal", _("reversal (refund)")

    # No index of its own: the impact index below starts with the household.
    household = models.ForeignKey(
        "producers.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="income_entries",
        db_index=False,
    )
    group = models.ForeignKey(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+")
    delivery_line = models.ForeignKey(
        "orders.DeliveryLine", verbose_name=_("delivery line"), on_delete=models.PROTECT, related_name="income_entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SALE)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    amount = models.DecimalField(_("amount (THB)"), help_text=_("Negative for a reversal."), **MONEY)
    # The amount in whole satang, kept by the database: the impact dashboard sums a million of
    # these, and integer sums cost a fraction of decimal ones (income.impact). ROUND because
    # SQLite keeps decimals as floating point (0.29 × 100 = 28.999…).
    amount_satang = models.GeneratedField(
        expression=Cast(Round(F("amount") * 100), models.BigIntegerField()),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("amount (satang)"),
    )
    # What makes the entry unique: running a settlement again finds it and adds nothing.
    settlement_key = models.CharField(_("settlement key"), max_length=100, unique=True, editable=False)
    reverses = models.ForeignKey(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    earned_on = models.DateField(_("earned on"), help_text=_("The day the goods were paid for."))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "producers_householdincomeentry"  # made by producers, which held the ledger first
        verbose_name = _("household income entry")
        verbose_name_plural = _("household income entries")
        ordering = ["earned_on", "pk"]
        indexes = [
            # Each household's entries by date, and everything the impact dashboard sums, so
            # that it reads the index alone (an index-only scan on PostgreSQL) in household order.
            models.Index(
                fields=["household", "earned_on", "group", "amount_satang"], name="producers_entry_impact_idx"
            ),
            models.Index(fields=["group", "earned_on"]),
            models.Index(fields=["earned_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Ledger entries are never changed: append a reversing entry instead."))
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            rollups_add([self], using=using)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ledger entries are never deleted: append a reversing entry instead."))


class RunningTotal(models.Model):
    """A sum of ledger entries (reversals included) in satang and their count, which the ledger
    keeps as it appends (see the module docstring)."""

    amount_satang = models.BigIntegerField(_("amount (satang)"), default=0)
    entries = models.IntegerField(_("entries"), default=0)

    class Meta:
        abstract = True


class GroupIncomeMonth(RunningTotal):
    """Everything a group's households earned in one month."""

    group = models.ForeignKey(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))

    class Meta:
        db_table = "producers_groupincomemonth"  # made by producers, which held the ledger first
        verbose_name = _("group income in a month")
        verbose_name_plural = _("group income by month")
        constraints = [models.UniqueConstraint(fields=["group", "month"], name="one_total_per_group_month")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m} {self.amount_satang}"


class HouseholdGroupIncome(RunningTotal):
    """Everything a household earned through one group."""

    household = models.ForeignKey(
        "producers.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "producers_householdgroupincome"  # made by producers, which held the ledger first
        verbose_name = _("household income through a group")
        verbose_name_plural = _("household income by group")
        constraints = [models.UniqueConstraint(fields=["household", "group"], name="one_total_per_household_group")]
        indexes = [models.Index(fields=["group", "household"], name="producers_hgi_group_idx")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.group_id} {self.amount_satang}"


ROLLUP_UPSERT = """INSERT INTO {table} AS t ({keys}, amount_satang, entries) VALUES ({marks}, %s, %s)
ON CONFLICT ({keys}) DO UPDATE SET amount_satang = t.amount_satang + excluded.amount_satang,
                                  entries = t.entries + excluded.entries"""


def rollups_add(entries, *, using: str = "default") -> None:
    """Add freshly inserted ledger entries to the running totals: one upsert per total touched,
    in key order (within one call, two appends never take each other's rows in opposite
    orders). Amounts as the database stores them: rounded half away from zero to the satang."""
    by_month: dict = defaultdict(lambda: [0, 0])
    by_household: dict = defaultdict(lambda: [0, 0])
    for entry in entries:
        satang = int((Decimal(entry.amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for totals, key in (
            (by_month, (entry.group_id, _month_of(entry.earned_on))),
            (by_household, (entry.household_id, entry.group_id)),
        ):
            totals[key][0] += satang
            totals[key][1] += 1
    if not by_month:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        for model, keys, totals in (
            (GroupIncomeMonth, ("group_id", "month"), by_month),
            (HouseholdGroupIncome, ("household_id", "group_id"), by_household),
        ):
            sql = ROLLUP_UPSERT.format(
                table=model._meta.db_table, keys=", ".join(keys), marks=", ".join(["%s"] * len(keys))
            )
            rows = [
                (*(connection.ops.adapt_datefield_value(k) if isinstance(k, datetime.date) else k for k in key), *sums)
                for key, sums in sorted(totals.items())
            ]
            cursor.executemany(sql, rows)


def rollups_from_ledger(*, using: str = "default") -> tuple[dict, dict]:
    """The running totals as the ledger's rows give them ({(group, month): (satang, entries)},
    {(household, group): (satang, entries)}), summed in the database."""
    ledger = HouseholdIncomeEntry.objects.using(using).order_by()
    by_month = {
        (row["group_id"], row["month"]): (row["amount"], row["count"])
        for row in ledger.annotate(month=TruncMonth("earned_on"))
        .values("group_id", "month")
        .annotate(amount=Sum("amount_satang"), count=Count("pk"))
        .iterator()
    }
    by_household = {
        (row["household_id"], row["group_id"]): (row["amount"], row["count"])
        for row in ledger.values("household_id", "group_id")
        .annotate(amount=Sum("amount_satang"), count=Count("pk"))
        .iterator()
    }
    return by_month, by_household


def rollups_stored(*, using: str = "default") -> tuple[dict, dict]:
    """The running totals as stored, in the shape of rollups_from_ledger (empty totals left out)."""
    by_month = {
        (group, month): (amount, count)
        for group, month, amount, count in GroupIncomeMonth.objects.using(using)
        .filter(entries__gt=0)
        .values_list("group_id", "month", "amount_satang", "entries")
        .iterator()
    }
    by_household = {
        (household, group): (amount, count)
        for household, group, amount, count in HouseholdGroupIncome.objects.using(using)
        .filter(entries__gt=0)
        .values_list("household_id", "group_id", "amount_satang", "entries")
        .iterator()
    }
    return by_month, by_household


def rollups_rebuild(*, using: str = "default") -> None:
    """Write the running totals again from the ledger, with appends held off meanwhile (on
    PostgreSQL a SHARE lock on the ledger, which lets reads through; SQLite writes one at a
    time anyway)."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {HouseholdIncomeEntry._meta.db_table} IN SHARE MODE")
        by_month, by_household = rollups_from_ledger(using=using)
        GroupIncomeMonth.objects.using(using).all().delete()
        HouseholdGroupIncome.objects.using(using).all().delete()
        GroupIncomeMonth.objects.using(using).bulk_create(
            [
                GroupIncomeMonth(group_id=group, month=month, amount_satang=amount, entries=count)
                for (group, month), (amount, count) in by_month.items()
            ],
            batch_size=5000,
        )
        HouseholdGroupIncome.objects.using(using).bulk_create(
            [
                HouseholdGroupIncome(household_id=household, group_id=group, amount_satang=amount, entries=count)
                for (household, group), (amount, count) in by_household.items()
            ],
            batch_size=5000,
        )


def _month_of(day) -> datetime.date:
    if not isinstance(day, datetime.date):
        day = datetime.date.fromisoformat(str(day))
    return day.replace(day=1)


class Payout(models.Model):
    """Money the group handed to a household from what the household earned."""

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        BANK_TRANSFER = "bank_transfer", _("bank transfer")
        PROMPTPAY = "promptpay", _("PromptPay")

    household = models.ForeignKey(
        "producers.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="payouts"
    )
    group = models.ForeignKey(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.DecimalField(_("amount (THB)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Transfer reference or receipt number.")
    )
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "producers_payout"  # made by producers, which held the ledger first
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-paid_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.household} {self.amount}"
