"""Identity documents: content decides the type, limits hold, metadata never reaches storage."""

from __future__ import annotations

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from libcard.core.files import load_file
from libcard.individual.models import Document, IndividualApplication
from libcard.individual.uploads import UploadRefused, check_document
from tests.individual import form_data, jpeg_bytes, pdf_bytes, png_bytes

URL = "/apply/form/national/"


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A one-colour PNG of width×height pixels: a few dozen kilobytes on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + one bit per pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (24.0, 8.0, 30.0)
    gps[3] = "E"
    gps[4] = (120.0, 40.0, 12.0)
    buffer = io.BytesIO()
    Image.new("RGB", (80, 40), "orange").save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def post(client, **files: bytes):
    uploads = {
        "doc_id_front": SimpleUploadedFile("front.jpg", files.get("front", jpeg_bytes())),
        "doc_id_back": SimpleUploadedFile("back.jpg", files.get("back", png_bytes())),
    }
    return client.post(URL, {**form_data("national"), **uploads}, HTTP_ACCEPT_LANGUAGE="en")


def errors_of(response, field: str = "doc_id_front") -> list[str]:
    return response.context["form"].errors.get(field, [])


# -- the checker on its own ------------------------------------------------------------------
def test_a_decompression_bomb_is_refused_before_decoding():
    data = bomb_png()
    assert len(data) < 200_000

    with pytest.raises(UploadRefused) as caught:
        check_document(data)

    assert caught.value.code == "pixels"


def test_pillow_s_own_bomb_limit_also_becomes_a_clear_refusal(settings):
    # With our limit above Pillow's, its DecompressionBombError must still be a refusal.
    settings.INDIVIDUAL_UPLOAD_MAX_PIXELS = 10**12

    with pytest.raises(UploadRefused) as caught:
        check_document(bomb_png())

    assert caught.value.code == "pixels"


def test_the_name_does_not_matter_only_the_content():
    assert check_document(pdf_bytes()).content_type == "application/pdf"
    assert check_document(png_bytes()).content_type == "image/png"
    with pytest.raises(UploadRefused) as caught:
        check_document(b"GIF89a" + b"\x00" * 100)
    assert caught.value.code == "type"


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0garbage", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_a_damaged_image_is_refused(data):
    with pytest.raises(UploadRefused) as caught:
        check_document(data)
    assert caught.value.code == "damaged"


def test_a_truncated_jpeg_is_refused():
    data = jpeg_bytes((400, 300))
    with pytest.raises(UploadRefused) as caught:
        check_document(data[: len(data) // 2])
    assert caught.value.code == "damaged"


def test_the_re_encoded_image_keeps_no_metadata_and_stands_upright():
    checked = check_document(gps_jpeg())

    image = Image.open(io.BytesIO(checked.data))
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"Exif" not in checked.data and b"PhoneMaker" not in checked.data
    assert image.size == (40, 80)  # the EXIF orientation was applied before it was dropped


def test_a_huge_photo_is_scaled_down():
    checked = check_document(jpeg_bytes((5000, 3000)))
    assert (checked.width, checked.height) == (4000, 2400)


# -- through the form ------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_form_refuses_a_bomb_with_a_message_not_a_500(client):
    response = post(client, front=bomb_png())

    assert response.status_code == 200
    assert any("too many pixels" in error for error in errors_of(response))
    assert not IndividualApplication.objects.exists()


@pytest.mark.django_db
def test_a_pdf_named_jpg_is_kept_as_a_pdf(client):
    response = post(client, front=pdf_bytes())

    assert response.status_code == 302
    document = Document.objects.get(kind="id_front")
    assert document.content_type == "application/pdf"
    assert load_file(document.file_key) == pdf_bytes()


@pytest.mark.django_db
def test_a_text_file_named_jpg_is_refused(client):
    response = post(client, front=b"just some text, named front.jpg")

    assert response.status_code == 200
    assert any("JPEG or PNG" in error for error in errors_of(response))


@pytest.mark.django_db
def test_an_oversized_file_is_refused(client, settings):
    settings.INDIVIDUAL_UPLOAD_MAX_BYTES = 20_000
    response = post(client, back=jpeg_bytes((600, 600), "white", quality=100) + b"\x00" * 30_000)

    assert response.status_code == 200
    assert any("larger than" in error for error in errors_of(response, "doc_id_back"))
    assert not IndividualApplication.objects.exists()


@pytest.mark.django_db
def test_the_stored_copy_is_encrypted_and_has_no_exif(client, settings, tmp_path):
    response = post(client, front=gps_jpeg())

    assert response.status_code == 302
    document = Document.objects.get(kind="id_front")
    raw = next((tmp_path / "private").rglob("*.bin")).read_bytes()
    assert b"\xff\xd8\xff" not in raw[:16] and b"PhoneMaker" not in raw  # encrypted at rest
    stored = load_file(document.file_key)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert b"PhoneMaker" not in stored
    assert (document.width, document.height) == (40, 80)
