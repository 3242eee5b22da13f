"""Splitting money over households, exactly.

`split_exact` divides an amount over weights (quantities supplied) to the satang: every part is
the floor of its exact share, and the satang left over go one each to the parts with the largest
remainders, ties broken by key order. So the parts always sum to the whole, none is negative, and
the same input always gives the same split.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from fractions import Fraction

from marketplace.money import from_satang, to_satang


def split_exact(total: Decimal, weights: Sequence[tuple[Hashable, Decimal]]) -> dict[Hashable, Decimal]:
    """{key: share of `total`} in proportion to the weights (keys must be sortable and unique;
    weights ≥ 0 with a positive sum; total ≥ 0)."""
    if total < 0:
        raise ValueError("split_exact divides amounts of zero or more; negate the parts of a negative amount")
    keys = [key for key, _weight in weights]
    if len(set(keys)) != len(keys):
        raise ValueError("each key may appear once")
    if any(weight < 0 for _key, weight in weights):
        raise ValueError("weights cannot be negative")
    whole = sum((weight for _key, weight in weights), Decimal("0"))
    if whole <= 0:
        raise ValueError("the weights must sum to more than 0")
    satang = to_satang(total)
    parts: dict[Hashable, int] = {}
    remainders: list[tuple[Fraction, Hashable]] = []
    for key, weight in weights:
        # A Fraction, not a Decimal: equal shares must have equal remainders for the key order
        # to decide (Decimal rounds 234000 × 1/27 and 234000 × 4/27 at different digits).
        exact = Fraction(satang) * Fraction(weight) / Fraction(whole)
        floor = int(exact)  # exact ≥ 0, so int() is the floor
        parts[key] = floor
        remainders.append((exact - floor, key))
    left = satang - sum(parts.values())
    # Largest remainder first; equal remainders in key order, so the result never depends on the
    # order the weights came in.
    for _remainder, key in sorted(remainders, key=lambda item: (-item[0], item[1]))[:left]:
        parts[key] += 1
    return {key: from_satang(value) for key, value in parts.items()}
