"""Helpers shared by the individual-application tests: documents, form data, applications."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from PIL import Image

from libcard.core.audit import Actor
from libcard.identity.numbers import check_digit_for
from libcard.individual.models import DOCUMENTS_FOR, ApplicantType, IndividualApplication
from libcard.individual.services import (
    ApplicantData,
    application_confirm_email,
    application_submit,
)
from libcard.individual.uploads import check_document

APPLICANT = Actor("applicant", "", "", channel="web", ip="192.0.2.10")
REVIEWER = Actor("staff", "1", "reviewer", channel="web")

# Valid numbers of each kind (identity.md).
NATIONAL_ID = "A123456789"
RESIDENT_NEW = "A800000014"
RESIDENT_OLD = "AA00000009"


def national_id(seed: int, sex: str = "1") -> str:
    first = "BCDEFGHJKLMNPQRSTUVXYWZIO"[seed % 25] + sex + f"{(seed * 7919) % 10**7:07d}"
    return first + check_digit_for(first)


def resident_id(seed: int) -> str:
    first = "BCDEFGHJKLMNPQRSTUVXYWZIO"[seed % 25] + "8" + f"{(seed * 104729) % 10**7:07d}"
    return first + check_digit_for(first)


def years_ago(years: int, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def jpeg_bytes(size: tuple[int, int] = (64, 40), color: str = "steelblue", **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def png_bytes(size: tuple[int, int] = (64, 40), color: str = "seagreen") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A minimal one-page PDF, as a scanner would send (only its magic bytes are judged)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 120]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def form_data(applicant_type: str, **overrides: object) -> dict[str, object]:
    """What a person of this type types into the form (files not included)."""
    data: dict[str, object] = {
        "name": "王小明",
        "national_id": NATIONAL_ID,
        "birth_date": "1990-03-12",
        "email": "xiaoming@example.com",
        "mobile": "0912-345-678",
        "address": "臺中市西區五權西路一段2號",
        "consent": "on",
    }
    if applicant_type == ApplicantType.CHILD:
        data.update(
            name="王小華",
            birth_date=years_ago(8).isoformat(),
            guardian_name="王大明",
            national_id="A223456781",
        )
    if applicant_type == ApplicantType.FOREIGN:
        data.update(
            name="SMITH JOHN",
            national_id=RESIDENT_NEW,
            resident_expires_on=(timezone.localdate() + dt.timedelta(days=400)).isoformat(),
        )
    data.update(overrides)
    return data


def document_files(applicant_type: str) -> dict[str, object]:
    """One small file per document the type needs, in every accepted format."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    makers = [
        ("front.jpg", jpeg_bytes),
        ("back.png", png_bytes),
        ("page.pdf", pdf_bytes),
    ]
    files = {}
    for index, kind in enumerate(DOCUMENTS_FOR[applicant_type]):
        name, make = makers[index % len(makers)]
        files[f"doc_{kind}"] = SimpleUploadedFile(name, make())
    return files


def applicant_data(applicant_type: str = ApplicantType.NATIONAL, **overrides: object):
    raw = form_data(applicant_type)
    resident = raw.get("resident_expires_on")
    values = {
        "applicant_type": applicant_type,
        "number": raw["national_id"],
        "name": raw["name"],
        "birth_date": dt.date.fromisoformat(str(raw["birth_date"])),
        "email": raw["email"],
        "mobile": "0912345678",
        "address": raw["address"],
        "guardian_name": raw.get("guardian_name", ""),
        "resident_expires_on": dt.date.fromisoformat(str(resident)) if resident else None,
    }
    values.update(overrides)
    return ApplicantData(**values)  # type: ignore[arg-type]


def documents_for(applicant_type: str) -> dict[str, object]:
    return {kind: check_document(jpeg_bytes()) for kind in DOCUMENTS_FOR[applicant_type]}


def submitted(
    applicant_type: str = ApplicantType.NATIONAL,
    *,
    confirm: bool = True,
    now: dt.datetime | None = None,
    **overrides: object,
) -> IndividualApplication:
    """An application through the service, its e-mail confirmed unless told otherwise."""
    application = application_submit(
        actor=APPLICANT,
        data=applicant_data(applicant_type, **overrides),
        documents=documents_for(applicant_type),  # type: ignore[arg-type]
        now=now,
    )
    if confirm:
        application = application_confirm_email(actor=APPLICANT, application=application, now=now)
    return application


def fresh(application: IndividualApplication) -> IndividualApplication:
    return IndividualApplication.objects.get(pk=application.pk)
