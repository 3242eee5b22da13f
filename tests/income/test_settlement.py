from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from income.ledger.settlement import split_exact

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000000"), places=2)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3)
weights = st.dictionaries(st.integers(min_value=1, max_value=10_000), quantities, min_size=1, max_size=40)


@given(total=amounts, weights=weights)
def test_the_parts_sum_to_the_whole_none_negative_and_the_split_is_deterministic(total, weights):
    items = list(weights.items())

    parts = split_exact(total, items)

    assert sum(parts.values()) == total
    assert all(part >= 0 for part in parts.values())
    assert all(part == part.quantize(Decimal("0.01")) for part in parts.values())
    assert split_exact(total, list(reversed(items))) == parts


@given(total=amounts, weights=weights)
def test_each_part_is_within_a_satang_of_its_exact_share(total, weights):
    whole = sum(weights.values())

    parts = split_exact(total, list(weights.items()))

    for key, weight in weights.items():
        assert abs(parts[key] - total * weight / whole) < Decimal("0.01")


def test_leftover_satang_go_to_the_largest_remainders_then_in_key_order():
    # ฿1.00 over three equal suppliers: 33 + 33 + 33 = 99 satang, one left for the first key.
    assert split_exact(Decimal("1.00"), [(3, Decimal("1")), (1, Decimal("1")), (2, Decimal("1"))]) == {
        1: Decimal("0.34"),
        2: Decimal("0.33"),
        3: Decimal("0.33"),
    }
    # ฿10.00 by 2:1 → 666.67 / 333.33 satang: the larger remainder (.67) gets the extra satang.
    assert split_exact(Decimal("10.00"), [(1, Decimal("2")), (2, Decimal("1"))]) == {
        1: Decimal("6.67"),
        2: Decimal("3.33"),
    }


@pytest.mark.parametrize(
    ("total", "items"),
    [
        (Decimal("-1"), [(1, Decimal("1"))]),
        (Decimal("1"), [(1, Decimal("0"))]),
        (Decimal("1"), [(1, Decimal("-1")), (2, Decimal("2"))]),
        (Decimal("1"), [(1, Decimal("1")), (1, Decimal("2"))]),
        (Decimal("0.001"), [(1, Decimal("1"))]),
    ],
)
def test_impossible_splits_are_refused(total, items):
    with pytest.raises(ValueError):
        split_exact(total, items)


def test_equal_remainders_go_in_key_order_whatever_the_weights():
    # ฿2,340.00 by 1 : 4 : 22 (of 27): every exact share ends in ⅔ of a satang, and two satang
    # are left over; they go to keys 1 and 2. (With Decimal arithmetic, 234000 × 1/27 and
    # 234000 × 22/27 were rounded at different digits, and the remainders no longer tied.)
    assert split_exact(Decimal("2340.00"), [(3, Decimal("22")), (2, Decimal("4")), (1, Decimal("1"))]) == {
        1: Decimal("86.67"),
        2: Decimal("346.67"),
        3: Decimal("1906.66"),
    }
