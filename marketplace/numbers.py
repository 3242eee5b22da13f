"""Parsing numbers as Thai users type them: Thai digits (๐–๙), thousands separators, spaces."""

from decimal import Decimal, InvalidOperation

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def normalize_digits(value: str) -> str:
    return str(value).translate(THAI_DIGITS)


def parse_decimal(value) -> Decimal:
    """ "๑๒,๓๔๕.๕๐" → Decimal("12345.50"). Raises ValueError for anything else."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        # Spreadsheet cells arrive as floats: take their shortest decimal form, not binary noise.
        return Decimal(repr(value))
    text = normalize_digits(value).strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    text = text.removeprefix("฿")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def parse_int(value) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def decimal_input(value) -> str:
    """A number as a form box shows it: 20.000 → "20", 20.500 → "20.5", 1000 → "1000".

    Never scientific notation (`Decimal("20.000").normalize()` is `2E+1`) and never grouped (a
    comma in an input box would be read back as typed, which parse_decimal allows, but a browser's
    `inputmode="decimal"` keyboard has no comma on most Thai phones).
    """
    if value is None or value == "":
        return ""
    number = parse_decimal(value)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
