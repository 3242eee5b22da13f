"""Image uploads through Wagtail's own add view: real images are kept; anything else, files over
10 MB and decompression bombs are refused with a message saying why."""

import io
import struct
import zlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from PIL import features
from wagtail.images import get_image_model

from cms.services import ensure_group_access
from tests.factories.households import GroupFactory, assign
from tests.factories.pages import image_bytes, make_image
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def collection(client, coordinator):
    """A Kalasin coordinator, signed in to the admin, who publishes for a group of the province."""
    assign(coordinator, province_code="46")
    give_totp(coordinator)
    access = ensure_group_access(GroupFactory())
    client.force_login(coordinator)
    return access.collection


def upload(client, name: str, content: bytes, content_type: str = "application/octet-stream"):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(reverse("wagtailimages:add"), {"title": "ภาพสินค้า", "file": file})


def refusal(response) -> tuple[str, str]:
    """(error code, message) of the file field, as the form shows it."""
    assert response.status_code == 200, "the form should be shown again with an error"
    error = response.context["form"].errors.as_data()["file"][0]
    message = error.messages[0]
    assert message in response.content.decode()
    return error.code, message


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims width × height pixels: what a decompression
    bomb looks like before anyone decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "fmt", "content_type"),
    [("silk.jpg", "JPEG", "image/jpeg"), ("rice.png", "PNG", "image/png"), ("basket.webp", "WEBP", "image/webp")],
)
def test_a_photo_is_accepted_into_the_collection(client, collection, name, fmt, content_type):
    response = upload(client, name, image_bytes(fmt, size=(1200, 900)), content_type)

    assert response.status_code == 302
    image = get_image_model().objects.get(title="ภาพสินค้า")
    assert (image.width, image.height) == (1200, 900)
    assert image.collection == collection


def test_an_iphone_heic_photo_is_accepted_and_shown_as_jpeg(client, collection):
    import io

    import pillow_heif
    from PIL import Image

    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (1600, 1200), "#7b2d8e")).save(buffer, quality=40)
    response = upload(client, "IMG_0042.HEIC", buffer.getvalue(), "image/heic")

    assert response.status_code == 302
    image = get_image_model().objects.get(title="ภาพสินค้า")
    assert (image.width, image.height) == (1600, 1200)
    rendition = image.get_rendition("max-800x800")
    assert rendition.url.endswith(".jpg") and (rendition.width, rendition.height) == (800, 600)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", "ราคาผ้าไหม 3,500 บาท".encode()),
        ("photo.jpg", b"this is not a picture at all"),
        ("invoice.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n"),
        ("page.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_something_that_is_not_an_image_is_refused(client, collection, name, content):
    code, _message = refusal(upload(client, name, content))

    assert code in {"invalid_image", "invalid_image_extension", "invalid_image_known_format"}
    assert not get_image_model().objects.exists()


def test_an_image_whose_extension_lies_about_its_format_is_refused(client, collection):
    code, _message = refusal(upload(client, "photo.png", image_bytes("JPEG")))

    assert code == "invalid_image_known_format"


def test_a_file_over_10_mb_is_refused(client, collection):
    # A real PNG padded past the limit (bytes after IEND are ignored by decoders).
    content = image_bytes("PNG") + b"\0" * (10 * MB)
    assert len(content) > settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE

    code, message = refusal(upload(client, "big.png", content, "image/png"))

    assert code == "file_too_large"
    assert "10.0" in message  # the limit, in MB
    assert not get_image_model().objects.exists()


def test_a_file_just_under_10_mb_is_accepted(client, collection):
    content = image_bytes("PNG")
    content += b"\0" * (settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE - len(content))

    assert upload(client, "big-but-fine.png", content, "image/png").status_code == 302


def test_an_image_with_too_many_pixels_is_refused(client, collection):
    # 48 megapixels in one bit per pixel: a small file that would take 144 MB once decoded as RGB.
    buffer = io.BytesIO()
    PILImage.new("1", (8000, 6000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < MB

    with pytest.warns(PILImage.DecompressionBombWarning):  # Pillow's guard sees it too
        response = upload(client, "poster.png", buffer.getvalue(), "image/png")

    code, message = refusal(response)
    assert code == "file_too_many_pixels"
    assert "40000000" in message


def test_a_decompression_bomb_is_refused_from_its_header(client, collection):
    bomb = png_claiming(100_000, 100_000)  # ten gigapixels in a few dozen bytes
    assert len(bomb) < 100

    code, _message = refusal(upload(client, "bomb.png", bomb, "image/png"))

    assert code == "file_too_many_pixels"
    assert not get_image_model().objects.exists()


def test_pillow_refuses_the_same_sizes_everywhere_else():
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == 40_000_000
    assert PILImage.MAX_IMAGE_PIXELS == settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
    with pytest.raises(PILImage.DecompressionBombError):
        PILImage.open(io.BytesIO(png_claiming(100_000, 100_000)))


def test_renditions_can_be_served_as_webp_and_avif(collection):
    assert features.check("webp"), "Pillow was built without WebP: {% picture format-webp %} would fail"
    image = make_image(collection, fmt="JPEG", size=(800, 600))

    for fmt in ("webp", "avif"):
        rendition = image.get_rendition(f"fill-400x300|format-{fmt}")
        with rendition.file.open("rb") as file:
            assert PILImage.open(file).format == fmt.upper()
        assert (rendition.width, rendition.height) == (400, 300)
