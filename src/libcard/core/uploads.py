"""The web side of the reader-file checker: read an upload safely, judge it, annotate it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from libcard.readerfile.annotate import annotated_copy
from libcard.readerfile.container import Limits, refuse
from libcard.readerfile.judge import ReaderRow
from libcard.readerfile.model import FileRefused, Report
from libcard.readerfile.reader import check_file, sheet_rows
from libcard.textcatalog import django_translator

logger = logging.getLogger(__name__)


def reader_file_limits() -> Limits:
    return Limits(
        max_bytes=settings.READERFILE_MAX_BYTES,
        max_inflated=settings.READERFILE_MAX_INFLATED,
        max_rows=settings.READERFILE_MAX_ROWS,
    )


@dataclass(slots=True)
class CheckOutcome:
    filename: str
    data: bytes
    report: Report | None = None
    refused: FileRefused | None = None
    annotated: bytes | None = None
    readers: list[ReaderRow] | None = None
    kind: str = ""

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok


def read_capped(upload: UploadedFile, limit: int) -> bytes | None:
    """The upload's bytes, or None when it is over the limit (never more than limit+1 read)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def safe_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "upload"
    return "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')[:120]


def annotated_name(filename: str) -> str:
    stem = os.path.splitext(filename)[0] or "reader-file"
    return f"{stem}-{_('annotated')}.xlsx"


def check_bytes(data: bytes, filename: str, *, collect: bool = False) -> CheckOutcome:
    limits = reader_file_limits()
    t = django_translator()
    outcome = CheckOutcome(filename=filename, data=data)
    try:
        result = check_file(data, filename, limits=limits, t=t, collect=collect)
    except FileRefused as refused:
        outcome.refused = refused
        logger.info("reader file refused: %s (%s bytes)", refused.code, len(data))
        return outcome
    outcome.report = result.report
    outcome.kind = result.kind
    outcome.readers = result.readers if collect else None
    if result.report.issues:
        rows = sheet_rows(data, filename, result.report.sheet, limits=limits)
        outcome.annotated = annotated_copy(
            rows=rows, sheet_name=result.report.sheet, report=result.report
        )
    return outcome


def check_upload(upload: UploadedFile, *, collect: bool = False) -> CheckOutcome:
    filename = safe_filename(upload.name or "")
    limits = reader_file_limits()
    data = read_capped(upload, limits.max_bytes)
    if data is None:
        t = django_translator()
        refused = refuse(t, "file.too_large", limit=limits.max_bytes // (1024 * 1024))
        return CheckOutcome(filename=filename, data=b"", refused=refused)
    return check_bytes(data, filename, collect=collect)
