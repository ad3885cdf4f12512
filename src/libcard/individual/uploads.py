"""Identity documents as uploaded: JPEG, PNG or PDF, judged by content, never by name.

Images are decoded with Pillow under a pixel limit (a decompression bomb is refused
before its pixels are unpacked) and re-encoded from their pixels alone, so EXIF
(with GPS positions), XMP, comments and colour profiles do not reach our storage.
The orientation a phone wrote into EXIF is applied first, so the image still
stands upright. PDFs cannot be re-encoded without a PDF library; they are only
ever handed to reviewers as downloads.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from libcard.core.uploads import read_capped

logger = logging.getLogger(__name__)

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
# Phone photos are far larger than a card needs; this keeps every line of a
# household registration page readable and the stored files small.
LONGEST_SIDE = 4000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000  # a 50-megapixel photo; a bomb claims far more


class UploadRefused(Exception):
    """The file is not taken; ``message`` tells the applicant why (translated)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    data: bytes  # what is stored: re-encoded for images, as sent for PDFs
    content_type: str
    width: int | None = None
    height: int | None = None


def max_bytes() -> int:
    return int(getattr(settings, "INDIVIDUAL_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "INDIVIDUAL_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def sniff(data: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def check_upload(upload: UploadedFile) -> CheckedDocument:
    limit = max_bytes()
    data = read_capped(upload, limit)
    if data is None:
        raise UploadRefused(
            "too_large",
            _("The file is larger than %(limit)d MB; please send a smaller photo or scan.")
            % {"limit": limit // (1024 * 1024)},
        )
    return check_document(data)


def check_document(data: bytes) -> CheckedDocument:
    if len(data) > max_bytes():
        raise UploadRefused(
            "too_large",
            _("The file is larger than %(limit)d MB; please send a smaller photo or scan.")
            % {"limit": max_bytes() // (1024 * 1024)},
        )
    if not data:
        raise UploadRefused("empty", _("The file is empty."))
    kind = sniff(data)
    if kind is None:
        raise UploadRefused(
            "type", _("Only JPEG or PNG images and PDF files are accepted; this file is neither.")
        )
    if kind == PDF:
        return CheckedDocument(data, PDF)
    return _reencode(data, kind)


def _too_many_pixels() -> UploadRefused:
    return UploadRefused(
        "pixels",
        _(
            "The image has too many pixels (more than %(limit)d million); "
            "please send a smaller photo."
        )
        % {"limit": max_pixels() // 1_000_000},
    )


def _damaged() -> UploadRefused:
    return UploadRefused(
        "damaged", _("The image could not be read; it may be damaged. Please take it again.")
    )


def _reencode(data: bytes, kind: str) -> CheckedDocument:
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            # Pillow warns (and later refuses) on huge images with its own global
            # limit; with ours lower, any of its warnings means a bomb too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[kind]]) as image:
                # Only the header is read so far: refuse before any pixel is unpacked.
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise _damaged()
                if width * height > limit:
                    raise _too_many_pixels()
                image.load()
                clean = _pixels_only(ImageOps.exif_transpose(image))
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception as exc:
        # Hostile input breaks decoders in ways no list anticipates; it is just unreadable.
        logger.info("identity image refused as damaged: %s", type(exc).__name__)
        raise _damaged() from exc
    if max(clean.size) > LONGEST_SIDE:
        clean.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    if kind == JPEG:
        if clean.mode not in ("L", "RGB"):
            clean = clean.convert("RGB")
        clean.save(output, format="JPEG", quality=90, optimize=True)
    else:
        clean.save(output, format="PNG", optimize=False)
    return CheckedDocument(output.getvalue(), kind, clean.size[0], clean.size[1])


def _pixels_only(image: Image.Image) -> Image.Image:
    """A copy with the pixels (and palette transparency) and no metadata at all."""
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    clean = image.copy()
    transparency = image.info.get("transparency")
    clean.info = {"transparency": transparency} if transparency is not None else {}
    return clean
