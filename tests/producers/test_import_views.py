from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse

import producers
from config.urls import urlpatterns as project_urlpatterns
from marketplace.models import AuditEvent
from producers.importing import urls as import_urls
from producers.importing.models import HouseholdImport
from producers.models import Household
from tests.factories.accounts import UserFactory
from tests.factories.producers import (
    IMPORT_HEADER,
    InstitutionFactory,
    ProducerGroupFactory,
    assign_coordinator,
    csv_bytes,
    import_row,
)
from tests.helpers import give_totp

# The import pages mounted where the Wagtail admin hook puts them (admin/households/import/), in
# front of the project's own URLs, whether or not wagtail_hooks.py registers them yet.
urlpatterns = [path("admin/", include(import_urls.get_urls())), *project_urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def institution():
    return InstitutionFactory(code="KSU")


@pytest.fixture
def group(institution):
    return ProducerGroupFactory(code="KAL-SILK", institution=institution)


def sign_in(client, user):
    give_totp(user)  # the admin demands an authenticator of coordinators and staff
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def coordinator_client(client, institution):
    user = UserFactory(email="kalasin.importer@example.org")
    assign_coordinator(user, province_code="46", institution=institution)
    sign_in(client, user)
    client.user = user
    return client


def upload(client, data: bytes, *, institution, name="households.csv", dry_run=True, group=None, capture):
    form = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "institution": institution.pk}
    if dry_run:
        form["dry_run"] = "on"
    if group is not None:
        form["default_group"] = group.pk
    with capture(execute=True):  # the task is queued on commit; the test settings run it inline
        return client.post(reverse("household_import:upload"), form)


def test_a_coordinator_previews_a_file_then_confirms_the_import(
    coordinator_client, institution, group, django_capture_on_commit_callbacks
):
    page = coordinator_client.get(reverse("household_import:upload"))
    assert page.status_code == 200
    assert "Import households" in page.text and 'enctype="multipart/form-data"' in page.text

    response = upload(
        coordinator_client,
        csv_bytes([import_row(1), import_row(2)]),
        institution=institution,
        group=group,
        capture=django_capture_on_commit_callbacks,
    )

    preview = HouseholdImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("household_import:detail", args=[preview.pk])
    assert preview.dry_run and preview.status == HouseholdImport.Status.SUCCEEDED
    assert preview.created_by == coordinator_client.user and preview.default_group == group
    assert not Household.objects.exists()
    page = coordinator_client.get(response["Location"])
    assert page.status_code == 200
    assert '<td data-count="created">2</td>' in page.text
    assert "KSN-00002" in page.text and "Import this file" in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert AuditEvent.objects.filter(action="household_import.viewed", object_id=str(preview.pk)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(reverse("household_import:confirm", args=[preview.pk]))

    real = HouseholdImport.objects.get(preview=preview)
    assert response["Location"] == reverse("household_import:detail", args=[real.pk])
    assert real.status == HouseholdImport.Status.SUCCEEDED and not real.dry_run
    assert sorted(Household.objects.values_list("code", flat=True)) == ["KSN-00001", "KSN-00002"]
    assert all(household.enrolments.get().group == group for household in Household.objects.all())
    page = coordinator_client.get(response["Location"])
    assert "The households are saved." in page.text
    assert '<td data-count="created">2</td>' in page.text
    # the file held citizen IDs: it is gone, and the preview cannot be imported twice
    preview.refresh_from_db()
    assert not preview.file and not real.file
    response = coordinator_client.post(reverse("household_import:confirm", args=[preview.pk]), follow=True)
    assert "This preview can no longer be imported" in response.text
    assert HouseholdImport.objects.count() == 2


def test_an_import_without_preview_writes_at_once(coordinator_client, institution, django_capture_on_commit_callbacks):
    upload(
        coordinator_client,
        csv_bytes([import_row(1)]),
        institution=institution,
        dry_run=False,
        capture=django_capture_on_commit_callbacks,
    )

    assert Household.objects.get().code == "KSN-00001"
    assert AuditEvent.objects.get(action="household.imported").actor == coordinator_client.user


def test_rows_outside_the_coordinators_area_are_listed_and_nothing_is_written(
    coordinator_client, institution, django_capture_on_commit_callbacks
):
    rows = [import_row(1), import_row(2, province_code="45", district_code="4501", subdistrict_code="450101")]

    response = upload(
        coordinator_client, csv_bytes(rows), institution=institution, capture=django_capture_on_commit_callbacks
    )

    page = coordinator_client.get(response["Location"])
    assert HouseholdImport.objects.get().status == HouseholdImport.Status.FAILED
    assert "You do not coordinate this province or group for this institution." in page.text
    assert "<td>3</td>" in page.text and "<td>province_code</td>" in page.text
    assert "Import this file" not in page.text
    assert not Household.objects.exists()


def test_the_progress_page_refreshes_itself_while_the_import_runs(coordinator_client, institution):
    running = HouseholdImport.objects.create(
        institution=institution,
        created_by=coordinator_client.user,
        original_name="big.csv",
        status=HouseholdImport.Status.RUNNING,
        total_rows=50_000,
        processed_rows=12_500,
    )

    page = coordinator_client.get(reverse("household_import:detail", args=[running.pk]))

    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert '<progress max="100" value="25">' in page.text
    assert "12500 of 50000 rows checked." in page.text
    finished = HouseholdImport.objects.filter(pk=running.pk)
    finished.update(status=HouseholdImport.Status.SUCCEEDED, processed_rows=50_000)
    page = coordinator_client.get(reverse("household_import:detail", args=[running.pk]))
    assert 'http-equiv="refresh"' not in page.text and "<progress" not in page.text


def test_the_import_pages_carry_no_script_of_their_own():
    folder = Path(producers.__file__).parent / "templates" / "producers" / "import"
    templates = sorted(folder.glob("*.html"))
    assert [template.name for template in templates] == ["detail.html", "upload.html"]
    assert not [template.name for template in templates if "<script" in template.read_text()]


def test_the_form_refuses_files_it_cannot_import(coordinator_client, institution, django_capture_on_commit_callbacks):
    response = upload(
        coordinator_client,
        b"%PDF-1.4",
        institution=institution,
        name="households.pdf",
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    assert "Upload a CSV (.csv) or Excel (.xlsx) file." in response.text

    header = [column for column in IMPORT_HEADER if column != "members"]
    response = upload(
        coordinator_client,
        csv_bytes([import_row(1)], header=header),
        institution=institution,
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    assert "row 1, members: This column is required and the file does not have it." in response.text

    response = upload(
        coordinator_client,
        csv_bytes([import_row(1)]),
        institution=institution,
        name="households.xlsx",
        capture=django_capture_on_commit_callbacks,
    )
    assert "This is not an Excel .xlsx workbook." in response.text
    assert not HouseholdImport.objects.exists()


def test_a_coordinator_chooses_only_among_their_institutions_and_groups(
    coordinator_client, institution, group, django_capture_on_commit_callbacks
):
    other = InstitutionFactory(code="MSU", name_th="มหาวิทยาลัยมหาสารคาม")
    other_group = ProducerGroupFactory(code="MSU-RICE", institution=other, province_code="44", district_code="4401")
    page = coordinator_client.get(reverse("household_import:upload"))
    assert "มหาวิทยาลัยมหาสารคาม" not in page.text and other_group.name_th not in page.text

    response = upload(
        coordinator_client,
        csv_bytes([import_row(1)]),
        institution=other,
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert not HouseholdImport.objects.exists()


def test_someone_elses_import_is_not_found(coordinator_client, institution):
    other = UserFactory()
    assign_coordinator(other, province_code="46", institution=institution)
    theirs = HouseholdImport.objects.create(institution=institution, created_by=other, original_name="x.csv")
    theirs.file.save("x.csv", ContentFile(b"household_code\n"))

    assert coordinator_client.get(reverse("household_import:detail", args=[theirs.pk])).status_code == 404
    assert coordinator_client.post(reverse("household_import:confirm", args=[theirs.pk])).status_code == 404


def test_only_coordinators_may_import(client, institution, django_capture_on_commit_callbacks):
    # A superuser reaches the admin, but communities' household data is for coordinators only.
    superuser = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, superuser)

    assert client.get(reverse("household_import:upload"))["Location"] == reverse("wagtailadmin_home")
    response = upload(
        client, csv_bytes([import_row(1)]), institution=institution, capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert not HouseholdImport.objects.exists()

    client.logout()
    plain = UserFactory()
    sign_in(client, plain)
    assert client.get(reverse("household_import:upload"))["Location"].startswith(reverse("account_login"))
    assert not Household.objects.exists()
