import pytest
from django.core.exceptions import ValidationError

from buyers import tax_id
from buyers.models import Company
from marketplace import access
from tests.factories.buyers import valid_tax_id


def test_a_tax_id_with_the_right_check_digit_is_accepted():
    # 0-1055-12345-67-? : check digit from sum of digit × (13 − position)
    first = "010551234567"
    total = sum(int(d) * (13 - i) for i, d in enumerate(first))
    number = first + str((11 - total % 11) % 10)
    assert tax_id.validate(number) == number
    assert tax_id.validate(f"{number[0]}-{number[1:5]}-{number[5:10]}-{number[10:12]}-{number[12]}") == number


def test_thai_digits_are_read():
    number = valid_tax_id(42)
    thai = number.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    assert tax_id.validate(thai) == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12345", "A tax ID has 13 digits."),
        ("01055123456789", "A tax ID has 13 digits."),
        ("010551234567X", "A tax ID has 13 digits."),
    ],
)
def test_a_tax_id_of_the_wrong_length_is_refused(value, message):
    with pytest.raises(ValidationError) as refused:
        tax_id.validate(value)
    assert refused.value.messages == [message]


def test_a_wrong_check_digit_is_refused():
    number = valid_tax_id(7)
    wrong = number[:12] + str((int(number[12]) + 1) % 10)
    with pytest.raises(ValidationError) as refused:
        tax_id.validate(wrong)
    assert refused.value.messages == ["This tax ID is not valid: its check digit is wrong."]


def test_the_company_model_validates_its_tax_id(db):
    number = valid_tax_id(9)
    company = Company(name_th="บริษัท ทดสอบ จำกัด", tax_id=number[:12] + str((int(number[12]) + 3) % 10))
    with pytest.raises(ValidationError) as refused:
        company.full_clean()
    assert "tax_id" in refused.value.message_dict

    company.tax_id = f"{number[:1]}-{number[1:]}"
    with pytest.raises(ValidationError, match="without dashes"):
        company.full_clean()

    company.tax_id = number
    company.full_clean()


def test_company_memberships_answer_through_the_access_layer(company, purchaser):
    assert access.memberships(purchaser, "company") == {company.pk: "purchaser"}
    assert not access.has_admin_membership(purchaser)  # company people never enter the Wagtail admin
    assert not purchaser.has_perm("wagtailadmin.access_admin")
