"""Media on a real S3-compatible server (SeaweedFS, tests/s3server.py), configured the way
production is: the S3_* variables read by config/settings/base.py. Public images and their
renditions are served from the public bucket; personal documents sit in the private bucket,
which answers 403 without a signature, and reach people only through the audited views."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.images import get_image_model

from cms.services import ensure_group_access
from marketplace.forms import STORE_UNREACHABLE
from marketplace.models import AuditEvent
from marketplace.storage import check_storage
from orders.models import Delivery, PurchaseAgreement
from producers.importing.models import HouseholdImport
from producers.models import Consent
from tests.factories.households import GroupFactory, assign
from tests.factories.orders import AgreementFactory, signed_pdf
from tests.factories.pages import image_bytes
from tests.helpers import give_totp
from tests.s3server import anonymous_get
from tests.smtp import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

PRIVATE_FIELDS = [
    (PurchaseAgreement, "signed_document"),
    (Consent, "evidence"),
    (HouseholdImport, "file"),
    (Delivery, "photo"),
]


def production_storages(monkeypatch, env: dict[str, str]) -> dict:
    """STORAGES and the CSP as config/settings/base.py makes them from these variables."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import config.settings.base as base

    try:
        importlib.reload(base)
        return {"STORAGES": base.STORAGES, "CSP": base.CONTENT_SECURITY_POLICY}
    finally:
        for name in env:
            monkeypatch.delenv(name)
        importlib.reload(base)


def use(settings, monkeypatch, configured: dict) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": configured["default"], "private": configured["private"]}
    # A FileField evaluates its storage callable when its model is defined: point the private
    # fields at the storage the settings now name, as a fresh process would.
    for model, name in PRIVATE_FIELDS:
        monkeypatch.setattr(model._meta.get_field(name), "storage", storages["private"])


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    configured = production_storages(monkeypatch, s3_server.env())
    for alias in ("default", "private"):
        configured["STORAGES"][alias]["OPTIONS"]["location"] = prefix  # each test its own folder
    use(settings, monkeypatch, configured["STORAGES"])
    settings.CONTENT_SECURITY_POLICY = configured["CSP"]
    return s3_server


@pytest.fixture
def s3_down(s3_server, settings, monkeypatch):
    env = {**s3_server.env(), "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    use(settings, monkeypatch, production_storages(monkeypatch, env)["STORAGES"])


@pytest.fixture
def publisher(client, coordinator):
    assign(coordinator, province_code="46")
    give_totp(coordinator)
    ensure_group_access(GroupFactory())
    client.force_login(coordinator)
    return coordinator


def test_a_public_image_and_its_rendition_are_served_from_the_public_bucket(s3, client, publisher):
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "ข้าวหอมมะลิ",
            "file": SimpleUploadedFile("rice.jpg", image_bytes("JPEG", size=(400, 300)), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    image = get_image_model().objects.get(title="ข้าวหอมมะลิ")
    assert image.file.url.startswith(f"{s3.endpoint_url}/{s3.public_bucket}/")
    status, body = anonymous_get(image.file.url)
    assert status == 200 and body[:2] == b"\xff\xd8"

    rendition = image.get_rendition("fill-200x150")
    status, body = anonymous_get(rendition.url)
    assert rendition.url.startswith(f"{s3.endpoint_url}/{s3.public_bucket}/") and status == 200 and len(body) > 100
    # Pages may load images from the store: the Content-Security-Policy names its origin.
    assert s3.endpoint_url in client.get("/").headers["Content-Security-Policy"]


def test_a_private_document_is_never_public_and_reaches_people_through_the_audited_view(s3, client, coordinator):
    assign(coordinator, province_code="46")
    give_totp(coordinator)
    agreement = AgreementFactory()
    agreement.signed_document.save("signed.pdf", signed_pdf(), save=True)
    key = f"{storages['private'].location}/{agreement.signed_document.name}"
    raw = s3.client().get_object(Bucket=s3.private_bucket, Key=key)["Body"].read()
    assert raw.startswith(b"%PDF-")

    status, _ = anonymous_get(f"{s3.endpoint_url}/{s3.private_bucket}/{key}")
    assert status == 403
    with pytest.raises(ValueError, match="no public URL"):
        agreement.signed_document.url

    client.force_login(coordinator)
    response = client.get(reverse("orders_admin:agreement_document", args=[agreement.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
    assert AuditEvent.objects.filter(action="agreement.document_viewed").count() == 1


def test_a_stranger_gets_no_private_document(s3, client, purchaser):
    agreement = AgreementFactory()
    agreement.signed_document.save("signed.pdf", signed_pdf(), save=True)
    client.force_login(purchaser)
    response = client.get(reverse("orders_admin:agreement_document", args=[agreement.pk]))
    assert response.status_code in (302, 403, 404)
    assert not AuditEvent.objects.filter(action="agreement.document_viewed").exists()


def test_the_health_checks_see_the_store_and_its_absence(s3, client, s3_server):
    check_storage()
    assert client.get("/readyz").json()["storage"] == "ok"


def test_an_upload_with_the_store_unreachable_says_so_on_the_form_and_saves_nothing(s3_down, client, publisher):
    with pytest.raises(Exception):  # noqa: B017 (any of botocore's connection errors)
        check_storage()

    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "ไม่ควรบันทึก", "file": SimpleUploadedFile("rice.jpg", image_bytes("JPEG"), content_type="image/jpeg")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [str(STORE_UNREACHABLE)]
    assert not get_image_model().objects.filter(title="ไม่ควรบันทึก").exists()
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_a_store_that_fails_at_save_time_answers_a_clear_page_and_saves_nothing(
    s3_down, client, publisher, monkeypatch
):
    from marketplace.image_forms import ImageForm

    monkeypatch.setattr(ImageForm, "storage_fields", {})  # the store went away after the form's check

    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "ไม่ควรบันทึก", "file": SimpleUploadedFile("rice.jpg", image_bytes("JPEG"), content_type="image/jpeg")},
    )

    assert response.status_code == 503
    assert "ไม่มีสิ่งใดถูกบันทึก" in response.content.decode() or "nothing was saved" in response.content.decode()
    assert not get_image_model().objects.filter(title="ไม่ควรบันทึก").exists()


def test_a_consent_form_with_the_private_store_unreachable_says_so(s3_down):
    from producers.forms import ConsentForm

    evidence = SimpleUploadedFile("consent.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    form = ConsentForm(data={"status": "given", "scope": "programme"}, files={"evidence": evidence})

    assert not form.is_valid()
    assert form.errors["evidence"] == [str(STORE_UNREACHABLE)]
