"""Money is THB as Decimal with two places; Stripe wants integer satang. Convert only here."""

from decimal import ROUND_HALF_UP, Decimal

SATANG = Decimal("0.01")


def _as_decimal(amount) -> Decimal:
    if isinstance(amount, (float, bool)):
        raise TypeError("Money must be a Decimal or int, never a float.")
    if isinstance(amount, int):
        return Decimal(amount)
    if isinstance(amount, str):
        return Decimal(amount)
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise ValueError("Money must be a finite amount.")
        return amount
    raise TypeError(f"Not an amount of money: {amount!r}")


def quantize_baht(amount) -> Decimal:
    return _as_decimal(amount).quantize(SATANG, rounding=ROUND_HALF_UP)


def to_satang(amount) -> int:
    """฿1,500.00 → 150000. Refuses amounts with fractions of a satang rather than round them."""
    value = _as_decimal(amount)
    if value != value.quantize(SATANG):
        raise ValueError(f"{value} has fractions of a satang.")
    return int(value * 100)


def from_satang(satang: int) -> Decimal:
    return (Decimal(int(satang)) / 100).quantize(SATANG)


def format_baht(amount) -> str:
    """฿1,234.50; negative amounts (refunds, reversals) as -฿1,234.50."""
    value = quantize_baht(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}฿{abs(value):,.2f}"


def baht_in_words(amount) -> str:
    """Thai words for an amount, as written on invoices and receipts: 1234.50 →
    "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์". Negative amounts are refused: a document never
    states a negative sum in words."""
    from pythainlp.util import bahttext  # large package: load only when used

    value = quantize_baht(amount)
    if value < 0:
        raise ValueError("Amounts in words cannot be negative.")
    baht, satang = divmod(int(value * 100), 100)
    # bahttext takes a float; feed it whole baht and satang separately so that large amounts
    # lose no precision.
    words = bahttext(baht) if baht else ""
    if not satang:
        return words or bahttext(0)
    satang_words = bahttext(satang).removesuffix("บาทถ้วน") + "สตางค์"
    return (words.removesuffix("ถ้วน") if words else "") + satang_words
