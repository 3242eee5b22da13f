import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from producers import citizen_id


def with_check_digit(first_twelve: str) -> str:
    return first_twelve + str(citizen_id.check_digit(first_twelve))


def test_check_digit_follows_the_published_rule():
    # sum(d[i] × (13 − i)) = 1×13 + 1×12 + ... for "110170020356"
    digits = "110170020356"
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits))
    assert citizen_id.check_digit(digits) == (11 - total % 11) % 10


def test_valid_ids_in_any_usual_form():
    number = with_check_digit("110170020356")
    grouped = f"{number[0]}-{number[1:5]}-{number[5:10]}-{number[10:12]}-{number[12]}"
    thai = number.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    for form in (number, grouped, thai, f" {number} "):
        assert citizen_id.validate(form) == number


@pytest.mark.parametrize("value", ["", "123", "12345678901234", "1234567890abc"])
def test_wrong_length_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        citizen_id.validate(value)
    assert caught.value.code == "citizen_id_length"


def test_wrong_check_digit_is_refused():
    number = with_check_digit("110170020356")
    wrong = number[:12] + str((int(number[12]) + 1) % 10)
    with pytest.raises(ValidationError) as caught:
        citizen_id.validate(wrong)
    assert caught.value.code == "citizen_id_check"


def test_hash_is_keyed_and_not_the_secret_key(settings):
    number = with_check_digit("110170020356")
    first = citizen_id.hash_id(number)
    assert number not in first and len(first) == 64
    with override_settings(CITIZEN_ID_HASH_KEY="another-key"):
        assert citizen_id.hash_id(number) != first
    with override_settings(SECRET_KEY="rotated-secret-key"):
        assert citizen_id.hash_id(number) == first
