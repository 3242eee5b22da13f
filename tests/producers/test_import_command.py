import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections
from django.utils import translation

from marketplace.models import AuditEvent
from producers.models import Enrolment, Household
from tests.factories.producers import (
    IMPORT_HEADER,
    InstitutionFactory,
    ProducerGroupFactory,
    csv_bytes,
    import_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def institution():
    return InstitutionFactory(code="KSU")


@pytest.fixture
def group(institution):
    return ProducerGroupFactory(code="KAL-SILK", institution=institution)


def write(tmp_path, rows, name="households.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_households", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_file_and_prints_a_summary(tmp_path, institution, group):
    path = write(tmp_path, [import_row(1), import_row(2, group_code="")])

    out, _err = command(path, "--institution", "KSU", "--group", "KAL-SILK")

    assert "Created 2, updated 0 and left 0 households unchanged. 2 enrolments created." in out
    assert set(Enrolment.objects.values_list("household__code", "group__code")) == {
        ("KSN-00001", "KAL-SILK"),
        ("KSN-00002", "KAL-SILK"),
    }
    event = AuditEvent.objects.get(action="household.imported")
    assert event.actor is None and event.details["created"] == 2

    out, _err = command(path, "--institution", "KSU", "--group", "KAL-SILK")

    assert "Created 0, updated 0 and left 2 households unchanged. 0 enrolments created." in out


def test_the_command_lists_each_error_and_exits_with_status_1(tmp_path, institution):
    path = write(tmp_path, [import_row(1), import_row(2, members="0"), import_row(3, district_code="4501")])

    with pytest.raises(CommandError) as raised:
        command(path, "--institution", "KSU")

    assert raised.value.returncode == 1
    assert str(raised.value) == "2 errors; nothing was imported."
    assert not Household.objects.exists()


def test_the_command_exit_status_and_error_lines_as_a_shell_sees_them(tmp_path, institution, capsys, monkeypatch):
    path = write(tmp_path, [import_row(1), import_row(2, members="0"), import_row(3, district_code="4501")])
    # manage.py closes every connection when a command ends; here that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_households", str(path), "--institution", "KSU"]).execute()

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "row 3, members: Ensure this value is greater than or equal to 1." in err
    assert "row 4, district_code: District Mueang Roi Et is not in the province of Kalasin." in err
    assert "2 errors; nothing was imported." in err
    assert not Household.objects.exists()


def test_the_command_dry_run_writes_nothing(tmp_path, institution):
    path = write(tmp_path, [import_row(1), import_row(2)])

    out, _err = command(path, "--institution", "KSU", "--dry-run", "--verbosity", "2")

    assert "Would create 2, update 0 and leave 0 households unchanged." in out
    assert "Preview only: nothing was written." in out
    assert "row 2: KSN-00001 created" in out
    assert not Household.objects.exists()
    assert AuditEvent.objects.get().action == "household.import_previewed"


def test_the_command_needs_a_known_institution_and_a_group_of_it(tmp_path, institution):
    path = write(tmp_path, [import_row(1)])
    ProducerGroupFactory(code="MSU-RICE", institution=InstitutionFactory(code="MSU", name_th="มมส"))

    with pytest.raises(CommandError, match="No institution has the code NOPE"):
        command(path, "--institution", "NOPE")
    with pytest.raises(CommandError, match="belongs to another institution"):
        command(path, "--institution", "KSU", "--group", "MSU-RICE")
    with pytest.raises(CommandError, match="Cannot read"):
        command(tmp_path / "missing.csv", "--institution", "KSU")
    assert not Household.objects.exists()


def test_the_command_reads_xlsx(tmp_path, institution):
    row = import_row(1)
    path = tmp_path / "households.xlsx"
    path.write_bytes(xlsx_bytes([[row[column] for column in IMPORT_HEADER]]))

    out, _err = command(path, "--institution", "KSU")

    assert "Created 1," in out
    assert Household.objects.get().code == "KSN-00001"


def test_the_example_file_in_the_docs_imports_cleanly(institution):
    example = Path(settings.BASE_DIR) / "docs" / "households-example.csv"
    # the demo data's groups (producers/demo.py)
    for code in ("RICE-KAMALASAI", "PLARA-YANGTALAT", "CHILLI-SAHATSAKHAN", "SILK-PHRAEWA", "BASKET-KUCHINARAI"):
        ProducerGroupFactory(code=f"KSU-{code}", institution=institution)

    out, _err = command(example, "--institution", "KSU")

    assert "Created 8, updated 0 and left 0 households unchanged. 7 enrolments created." in out
    thai_digits = Household.objects.get(code="EXAMPLE-4609-001")
    assert (thai_digits.members, thai_digits.subdistrict_code, thai_digits.phone) == (6, "460901", "0810000005")
    assert Household.objects.get(code="EXAMPLE-4601-001").phone == "043000008"
