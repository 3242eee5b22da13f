"""Producer-side factories under the names the import tests use, and builders of import files.

The model factories live in tests/factories/households.py (Kalasin: province 46, district 4601,
subdistrict 460101); this module only gives them these names, so each is defined once.
"""

import csv
import io

import openpyxl

from tests.factories.households import GroupFactory as ProducerGroupFactory
from tests.factories.households import HouseholdFactory, InstitutionFactory, valid_citizen_id
from tests.factories.households import assign as assign_coordinator

__all__ = [
    "IMPORT_HEADER",
    "HouseholdFactory",
    "InstitutionFactory",
    "ProducerGroupFactory",
    "assign_coordinator",
    "csv_bytes",
    "import_row",
    "valid_citizen_id",
    "xlsx_bytes",
]

IMPORT_HEADER = [
    "household_code",
    "citizen_id",
    "head_name",
    "phone",
    "members",
    "province_code",
    "district_code",
    "subdistrict_code",
    "village",
    "baseline_annual_income",
    "baseline_year",
    "poverty_source",
    "poverty_year",
    "group_code",
    "consent",
    "consent_date",
]


def import_row(n: int = 1, **overrides) -> dict:
    """One valid row of a household import file (Mueang Kalasin), as a coordinator would type it."""
    row = {
        "household_code": f"KSN-{n:05d}",
        "citizen_id": valid_citizen_id(900_000 + n),
        "head_name": f"นางทดลอง สมมติ{n}",
        "phone": "0812345678",
        "members": "4",
        "province_code": "46",
        "district_code": "4601",
        "subdistrict_code": "460101",
        "village": "บ้านตัวอย่าง หมู่ 3",
        "baseline_annual_income": "96,000",
        "baseline_year": "2567",
        "poverty_source": "TPMAP",
        "poverty_year": "",
        "group_code": "",
        "consent": "yes",
        "consent_date": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], *, header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    """A CSV file of these rows; `header` renames/reorders/drops columns (default IMPORT_HEADER)."""
    header = header or IMPORT_HEADER
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], *, header: list[str] | None = None) -> bytes:
    """An .xlsx workbook whose first sheet holds the header and these rows (cells keep their
    Python types: numbers and dates arrive as Excel would store them)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header or IMPORT_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
