"""Schemas shared by the buyer API's routers (api/orders.py may define its own next to its views)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Schema

from .base import Page


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
    price: Decimal
    min_order_quantity: Decimal
    available_quantity: Decimal
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
    unit_price: Decimal
    min_per_call_off: Decimal | None
    max_per_call_off: Decimal | None
    committed: Decimal
    ordered: Decimal
    delivered: Decimal
    accepted: Decimal
    invoiced: Decimal
    paid: Decimal
    remaining: Decimal
    percent_fulfilled: Decimal


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


class AmountFigure(Schema):
    """A sum of money (THB) or a percentage; suppressed and not-applicable as for CountFigure."""

    value: Decimal | None
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
    paid_to_households: AmountFigure
    purchase_value: Decimal
    share_reached_percent: AmountFigure
    crossed_poverty_line: CountFigure
    crossed_poverty_line_percent: AmountFigure
