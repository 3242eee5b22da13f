from django.utils import translation

from marketplace import areas


def test_names_follow_the_language():
    with translation.override("th"):
        assert areas.area_name("46") == "กาฬสินธุ์"
        assert areas.area_name("4601") == "เมืองกาฬสินธุ์"
    with translation.override("en"):
        assert areas.area_name("46") == "Kalasin"
        assert areas.area_name("460101") == "Kalasin"
    assert areas.area_name("") == ""
    assert areas.area_name("999") == ""


def test_nesting_is_checked():
    assert areas.validate_area("46", "4601", "460101") == {}
    assert areas.validate_area("46") == {}
    with translation.override("en"):
        assert set(areas.validate_area("99")) == {"province_code"}
        assert set(areas.validate_area("46", "4501")) == {"district_code"}
        assert set(areas.validate_area("46", "4601", "450101")) == {"subdistrict_code"}
        assert set(areas.validate_area("46", "", "460101")) == {"district_code"}
        assert set(areas.validate_area("46", "4699")) == {"district_code"}
