"""Thai administrative areas by DOPA code (province 2 digits, district 4, subdistrict 6), from
geothai. Codes are what we store; names are shown in the reader's language."""

import geothai
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _


def province(code: str):
    return geothai.province(code) if code else None


def district(code: str):
    return geothai.district(code) if code else None


def subdistrict(code: str):
    return geothai.subdistrict(code) if code else None


def _name(area) -> str:
    if area is None:
        return ""
    return area.name_en if translation.get_language() == "en" else area.name_th


def area_name(code: str) -> str:
    """The name of a province, district or subdistrict code in the active language ('' if unknown)."""
    code = (code or "").strip()
    lookup = {2: province, 4: district, 6: subdistrict}.get(len(code))
    return _name(lookup(code)) if lookup else ""


def province_choices() -> list[tuple[str, str]]:
    return sorted(((p.code, _name(p)) for p in geothai.provinces()), key=lambda choice: choice[1])


def validate_area(province_code: str, district_code: str = "", subdistrict_code: str = "") -> dict[str, str]:
    """Check that the codes exist and nest (district in province, subdistrict in district).

    Returns {} when valid, else {field: message} for the first wrong field of each level, so forms
    and the importer can point at the right column.
    """
    errors: dict[str, str] = {}
    found_province = province(province_code)
    if found_province is None:
        errors["province_code"] = _("%(code)s is not a province code.") % {"code": province_code or "—"}
        return errors
    if district_code:
        found_district = district(district_code)
        if found_district is None:
            errors["district_code"] = _("%(code)s is not a district code.") % {"code": district_code}
        elif found_district.province_code != province_code:
            errors["district_code"] = _("District %(district)s is not in the province of %(province)s.") % {
                "district": _name(found_district),
                "province": _name(found_province),
            }
    if subdistrict_code and not errors:
        found_subdistrict = subdistrict(subdistrict_code)
        if not district_code:
            errors["district_code"] = _("Give the district of the subdistrict.")
        elif found_subdistrict is None:
            errors["subdistrict_code"] = _("%(code)s is not a subdistrict code.") % {"code": subdistrict_code}
        elif found_subdistrict.district_code != district_code:
            errors["subdistrict_code"] = _("Subdistrict %(subdistrict)s is not in the district of %(district)s.") % {
                "subdistrict": _name(found_subdistrict),
                "district": area_name(district_code),
            }
    return errors


def clean_area(instance, *, required_level: str = "province") -> None:
    """Model.clean() helper for models with province_code / district_code / subdistrict_code."""
    codes = {
        "province_code": instance.province_code,
        "district_code": getattr(instance, "district_code", ""),
        "subdistrict_code": getattr(instance, "subdistrict_code", ""),
    }
    errors = validate_area(codes["province_code"], codes["district_code"], codes["subdistrict_code"])
    if required_level in ("district", "subdistrict") and not codes["district_code"] and "district_code" not in errors:
        errors["district_code"] = _("This field is required.")
    if required_level == "subdistrict" and not codes["subdistrict_code"] and "subdistrict_code" not in errors:
        errors["subdistrict_code"] = _("This field is required.")
    if errors:
        raise ValidationError(errors)
