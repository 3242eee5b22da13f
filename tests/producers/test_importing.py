import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone, translation

from marketplace.models import AuditEvent
from producers import citizen_id, services
from producers.importing import applying, parsing, running, uploads, validation
from producers.importing.models import HouseholdImport
from producers.models import Consent, Enrolment, Household
from tests.factories.accounts import UserFactory
from tests.factories.producers import (
    IMPORT_HEADER,
    HouseholdFactory,
    InstitutionFactory,
    ProducerGroupFactory,
    assign_coordinator,
    csv_bytes,
    import_row,
    valid_citizen_id,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def institution():
    return InstitutionFactory()


@pytest.fixture
def group(institution):
    return ProducerGroupFactory(code="KAL-SILK", institution=institution)


def run(data, institution, *, filename="households.csv", scope=None, **kwargs) -> parsing.ImportReport:
    return applying.import_households(
        data=data, filename=filename, institution=institution, scope=scope or validation.ImportScope.system(), **kwargs
    )


def errors_of(report) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.message) for error in report.errors]


def assert_nothing_written():
    assert not Household.objects.exists()
    assert not Enrolment.objects.exists()
    assert not Consent.objects.exists()


# --- A good file ------------------------------------------------------------------------------


def test_a_good_file_creates_households_with_enrolments_consent_and_one_audit_event(institution, group):
    rows = [
        import_row(1, group_code="KAL-SILK", consent_date="15/1/2567"),
        import_row(2, consent="no", phone="", village=""),
        import_row(3, citizen_id="", subdistrict_code="", poverty_source="จปฐ.", poverty_year="2566"),
    ]

    report = run(csv_bytes(rows), institution, default_group=None)

    assert errors_of(report) == []
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    first = Household.objects.get(code="KSN-00001")
    assert first.institution == institution
    assert first.head_name == "นางทดลอง สมมติ1"
    assert first.members == 4
    assert first.baseline_annual_income == Decimal("96000.00")
    assert first.baseline_year == 2024 and first.poverty_year == 2024  # 2567 BE; poverty year defaults to it
    assert first.poverty_source == "tpmap"
    assert (first.province_code, first.district_code, first.subdistrict_code) == ("46", "4601", "460101")
    assert first.citizen_id_hash == citizen_id.hash_id(valid_citizen_id(900_001))
    assert first.citizen_id_last4 == valid_citizen_id(900_001)[-4:]
    assert list(first.enrolments.values_list("group__code", "active")) == [("KAL-SILK", True)]
    consent = first.consents.get()
    assert consent.status == Consent.Status.GIVEN and consent.scope == Consent.Scope.PROGRAMME
    assert timezone.localtime(consent.recorded_at) == timezone.make_aware(datetime.datetime(2024, 1, 15))

    second = Household.objects.get(code="KSN-00002")
    assert second.phone == "" and second.village == ""
    assert not second.enrolments.exists()
    assert second.consents.get().status == Consent.Status.WITHDRAWN

    third = Household.objects.get(code="KSN-00003")
    assert third.citizen_id_hash is None and third.subdistrict_code == ""
    assert third.poverty_source == "bmn" and third.poverty_year == 2023

    event = AuditEvent.objects.get(action="household.imported")
    assert event.details["created"] == 3 and event.details["consents_given"] == 2
    assert event.details["consents_withdrawn"] == 1 and event.details["enrolments_created"] == 1
    assert not AuditEvent.objects.filter(action__startswith="consent.").exists()


def test_the_default_group_enrols_rows_without_a_group(institution, group):
    other = ProducerGroupFactory(code="KAL-RICE", institution=institution)
    rows = [import_row(1), import_row(2, group_code="KAL-RICE")]

    run(csv_bytes(rows), institution, default_group=group)

    assert Enrolment.objects.get(household__code="KSN-00001").group == group
    assert Enrolment.objects.get(household__code="KSN-00002").group == other


# --- Each kind of bad row ---------------------------------------------------------------------


def test_a_wrong_citizen_id_check_digit_is_a_row_error(institution):
    good = valid_citizen_id(42)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)

    report = run(csv_bytes([import_row(1), import_row(2, citizen_id=bad)]), institution)

    assert errors_of(report) == [(3, "citizen_id", "This citizen ID is not valid: its check digit is wrong.")]
    assert_nothing_written()


def test_the_same_citizen_id_twice_in_the_file_is_a_row_error(institution):
    same = valid_citizen_id(7)
    rows = [
        import_row(1, citizen_id=same),
        import_row(2),
        import_row(3, citizen_id=f"{same[0]}-{same[1:5]}-{same[5:]}"),
    ]

    report = run(csv_bytes(rows), institution)

    assert errors_of(report) == [(4, "citizen_id", "The same citizen ID is also on row 2.")]


def test_a_citizen_id_registered_to_another_household_is_a_row_error(institution):
    taken = valid_citizen_id(8)
    HouseholdFactory(code="HH-OLD", citizen_id_hash=citizen_id.hash_id(taken), institution=institution)

    report = run(csv_bytes([import_row(1, citizen_id=taken)]), institution)

    assert errors_of(report) == [(2, "citizen_id", "This citizen ID is already registered to household HH-OLD.")]
    assert Household.objects.count() == 1


def test_the_same_household_code_twice_is_a_row_error(institution):
    report = run(csv_bytes([import_row(1), import_row(1, citizen_id=valid_citizen_id(77))]), institution)

    assert errors_of(report) == [(3, "household_code", "Household code KSN-00001 is also on row 2.")]


@pytest.mark.parametrize(
    ("codes", "column", "message"),
    [
        (("45", "4601", ""), "district_code", "District Mueang Kalasin is not in the province of Roi Et."),
        (("46", "4602", "460101"), "subdistrict_code", "Subdistrict Kalasin is not in the district of Na Mon."),
        (("99", "4601", ""), "province_code", "99 is not a province code."),
        (("46", "4699", ""), "district_code", "4699 is not a district code."),
    ],
)
def test_areas_must_exist_and_nest(institution, codes, column, message):
    province, district, subdistrict = codes
    row = import_row(1, province_code=province, district_code=district, subdistrict_code=subdistrict)

    report = run(csv_bytes([row]), institution)

    assert errors_of(report) == [(2, column, message)]


def test_an_unknown_group_or_another_institutions_group_is_a_row_error(institution):
    ProducerGroupFactory(code="OTHER-UNI", institution=InstitutionFactory(code="MSU", name_th="มมส"))
    rows = [import_row(1, group_code="NO-SUCH"), import_row(2, group_code="OTHER-UNI")]

    report = run(csv_bytes(rows), institution)

    assert [error[:2] for error in errors_of(report)] == [(2, "group_code"), (3, "group_code")]
    assert report.errors[0].message == "No producer group has the code NO-SUCH."
    assert report.errors[1].message.startswith("Group OTHER-UNI belongs to another institution")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("baseline_annual_income", "12x", "“12x” is not an amount in baht."),
        ("baseline_annual_income", "-5", "Ensure this value is greater than or equal to 0."),
        ("members", "0", "Ensure this value is greater than or equal to 1."),
        ("members", "3.5", "“3.5” is not a whole number."),
        ("members", "", "This value is required."),
        ("baseline_year", "67", "Ensure this value is greater than or equal to 2000."),
        ("consent", "maybe", None),
        ("consent_date", "31/2/2567", "“31/2/2567” is not a date that exists."),
        ("poverty_source", "survey", None),
        ("phone", "12345", "A Thai phone number: 9 or 10 digits starting with 0."),
        ("household_code", "KSN 1", "Use letters, digits and dashes."),
    ],
)
def test_a_bad_value_is_an_error_on_its_row_and_column(institution, column, value, message):
    rows = [import_row(1), import_row(2, **{column: value})]

    report = run(csv_bytes(rows), institution)

    assert [error[:2] for error in errors_of(report)] == [(3, column)]
    if message:
        assert report.errors[0].message == message
    assert_nothing_written()


def test_a_bad_consent_answer_says_what_to_write(institution):
    report = run(csv_bytes([import_row(1, consent="maybe")]), institution)

    assert "“maybe” is not a consent answer" in report.errors[0].message


def test_a_missing_required_column_is_reported_on_the_header_row(institution):
    header = [column for column in IMPORT_HEADER if column != "baseline_year"]

    report = run(csv_bytes([import_row(1)], header=header), institution)

    assert errors_of(report) == [(1, "baseline_year", "This column is required and the file does not have it.")]
    assert_nothing_written()


def test_an_erased_households_code_cannot_come_back(institution):
    household = HouseholdFactory(code="KSN-00001", institution=institution)
    services.household_erase(household=household, reason="asked by the household")

    report = run(csv_bytes([import_row(1)]), institution)

    assert errors_of(report) == [
        (2, "household_code", "This household's data was erased at its request; its code cannot be imported again.")
    ]
    assert Household.objects.count() == 1


def test_a_household_of_another_institution_is_not_taken_over(institution):
    HouseholdFactory(code="KSN-00001", institution=InstitutionFactory(code="MSU", name_th="มมส"))

    report = run(csv_bytes([import_row(1)]), institution)

    assert errors_of(report) == [(2, "household_code", "This household is registered with another institution.")]


def test_one_bad_row_means_nothing_is_written(institution, group):
    rows = [import_row(n, group_code="KAL-SILK") for n in range(1, 6)]
    rows[3]["members"] = "many"

    report = run(csv_bytes(rows), institution)

    assert errors_of(report) == [(5, "members", "“many” is not a whole number.")]
    assert report.outcomes == []
    assert_nothing_written()
    assert AuditEvent.objects.get().action == "household.import_failed"


def test_every_error_of_the_file_is_listed_in_row_order(institution):
    rows = [import_row(1, members="0", consent="perhaps"), import_row(2), import_row(3, district_code="4501")]

    report = run(csv_bytes(rows), institution)

    assert [error[:2] for error in errors_of(report)] == [(2, "members"), (2, "consent"), (4, "district_code")]


# --- Encodings, Thai input, XLSX --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874", "utf-16"])
def test_utf8_with_or_without_bom_thai_windows_and_excel_unicode_files_are_read(institution, encoding):
    data = csv_bytes([import_row(1, head_name="นางสมศรี ทองดี", village="บ้านหนองบัว")], encoding=encoding)

    report = run(data, institution)

    assert errors_of(report) == []
    household = Household.objects.get()
    assert household.head_name == "นางสมศรี ทองดี" and household.village == "บ้านหนองบัว"


def test_a_semicolon_separated_export_is_read(institution):
    data = csv_bytes([import_row(1, baseline_annual_income="96000")]).decode().replace(",", ";").encode()

    report = run(data, institution)

    assert errors_of(report) == []
    assert Household.objects.get().baseline_annual_income == Decimal("96000.00")


def test_thai_digits_and_thousands_separators(institution):
    row = import_row(
        1,
        members="๕",
        baseline_annual_income="๑๒๐,๕๐๐.๕๐",
        baseline_year="๒๕๖๗",
        phone="๐๘๑-๒๓๔-๕๖๗๘",
        citizen_id=" ".join(valid_citizen_id(5)).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")),
        consent_date="๓/๒/๒๕๖๗",
    )

    report = run(csv_bytes([row]), institution)

    assert errors_of(report) == []
    household = Household.objects.get()
    assert household.members == 5
    assert household.baseline_annual_income == Decimal("120500.50")
    assert household.baseline_year == 2024
    assert household.phone == "0812345678"
    assert household.citizen_id_hash == citizen_id.hash_id(valid_citizen_id(5))
    assert timezone.localtime(household.consents.get().recorded_at).date() == datetime.date(2024, 2, 3)


def test_thai_headers_in_any_order(institution, group):
    thai = {
        "household_code": "รหัสครัวเรือน",
        "citizen_id": "เลขประจำตัวประชาชน",
        "head_name": "ชื่อหัวหน้าครัวเรือน",
        "phone": "โทรศัพท์",
        "members": "จำนวนสมาชิก",
        "province_code": "รหัสจังหวัด",
        "district_code": "รหัสอำเภอ",
        "subdistrict_code": "รหัสตำบล",
        "village": "หมู่บ้าน",
        "baseline_annual_income": "รายได้ต่อปี",
        "baseline_year": "ปีฐาน",
        "poverty_source": "แหล่งข้อมูลความยากจน",
        "poverty_year": "ปีข้อมูลความยากจน",
        "group_code": "รหัสกลุ่ม",
        "consent": "ความยินยอม",
        "consent_date": "วันที่ยินยอม",
    }
    rows = [
        {thai[key]: value for key, value in import_row(1, group_code="KAL-SILK", consent="ยินยอม").items()},
        {thai[key]: value for key, value in import_row(2, poverty_source="บัตรสวัสดิการ", members="0").items()},
    ]
    header = [f"  {name} " for name in reversed(thai.values())]
    data = csv_bytes([{f"  {key} ": value for key, value in row.items()} for row in rows], header=header)

    report = run(data, institution)

    # errors name the column as the file does
    assert errors_of(report) == [(3, "จำนวนสมาชิก", "Ensure this value is greater than or equal to 1.")]
    rows[1]["จำนวนสมาชิก"] = "2"
    data = csv_bytes([{f"  {key} ": value for key, value in row.items()} for row in rows], header=header)
    report = run(data, institution)
    assert errors_of(report) == []
    assert Household.objects.get(code="KSN-00002").poverty_source == "welfare"
    assert Household.objects.get(code="KSN-00001").enrolments.get().group == group


def test_headers_match_ignoring_case_spaces_and_bom(institution):
    header = ["\ufeffHousehold Code", "HEAD_NAME", "Members", "province code", "District-Code"]
    header += ["baseline annual income", "Baseline_Year", "poverty source", "Notes"]
    row = import_row(1)
    values = [row[name] for name in parsing.REQUIRED_COLUMNS[:1]]
    values += [row["head_name"], "3", "46", "4601", "50000", "2024", "other", "anything"]
    data = ("\n".join([",".join(header), ",".join(values)]) + "\n").encode("utf-8")

    report = run(data, institution)

    assert errors_of(report) == []
    assert report.ignored_columns == ["Notes"]
    assert Household.objects.get().poverty_source == "other"


def test_an_xlsx_file_with_numbers_and_dates_in_cells(institution):
    cid = int(valid_citizen_id(11))
    # Cells as Excel keeps them: numbers lose their leading zeros, dates are dates.
    cells = [
        {
            "household_code": 10001,
            "citizen_id": cid,
            "head_name": "นายทดสอบ ระบบ",
            "phone": 812345678,
            "members": 4,
            "province_code": 46,
            "district_code": 4601,
            "subdistrict_code": 460101,
            "village": "หมู่ 1",
            "baseline_annual_income": 85000.5,
            "baseline_year": 2567,
            "poverty_source": "tpmap",
            "consent": 1,
            "consent_date": datetime.datetime(2024, 3, 1),
        },
        {
            "household_code": 10002,
            "head_name": "นางทดสอบ สอง",
            "members": 2.0,
            "province_code": 46,
            "district_code": 4601,
            "baseline_annual_income": 72000,
            "baseline_year": 2024,
            "poverty_source": "programme",
            "poverty_year": 2023,
        },
    ]
    rows = [[row.get(column) for column in IMPORT_HEADER] for row in cells]

    report = run(xlsx_bytes(rows), institution, filename="ครัวเรือน.xlsx")

    assert errors_of(report) == []
    first = Household.objects.get(code="10001")
    assert first.phone == "0812345678"
    assert first.citizen_id_hash == citizen_id.hash_id(str(cid))
    assert first.baseline_annual_income == Decimal("85000.50") and first.baseline_year == 2024
    assert first.consents.get().status == Consent.Status.GIVEN
    second = Household.objects.get(code="10002")
    assert second.members == 2 and second.poverty_year == 2023 and not second.consents.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused(institution):
    assert errors_of(run(b"household_code\n1\n", institution, filename="x.xlsx")) == [
        (0, "", "This is not an Excel .xlsx workbook.")
    ]
    assert errors_of(run(xlsx_bytes([]), institution, filename="x.csv"))[0][0] == 0
    assert errors_of(run(b"\x81\xdb\xfe\xff", institution, filename="x.csv"))[0][2].startswith(
        "The file is neither UTF-8 nor Thai Windows"
    )
    assert errors_of(run(b"a,b\n", institution, filename="x.pdf")) == [
        (0, "", "Upload a CSV (.csv) or Excel (.xlsx) file.")
    ]


def test_a_header_without_rows_is_an_error(institution):
    report = run(csv_bytes([]), institution)

    assert errors_of(report) == [(0, "", "The file has a header but no rows to import.")]


# --- Re-import, updates, dry run --------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(institution, group):
    data = csv_bytes([import_row(n, group_code="KAL-SILK", consent_date="1/6/2567") for n in range(1, 4)])
    run(data, institution)
    households = list(Household.objects.values())
    consents, enrolments = Consent.objects.count(), Enrolment.objects.count()
    events = AuditEvent.objects.count()

    report = run(data, institution)

    assert errors_of(report) == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(Household.objects.values()) == households
    assert (Consent.objects.count(), Enrolment.objects.count()) == (consents, enrolments)
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.first().details["unchanged"] == 3


def test_a_changed_row_updates_only_what_differs(institution):
    run(csv_bytes([import_row(1), import_row(2)]), institution)
    before = Household.objects.get(code="KSN-00002")

    report = run(csv_bytes([import_row(1), import_row(2, baseline_annual_income="99,500", members="5")]), institution)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.outcomes[1].changes == ("members", "baseline_annual_income")
    after = Household.objects.get(code="KSN-00002")
    assert after.baseline_annual_income == Decimal("99500.00") and after.members == 5
    assert after.updated_at > before.updated_at and after.created_at == before.created_at


def test_columns_the_file_lacks_keep_their_stored_values(institution):
    run(csv_bytes([import_row(1, phone="0899999999", village="บ้านเดิม")]), institution)
    header = [column for column in IMPORT_HEADER if column not in ("phone", "village")]

    report = run(csv_bytes([import_row(1, citizen_id="")], header=header), institution)

    assert report.unchanged == 1
    household = Household.objects.get()
    assert (household.phone, household.village) == ("0899999999", "บ้านเดิม")
    assert household.citizen_id_hash  # a blank citizen ID keeps the one on record


def test_a_new_district_must_still_hold_the_stored_subdistrict(institution):
    run(csv_bytes([import_row(1)]), institution)
    header = [column for column in IMPORT_HEADER if column != "subdistrict_code"]

    report = run(csv_bytes([import_row(1, district_code="4602")], header=header), institution)

    assert [error[:2] for error in errors_of(report)] == [(2, "subdistrict_code")]
    assert Household.objects.get().district_code == "4601"


def test_a_dry_run_reports_but_writes_nothing(institution, group):
    data = csv_bytes([import_row(n, group_code="KAL-SILK") for n in range(1, 4)])

    report = run(data, institution, dry_run=True)

    assert errors_of(report) == []
    assert [outcome.action for outcome in report.outcomes] == ["created"] * 3
    assert_nothing_written()
    event = AuditEvent.objects.get()
    assert event.action == "household.import_previewed" and event.details["created"] == 3


def test_a_dry_run_of_changes_lists_updates_and_unchanged_rows(institution):
    run(csv_bytes([import_row(1), import_row(2)]), institution)

    report = run(
        csv_bytes([import_row(1), import_row(2, head_name="นางทดลอง เปลี่ยนชื่อ"), import_row(3)]),
        institution,
        dry_run=True,
    )

    assert [(outcome.code, outcome.action) for outcome in report.outcomes] == [
        ("KSN-00001", "unchanged"),
        ("KSN-00002", "updated"),
        ("KSN-00003", "created"),
    ]
    assert Household.objects.get(code="KSN-00002").head_name == "นางทดลอง สมมติ2"


# --- Consent --------------------------------------------------------------------------------


def test_a_withdrawal_with_a_later_date_is_appended(institution):
    run(csv_bytes([import_row(1, consent="yes", consent_date="1/1/2567")]), institution)

    report = run(csv_bytes([import_row(1, consent="ไม่ยินยอม", consent_date="1/3/2567")]), institution)

    assert report.updated == 1 and report.outcomes[0].changes == ("consent",)
    household = Household.objects.with_consent_status().get()
    assert household.consent_status == Consent.Status.WITHDRAWN
    assert household.consents.count() == 2


def test_an_old_spreadsheet_cannot_undo_a_newer_consent_decision(institution):
    household = HouseholdFactory(code="KSN-00001", institution=institution, consent=False)
    services.consent_record(household=household, status=Consent.Status.WITHDRAWN)

    report = run(csv_bytes([import_row(1, consent="yes", citizen_id="")]), institution)

    assert [error[:2] for error in errors_of(report)] == [(2, "consent_date")]
    assert report.errors[0].message.startswith("The consent on record is “withdrawn” since")
    assert household.consents.count() == 1


def test_a_consent_date_in_the_future_or_without_an_answer_is_refused(institution):
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    rows = [import_row(1, consent_date=future), import_row(2, consent="", consent_date="2024-01-01")]

    report = run(csv_bytes(rows), institution)

    assert errors_of(report) == [
        (2, "consent_date", "A consent date cannot be in the future."),
        (3, "consent", "Give the consent decision (yes or no) made on this date."),
    ]


# --- Coordinator scope ----------------------------------------------------------------------


def test_a_coordinator_imports_only_rows_in_their_provinces(institution):
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=institution)
    scope = validation.ImportScope.coordinator(user, institution)
    rows = [import_row(1), import_row(2, province_code="45", district_code="4501", subdistrict_code="450101")]

    report = run(csv_bytes(rows), institution, scope=scope)

    assert errors_of(report) == [
        (3, "province_code", "You do not coordinate this province or group for this institution.")
    ]
    assert_nothing_written()
    assert run(csv_bytes(rows[:1]), institution, scope=scope, actor=user).created == 1
    assert Consent.objects.get().recorded_by == user


def test_a_coordinator_of_one_group_imports_only_into_that_group(institution, group):
    other = ProducerGroupFactory(code="KAL-RICE", institution=institution)
    user = UserFactory()
    assign_coordinator(user, group=group, institution=institution)
    scope = validation.ImportScope.coordinator(user, institution)
    rows = [import_row(1, group_code="KAL-SILK"), import_row(2, group_code=other.code), import_row(3)]

    report = run(csv_bytes(rows), institution, scope=scope)

    assert [error[:2] for error in errors_of(report)] == [(3, "group_code"), (4, "province_code")]


def test_a_coordinator_cannot_update_a_household_outside_their_area(institution, group):
    HouseholdFactory(
        code="KSN-00001",
        institution=institution,
        province_code="45",
        district_code="4501",
        subdistrict_code="450101",
    )
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=institution)

    report = run(csv_bytes([import_row(1)]), institution, scope=validation.ImportScope.coordinator(user, institution))

    assert errors_of(report) == [
        (2, "household_code", "This household is registered outside your area; ask its coordinator.")
    ]


def test_a_coordinator_of_another_institution_imports_nothing(institution):
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=InstitutionFactory(code="MSU", name_th="มมส"))

    report = run(csv_bytes([import_row(1)]), institution, scope=validation.ImportScope.coordinator(user, institution))

    assert errors_of(report) == [(0, "", "You coordinate no province or group for this institution.")]


def test_a_citizen_id_of_a_household_outside_the_area_does_not_reveal_its_code(institution):
    taken = valid_citizen_id(21)
    HouseholdFactory(
        code="HH-ROIET",
        institution=institution,
        citizen_id_hash=citizen_id.hash_id(taken),
        province_code="45",
        district_code="4501",
        subdistrict_code="450101",
    )
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=institution)

    report = run(
        csv_bytes([import_row(1, citizen_id=taken)]),
        institution,
        scope=validation.ImportScope.coordinator(user, institution),
    )

    assert errors_of(report) == [(2, "citizen_id", "This citizen ID is already registered to another household.")]


# --- The stored-upload flow (what the admin runs in the background) ---------------------------


def stored_import(user, institution, data: bytes, *, dry_run: bool, name="households.csv") -> HouseholdImport:
    household_import = HouseholdImport(institution=institution, created_by=user, original_name=name, dry_run=dry_run)
    household_import.file.save(name, ContentFile(data), save=False)
    household_import.save()
    return household_import


def test_a_stored_preview_keeps_its_file_until_confirmed_then_the_import_deletes_it(institution, group):
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=institution)
    preview = stored_import(user, institution, csv_bytes([import_row(1), import_row(2)]), dry_run=True)

    running.run_import(preview.pk)

    preview.refresh_from_db()
    assert preview.status == HouseholdImport.Status.SUCCEEDED
    assert (preview.total_rows, preview.processed_rows, preview.created_count) == (2, 2, 2)
    assert [outcome["code"] for outcome in preview.outcomes] == ["KSN-00001", "KSN-00002"]
    assert preview.can_be_confirmed and preview.file.storage.exists(preview.file.name)
    assert not Household.objects.exists()
    name = preview.file.name

    real = uploads.confirm_preview(preview=preview, user=user)  # tasks run at commit; run it here
    running.run_import(real.pk)

    real.refresh_from_db()
    preview.refresh_from_db()
    assert real.status == HouseholdImport.Status.SUCCEEDED and real.created_count == 2
    assert Household.objects.count() == 2
    assert not real.file and not preview.file
    assert not HouseholdImport._meta.get_field("file").storage.exists(name)
    assert AuditEvent.objects.filter(action="household.imported", object_id=str(real.pk)).exists()
    with pytest.raises(ValidationError):
        uploads.confirm_preview(preview=preview, user=user)


def test_a_stored_import_with_errors_fails_and_drops_its_file(institution):
    user = UserFactory()
    assign_coordinator(user, province_code="46", institution=institution)
    household_import = stored_import(user, institution, csv_bytes([import_row(1, members="x")]), dry_run=True)
    name = household_import.file.name

    running.run_import(household_import.pk)
    running.run_import(household_import.pk)  # a second delivery of the task does nothing

    household_import.refresh_from_db()
    assert household_import.status == HouseholdImport.Status.FAILED
    # Messages are stored in the language of the person who uploaded (Thai by default).
    assert household_import.errors == [{"row": 2, "column": "members", "message": "“x” ไม่ใช่จำนวนเต็ม"}]
    assert not household_import.file and not household_import.can_be_confirmed
    assert not HouseholdImport._meta.get_field("file").storage.exists(name)
    assert AuditEvent.objects.filter(action="household.import_previewed").count() == 1


def test_stale_previews_lose_their_files_unless_their_import_is_under_way(institution):
    user = UserFactory()
    old = stored_import(user, institution, b"household_code\n", dry_run=True)
    fresh = stored_import(user, institution, b"household_code\n", dry_run=True)
    confirmed = stored_import(user, institution, b"household_code\n", dry_run=True)
    HouseholdImport.objects.create(
        institution=institution, created_by=user, original_name="x.csv", file=confirmed.file.name, preview=confirmed
    )
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    HouseholdImport.objects.filter(pk__in=[old.pk, confirmed.pk]).update(created_at=two_days_ago)

    old_name = old.file.name

    assert running.purge_stale_uploads() == 1

    for household_import in (old, fresh, confirmed):
        household_import.refresh_from_db()
    assert not old.file and fresh.file and confirmed.file
    assert not fresh.file.storage.exists(old_name) and fresh.file.storage.exists(fresh.file.name)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_the_same_file_at_once_create_each_household_once(institution, group):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several connections writing at once")
    data = csv_bytes([import_row(n, group_code="KAL-SILK") for n in range(1, 41)])
    start = threading.Barrier(2)
    reports = []

    def import_in_own_connection():
        try:
            start.wait()
            reports.append(run(data, institution))
        finally:
            connection.close()

    threads = [threading.Thread(target=import_in_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Household.objects.count() == 40
    assert Enrolment.objects.count() == 40 and Consent.objects.count() == 40
    first, second = sorted(reports, key=lambda report: -report.created)
    assert first.ok and first.created == 40
    # the other either ran after the first committed, or collided with it and wrote nothing
    assert (second.ok and second.unchanged == 40) or [error.row for error in second.errors] == [0]
