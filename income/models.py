"""The income app's models live in its feature packages; Django finds them through this module."""

from .ledger.models import (  # noqa: F401
    Contribution,
    GroupIncomeMonth,
    HouseholdGroupIncome,
    HouseholdIncomeEntry,
    Payout,
)
