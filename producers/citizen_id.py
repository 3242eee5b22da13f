"""Thai citizen ID numbers: validated by their check digit, stored only as a keyed hash plus the
last four digits. The key (CITIZEN_ID_HASH_KEY) is not SECRET_KEY: rotating the session secret must
not orphan every household's identity, and leaking one must not reveal the other."""

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketplace.numbers import normalize_digits


def normalize(value: str) -> str:
    """Digits only: accepts Thai digits and the usual 1-2345-67890-12-3 grouping."""
    return "".join(ch for ch in normalize_digits(value or "") if ch not in " -\t")


def check_digit(first_twelve: str) -> int:
    total = sum(int(digit) * (13 - position) for position, digit in enumerate(first_twelve))
    return (11 - total % 11) % 10


def validate(value: str) -> str:
    """Return the 13-digit form, or raise ValidationError with a translated message."""
    digits = normalize(value)
    if len(digits) != 13 or not digits.isdigit():
        raise ValidationError(_("A citizen ID has 13 digits."), code="citizen_id_length")
    if check_digit(digits[:12]) != int(digits[12]):
        raise ValidationError(_("This citizen ID is not valid: its check digit is wrong."), code="citizen_id_check")
    return digits


def hash_id(digits: str) -> str:
    key = settings.CITIZEN_ID_HASH_KEY.encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()
