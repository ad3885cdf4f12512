"""The public form: one page per applicant type, the reader-file rules, and who may apply."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from libcard.core.audit import Actor
from libcard.core.models import AuditEntry
from libcard.individual.models import Document, IndividualApplication
from libcard.readers.services import cardholder_list_load
from tests.individual import (
    NATIONAL_ID,
    RESIDENT_OLD,
    document_files,
    form_data,
    submitted,
    years_ago,
)
from tests.support.readers import make_reader

pytestmark = pytest.mark.django_db


def url(applicant_type: str) -> str:
    return f"/apply/form/{applicant_type}/"


def apply(client, applicant_type: str, **overrides):
    data = {**form_data(applicant_type, **overrides), **document_files(applicant_type)}
    return client.post(url(applicant_type), data, HTTP_ACCEPT_LANGUAGE="en")


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def page_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


# -- the pages ---------------------------------------------------------------------------------
def test_the_start_page_offers_every_type(client):
    response = client.get("/apply/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    for applicant_type in ("national", "national_no_card", "child", "foreign"):
        assert f'href="/apply/form/{applicant_type}/"' in page
    assert "Citizen Digital Certificate" not in page  # no trust anchors configured here


@pytest.mark.parametrize(
    ("applicant_type", "documents"),
    [
        ("national", ["doc_id_front", "doc_id_back"]),
        ("national_no_card", ["doc_household"]),
        ("child", ["doc_guardian_id_front", "doc_guardian_id_back", "doc_household"]),
        ("foreign", ["doc_resident_front", "doc_resident_back"]),
    ],
)
def test_the_type_decides_the_documents_asked_for(client, applicant_type, documents):
    response = client.get(url(applicant_type), HTTP_ACCEPT_LANGUAGE="en")
    form = response.context["form"]
    assert [field.name for field in form.document_fields] == documents
    assert ("resident_expires_on" in form.fields) == (applicant_type == "foreign")
    assert ("guardian_name" in form.fields) == (applicant_type == "child")
    assert 'enctype="multipart/form-data"' in response.content.decode()
    assert "Personal Data Protection Act, Art. 8" in response.content.decode()


def test_an_unknown_type_is_not_found(client):
    assert client.get(url("martian")).status_code == 404


# -- success -----------------------------------------------------------------------------------
@pytest.mark.parametrize("applicant_type", ["national", "national_no_card", "child", "foreign"])
def test_an_application_waits_for_its_e_mail_confirmation(
    client, applicant_type, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, applicant_type)

    assert response.status_code == 302 and response["Location"] == "/apply/sent/"
    application = IndividualApplication.objects.get()
    assert application.status == "unconfirmed"
    assert application.submitted_at is None and application.due_on is None
    assert application.documents.count() == len(document_files(applicant_type))
    assert application.mobile == "0912345678"  # normalised as in the reader file
    [mail] = mailoutbox
    assert mail.to == [application.email]
    assert "/apply/confirm/" in mail.body and "/apply/status/" in mail.body
    assert application.national_id not in mail.body and application.national_id not in mail.subject
    entry = AuditEntry.objects.get(action="individual.submit")
    assert (entry.from_state, entry.to_state) == ("", "unconfirmed")

    page = client.get("/apply/sent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert application.reference in page and "x***@example.com" in page


def test_a_resident_gets_the_expiry_kept(client):
    expiry = timezone.localdate() + dt.timedelta(days=100)
    apply(client, "foreign", resident_expires_on=expiry.isoformat())
    application = IndividualApplication.objects.get()
    assert application.resident_expires_on == expiry
    assert application.id_kind == "resident_new"


def test_an_old_resident_number_is_accepted_with_a_warning(client):
    response = apply(client, "foreign", national_id=RESIDENT_OLD.lower())
    assert response.status_code == 302
    page = client.get("/apply/sent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2031-01-01" in page
    assert IndividualApplication.objects.get().id_kind == "resident_old"


def test_a_birth_date_in_roc_years_is_understood(client):
    apply(client, "national", birth_date="79/03/12")
    assert IndividualApplication.objects.get().birth_date == dt.date(1990, 3, 12)


# -- the single-value rules (shared with the reader data file) ---------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Please write your name."),
        ("name", "名" * 51, "longer than 50"),
        ("national_id", "A12345678", "not an ID or resident certificate number"),
        ("national_id", "A123456788", "check digit"),
        ("birth_date", "1990-02-30", "as a date"),
        ("birth_date", "2999-01-01", "in the future"),
        ("email", "someone@localhost", "check the e-mail"),
        ("mobile", "12345", "0912345678"),
        ("address", "  ", "Please write your address."),
    ],
)
def test_bad_values_get_clear_messages(client, field, value, message):
    response = apply(client, "national", **{field: value})
    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field)), field_errors(
        response, field
    )
    assert not IndividualApplication.objects.exists()


def test_consent_is_required(client):
    data = {**form_data("national"), **document_files("national")}
    del data["consent"]
    response = client.post(url("national"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert any("consent" in error for error in field_errors(response, "consent"))


def test_a_missing_document_is_asked_for(client):
    data = {**form_data("national"), **document_files("national")}
    del data["doc_id_back"]
    response = client.post(url("national"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert field_errors(response, "doc_id_back") == ["Please add this document."]
    assert not Document.objects.exists()


# -- type against number and age -----------------------------------------------------------------
@pytest.mark.parametrize("applicant_type", ["national", "national_no_card", "child"])
def test_a_resident_number_does_not_fit_a_national_type(client, applicant_type):
    response = apply(client, applicant_type, national_id="A800000014")
    assert any("resident certificate number" in e for e in field_errors(response, "national_id"))


def test_a_national_number_does_not_fit_the_foreign_type(client):
    response = apply(client, "foreign", national_id=NATIONAL_ID)
    assert any("national ID number" in e for e in field_errors(response, "national_id"))


@pytest.mark.parametrize("applicant_type", ["national", "national_no_card"])
def test_a_child_under_12_needs_the_guardian_s_documents(client, applicant_type):
    response = apply(client, applicant_type, birth_date=years_ago(11).isoformat())
    assert any("Child under 12" in e for e in field_errors(response, "birth_date"))


def test_the_child_type_is_for_children_under_12(client):
    response = apply(client, "child", birth_date=years_ago(13).isoformat())
    assert any("12 or older" in e for e in field_errors(response, "birth_date"))


def test_a_child_needs_the_guardian_s_name(client):
    response = apply(client, "child", guardian_name="")
    assert field_errors(response, "guardian_name")


def test_an_expired_resident_certificate_is_refused(client):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = apply(client, "foreign", resident_expires_on=yesterday.isoformat())
    assert any("expired" in e for e in field_errors(response, "resident_expires_on"))


# -- who may apply ---------------------------------------------------------------------------------
def test_a_reader_of_ours_is_told_to_use_the_card_they_have(client):
    make_reader(NATIONAL_ID)
    response = apply(client, "national")
    [error] = page_errors(response)
    assert "existing card" in error
    assert NATIONAL_ID not in error and "A12****789" not in error  # no ID in the message
    assert not IndividualApplication.objects.exists()


def test_a_cardholder_of_the_city_network_cannot_apply(client):
    cardholder_list_load(actor=Actor.system("cli"), source="city network", values=[NATIONAL_ID])
    response = apply(client, "national")
    assert any("existing card" in error for error in page_errors(response))


def test_only_one_application_per_number_is_under_review(client):
    submitted("national")
    response = apply(client, "national")
    assert any("already being reviewed" in error for error in page_errors(response))
    assert IndividualApplication.objects.count() == 1


def test_a_newer_application_replaces_an_unconfirmed_one(client):
    older = submitted("national", confirm=False)
    response = apply(client, "national", email="right.address@example.com")
    assert response.status_code == 302
    older.refresh_from_db()
    assert older.status == "lapsed"
    assert IndividualApplication.objects.get(status="unconfirmed").email == (
        "right.address@example.com"
    )


def test_too_many_applications_from_one_address_are_slowed_down(client, monkeypatch):
    from libcard.individual import views

    monkeypatch.setattr(views, "APPLY_RATE", 1)
    apply(client, "national")
    response = apply(client, "national", national_id="M162773050")
    assert response.status_code == 429
    assert IndividualApplication.objects.count() == 1
