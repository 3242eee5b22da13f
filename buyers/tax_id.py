"""Thai tax identification numbers: 13 digits whose last is a check digit computed as for citizen
IDs (companies' numbers start with 0, people's with 1–8; the rule is the same)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from producers.citizen_id import check_digit, normalize


def validate(value: str) -> str:
    """Return the 13-digit form, or raise ValidationError with a translated message."""
    digits = normalize(value)
    if len(digits) != 13 or not digits.isdigit():
        raise ValidationError(_("A tax ID has 13 digits."), code="tax_id_length")
    if check_digit(digits[:12]) != int(digits[12]):
        raise ValidationError(_("This tax ID is not valid: its check digit is wrong."), code="tax_id_check")
    return digits


def validate_tax_id(value: str) -> None:
    """Model field validator: the stored value must already be the bare 13 digits."""
    digits = validate(value)
    if digits != value:
        raise ValidationError(_("Write the tax ID as 13 digits without dashes or spaces."), code="tax_id_format")
