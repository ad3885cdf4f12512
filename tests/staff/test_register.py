"""Registering an official letter: institution, contact person, letter and attachments at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from libcard.core.models import AuditEntry
from libcard.groups.models import Attachment, ContactPerson, GroupApplication, Institution
from tests.staff import log_in, messages_of
from tests.support.factories import application

REGISTER = "/staff/applications/new/"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def _files(**named: bytes) -> dict[str, SimpleUploadedFile]:
    return {name: SimpleUploadedFile(name, data) for name, data in named.items()}


def _form(**overrides):
    today = timezone.localdate()
    data = {
        "contact_name": "王小明",
        "contact_title": "教務主任",
        "contact_phone": "04-12345678",
        "contact_email": "wang@school-a.example.edu.tw",
        "letter_number": "中市教字第1130099999號",
        "letter_date": (today - dt.timedelta(days=5)).isoformat(),
        "received_on": (today - dt.timedelta(days=2)).isoformat(),
        "batch_label": "第一批",
    }
    data.update(overrides)
    return data


def _private_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _counts():
    return (
        GroupApplication.objects.count(),
        Institution.objects.count(),
        ContactPerson.objects.count(),
        Attachment.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def staff_client(client, group_staff):
    return log_in(client, group_staff)


def test_it_shows_the_form_with_today_as_date_received(staff_client):
    response = staff_client.get(REGISTER)
    assert response.status_code == 200
    assert response.context["form"].initial["received_on"] == timezone.localdate()
    assert b'enctype="multipart/form-data"' in response.content


def test_it_prefills_the_institution_and_its_contact(staff_client, school_a, contact_a):
    response = staff_client.get(REGISTER, {"institution": school_a.pk})
    initial = response.context["form"].initial
    assert initial["institution"] == school_a
    assert initial["contact_email"] == contact_a.email


def test_it_registers_a_letter_with_attachments_and_serves_them_back(
    staff_client, settings, school_a, contact_a
):
    letter = SimpleUploadedFile("公文.pdf", PDF)
    form = SimpleUploadedFile("申請單.png", PNG)
    consent_1 = SimpleUploadedFile("同意書-1.jpg", JPEG)
    consent_2 = SimpleUploadedFile("同意書-2.pdf", PDF + b"2")
    data = _form(
        institution=school_a.pk,
        contact_name=contact_a.name,
        contact_title=contact_a.title,
        contact_phone=contact_a.phone,
        contact_email=contact_a.email,
        letter_files=[letter],
        form_files=[form],
        consent_files=[consent_1, consent_2],
    )
    response = staff_client.post(REGISTER, data, follow=True)
    app = GroupApplication.objects.get()
    assert response.redirect_chain[-1][0] == f"/staff/applications/{app.pk}/"
    assert "The letter is registered." in messages_of(response)
    assert app.institution == school_a
    assert app.contact == contact_a
    assert app.letter_number == "中市教字第1130099999號"
    assert app.status == "received"
    assert app.batch_label == "第一批"
    assert ContactPerson.objects.count() == 1  # same contact: no change recorded
    kinds = sorted(app.attachments.values_list("kind", flat=True))
    assert kinds == ["consent", "consent", "form", "letter"]
    # Encrypted at rest: the stored bytes are not the upload.
    for path in _private_files(settings):
        assert PDF not in path.read_bytes()
    for attachment, original in [
        (app.attachments.get(kind="letter"), PDF),
        (app.attachments.get(kind="form"), PNG),
        (app.attachments.get(original_name="同意書-1.jpg"), JPEG),
    ]:
        download = staff_client.get(f"/staff/applications/{app.pk}/attachments/{attachment.pk}/")
        assert download.status_code == 200
        assert download.content == original
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["Cache-Control"] == "no-store, private"
    assert download["Content-Type"] == "image/jpeg"
    assert AuditEntry.objects.filter(action="attachment.download").count() == 3
    assert AuditEntry.objects.filter(action="application.register", actor_label="group-staff")


def test_it_creates_a_new_institution_inline(staff_client):
    data = _form(
        new_name="高雄市立丙高級中學",
        new_code="583301",
        new_kind="school",
        new_county="高雄市",
        letter_files=[SimpleUploadedFile("letter.pdf", PDF)],
    )
    response = staff_client.post(REGISTER, data)
    assert response.status_code == 302
    school = Institution.objects.get(code="583301")
    assert school.name == "高雄市立丙高級中學"
    assert school.county == "高雄市"
    contact = school.current_contact
    assert contact.email == "wang@school-a.example.edu.tw"
    assert contact.recorded_by == "group-staff"
    app = GroupApplication.objects.get()
    assert app.contact == contact
    assert AuditEntry.objects.filter(action="institution.create", object_id=str(school.pk))


def test_it_records_a_changed_contact_person(staff_client, school_a, contact_a):
    response = staff_client.post(
        REGISTER,
        _form(institution=school_a.pk, contact_email="new@school-a.example.edu.tw"),
        follow=True,
    )
    assert response.status_code == 200
    contact_a.refresh_from_db()
    assert contact_a.ended_on is not None
    new = school_a.current_contact
    assert new.email == "new@school-a.example.edu.tw"
    assert GroupApplication.objects.get().contact == new
    assert AuditEntry.objects.filter(action="contact.change").count() == 1
    assert any("now has 王小明 as its contact person" in m for m in messages_of(response))


def test_it_updates_the_contact_details_when_only_the_phone_changed(
    staff_client, school_a, contact_a
):
    staff_client.post(
        REGISTER,
        _form(
            institution=school_a.pk,
            contact_name=contact_a.name,
            contact_title=contact_a.title,
            contact_email=contact_a.email.upper(),
            contact_phone="02-99999999",
        ),
    )
    contact_a.refresh_from_db()
    assert contact_a.phone == "02-99999999"
    assert contact_a.ended_on is None
    assert ContactPerson.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"letter_date": "2024-02-30"}, "letter_date", "Enter a valid date."),
        ({"letter_date": "yesterday"}, "letter_date", "Enter a valid date."),
        (
            {"letter_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
            "letter_date",
            "The letter date cannot be in the future.",
        ),
        (
            {"received_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
            "received_on",
            "The date received cannot be in the future.",
        ),
        (
            {"received_on": (dt.date.today() - dt.timedelta(days=30)).isoformat()},
            "received_on",
            "The date received cannot be before the letter date.",
        ),
        ({"contact_email": "not-an-address"}, "contact_email", "Enter a valid email address."),
        ({"letter_number": ""}, "letter_number", "This field is required."),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(
    staff_client, settings, school_a, contact_a, overrides, field, message
):
    before = _counts()
    data = _form(institution=school_a.pk, **overrides)
    data["letter_files"] = [SimpleUploadedFile("letter.pdf", PDF)]
    response = staff_client.post(REGISTER, data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert _counts() == before
    assert _private_files(settings) == []


def test_it_refuses_a_duplicate_letter_number(staff_client, settings, school_a, contact_a):
    application(school_a, contact_a, letter_number="中市教字第1130099999號")
    before = _counts()
    data = _form(institution=school_a.pk, letter_files=[SimpleUploadedFile("l.pdf", PDF)])
    response = staff_client.post(REGISTER, data)
    assert response.status_code == 200
    assert response.context["form"].errors["letter_number"] == [
        "This letter number is already registered for the institution."
    ]
    assert _counts() == before
    assert _private_files(settings) == []


def test_the_same_letter_number_may_come_from_another_institution(
    staff_client, school_a, contact_a, school_b
):
    application(school_a, contact_a, letter_number="中市教字第1130099999號")
    response = staff_client.post(REGISTER, _form(institution=school_b.pk))
    assert response.status_code == 302
    assert GroupApplication.objects.filter(institution=school_b).count() == 1


def test_it_refuses_a_file_that_is_not_pdf_png_or_jpeg_and_creates_nothing(
    staff_client, settings, school_a
):
    before = _counts()
    data = _form(
        new_name="新學校",
        new_code="123456",
        contact_email="someone@new.example.edu.tw",
        letter_files=[SimpleUploadedFile("letter.pdf", PDF)],
        form_files=[SimpleUploadedFile("form.pdf", b"MZ\x90\x00 this is a program")],
    )
    response = staff_client.post(REGISTER, data)
    assert response.status_code == 200
    assert response.context["form"].errors["form_files"] == [
        "“form.pdf” is not a PDF, PNG or JPEG file."
    ]
    assert "Nothing has been saved" in response.content.decode()
    assert _counts() == before
    assert _private_files(settings) == []


def test_it_refuses_a_file_over_the_size_limit(staff_client, settings, school_a):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    before = _counts()
    data = _form(
        institution=school_a.pk,
        other_files=[SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))],
    )
    response = staff_client.post(REGISTER, data)
    assert response.context["form"].errors["other_files"] == ["“big.pdf” is larger than 1 MB."]
    assert _counts() == before


def test_it_rolls_everything_back_when_the_service_refuses(
    staff_client, settings, monkeypatch, school_a
):
    """A refusal inside the service (here: a file it will not take) undoes the new institution
    and contact person too."""
    from libcard.groups import staff_forms

    monkeypatch.setattr(staff_forms, "document_type", lambda data: "application/pdf")
    before = _counts()
    data = _form(
        new_name="新學校",
        new_code="654321",
        letter_files=[SimpleUploadedFile("letter.exe", b"MZ not a document")],
    )
    response = staff_client.post(REGISTER, data)
    assert response.status_code == 200
    assert (
        "“letter.exe” is not a PDF, PNG or JPEG file."
        in response.context["form"].non_field_errors()
    )
    assert _counts() == before


def test_it_needs_an_institution(staff_client):
    response = staff_client.post(REGISTER, _form())
    assert response.context["form"].errors["new_name"] == [
        "Pick an institution, or give the name of a new one."
    ]
    assert GroupApplication.objects.count() == 0


def test_it_refuses_a_new_institution_with_a_code_that_exists(staff_client, school_a):
    response = staff_client.post(REGISTER, _form(new_name="重複", new_code=school_a.code))
    assert "already exists" in response.context["form"].errors["new_code"][0]
    assert Institution.objects.count() == 1


def test_it_warns_when_the_letter_is_older_than_six_months(staff_client, school_a, contact_a):
    old = timezone.localdate() - dt.timedelta(days=200)
    response = staff_client.post(
        REGISTER,
        _form(
            institution=school_a.pk,
            contact_email=contact_a.email,
            contact_name=contact_a.name,
            letter_date=old.isoformat(),
            received_on=old.isoformat(),
        ),
        follow=True,
    )
    assert any("more than six months old" in m for m in messages_of(response))


def test_it_refuses_both_a_picked_and_a_new_institution(staff_client, school_a):
    response = staff_client.post(REGISTER, _form(institution=school_a.pk, new_name="另一校"))
    assert response.status_code == 200
    assert (
        "leave the new institution's fields empty" in response.context["form"].errors["new_name"][0]
    )
    assert GroupApplication.objects.count() == 0
