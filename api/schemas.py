"""Schemas shared by the buyer API's routers, and the formats every one of them uses.

Formats (the contract since API 1.1.0): money is a string with exactly 2 decimals ("1375.00",
THB), a quantity a string with exactly 3 decimals ("25.500", in the line's unit), a percentage a
string with 1 decimal ("42.5"), so no client loses precision to floats. Every schema here and in
the routers uses `Money`, `Quantity` and `Percent` for them; `money()` and `quantity()` format a
value the same way where no schema does (the over-commit problem's `lines`).

In requests a quantity is a decimal string of at most 9 digits before the point and 3 after, or a
JSON number in the same range (rounded to 3 decimals, half up: a JSON number is a binary float).
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import Page

ZERO = Decimal("0")
CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
TENTH = Decimal("0.1")
MONEY_PATTERN = r"^-?\d+\.\d{2}$"
QUANTITY_PATTERN = r"^-?\d+\.\d{3}$"
PERCENT_PATTERN = r"^-?\d+\.\d$"


def money(value: Decimal | None) -> str:
    """THB as the API writes it: "1375.00"."""
    return str((value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP))


def quantity(value: Decimal | None) -> str:
    """A quantity as the API writes it: "25.500"."""
    return str((value or ZERO).quantize(THOUSANDTH, rounding=ROUND_HALF_UP))


def percent(value: Decimal | None) -> str:
    """A percentage as the API writes it: "42.5"."""
    return str((value or ZERO).quantize(TENTH, rounding=ROUND_HALF_UP))


def _written_as(formatter, pattern: str, example: str, description: str):
    return (
        PlainSerializer(formatter, return_type=str),
        WithJsonSchema({"type": "string", "pattern": pattern, "examples": [example], "description": description}),
    )


Money = Annotated[Decimal, *_written_as(money, MONEY_PATTERN, "1375.00", "THB, exactly 2 decimals.")]
Quantity = Annotated[Decimal, *_written_as(quantity, QUANTITY_PATTERN, "25.500", "Exactly 3 decimals, in the unit.")]
Percent = Annotated[Decimal, *_written_as(percent, PERCENT_PATTERN, "42.5", "Per cent, exactly 1 decimal.")]


# --- Request formats ------------------------------------------------------------------------

MAX_QUANTITY = Decimal("999999999.999")  # the database's precision: 12 digits, 3 decimals
# Decimal strings without sign, exponent or leading zeros: what the pattern allows is what parses.
QUANTITY_IN_PATTERN = r"^(0|[1-9]\d{0,8})(\.\d{1,3})?$"
POSITIVE_QUANTITY_IN_PATTERN = r"^([1-9]\d{0,8}(\.\d{1,3})?|0\.([1-9]\d{0,2}|0[1-9]\d?|00[1-9]))$"


def _quantity_in(*, positive: bool):
    pattern = POSITIVE_QUANTITY_IN_PATTERN if positive else QUANTITY_IN_PATTERN
    compiled = re.compile(pattern)
    minimum = THOUSANDTH if positive else ZERO

    def parse(value: Any) -> Decimal:
        if isinstance(value, str):
            if not compiled.match(value):
                raise PydanticCustomError(
                    "quantity", "a quantity is a decimal string like '12.5' (at most 9 digits, 3 decimals)"
                )
            return Decimal(value).quantize(THOUSANDTH)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not (math.isfinite(value) and minimum <= Decimal(str(value)) <= MAX_QUANTITY):
                raise PydanticCustomError(
                    "quantity",
                    "a quantity must be between {minimum} and {maximum}",
                    {"minimum": str(minimum), "maximum": str(MAX_QUANTITY)},
                )
            return Decimal(str(value)).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
        raise PydanticCustomError("quantity", "a quantity is a decimal string or a number")

    return Annotated[
        Decimal,
        BeforeValidator(parse),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": pattern},
                    {"type": "number", "minimum": float(minimum), "maximum": float(MAX_QUANTITY)},
                ],
                "examples": ["12.500"],
                "description": (
                    "A quantity: a decimal string (at most 9 digits and 3 decimals, exact) or a JSON number "
                    "(rounded to 3 decimals)."
                ),
            }
        ),
    ]


QuantityIn = _quantity_in(positive=False)
PositiveQuantityIn = _quantity_in(positive=True)


# Free text: anything but NUL, which PostgreSQL cannot store in text.
Text = Annotated[str, Field(pattern="^[^\\u0000]*$")]

EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
# Calendar days from EARLIEST_DATE to LATEST_DATE as YYYY-MM-DD (the pattern lets through a 30
# February; parsing refuses it, as the `date` format does).
DATE_PATTERN = r"^(20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _date_in(value: Any) -> datetime.date:
    # Only YYYY-MM-DD: pydantic alone would also read "0" as 1 January 1970 (a Unix time).
    if isinstance(value, str) and re.match(DATE_PATTERN, value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError(
        "date",
        "a date is YYYY-MM-DD, from {earliest} to {latest}",
        {"earliest": str(EARLIEST_DATE), "latest": str(LATEST_DATE)},
    )


# A before-validator (not a plain one) keeps pydantic's own date serializer: with a plain one, an
# optional DateIn warned "Expected `date`" on every model_dump (the idempotency fingerprint).
DateIn = Annotated[
    datetime.date,
    BeforeValidator(_date_in),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "example": "2026-01-31"}),
]


# --- Shared schemas -------------------------------------------------------------------------


class NamedRef(Schema):
    slug: str
    name_th: str
    name_en: str


class ProducerGroupRef(Schema):
    id: int
    name_th: str
    name_en: str
    province_code: str
    province: str


class ProductOut(Schema):
    id: int
    sku: str
    name_th: str
    name_en: str
    category: NamedRef | None
    certifications: list[NamedRef]
    producer_group: ProducerGroupRef | None
    unit: str
    price: Money
    min_order_quantity: Quantity
    available_quantity: Quantity
    in_stock: bool
    lead_time_days: int
    url: str


class ProductPage(Page):
    items: list[ProductOut]


class AgreementLineOut(Schema):
    id: int
    product_id: int
    product_sku: str
    product_name_th: str
    product_name_en: str
    unit: str
    unit_price: Money
    min_per_call_off: Quantity | None
    max_per_call_off: Quantity | None
    committed: Quantity
    ordered: Quantity
    delivered: Quantity
    accepted: Quantity
    invoiced: Quantity
    paid: Quantity
    remaining: Quantity
    percent_fulfilled: Percent


class AgreementSummary(Schema):
    code: str
    title: str
    state: str
    institution: str
    valid_from: datetime.date
    valid_to: datetime.date
    signed_on: datetime.date | None
    payment_terms_days: int


class AgreementOut(AgreementSummary):
    delivery_terms: str
    lines: list[AgreementLineOut]


class AgreementPage(Page):
    items: list[AgreementSummary]


class CountFigure(Schema):
    """A count of households. Suppressed (1 to 4 households): value null, suppressed true,
    display "<5". Not applicable: value null, suppressed false, display "—"."""

    value: int | None
    suppressed: bool
    display: str


class MoneyFigure(Schema):
    """A sum of money (THB); suppressed and not-applicable as for CountFigure."""

    value: Money | None
    suppressed: bool
    display: str


class PercentFigure(Schema):
    """A percentage; suppressed and not-applicable as for CountFigure."""

    value: Percent | None
    suppressed: bool
    display: str


class ImpactOut(Schema):
    company: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    as_of: datetime.date
    agreement: str | None
    marketplace_only: bool
    households_reached: CountFigure
    paid_to_households: MoneyFigure
    purchase_value: Money
    share_reached_percent: PercentFigure
    crossed_poverty_line: CountFigure
    crossed_poverty_line_percent: PercentFigure
