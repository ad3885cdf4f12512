"""A small world with one of everything, and a logged-in client for each role."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from libcard.accounts.reader_session import HASH_KEY, READER_KEY
from libcard.accounts.services import session_hash
from libcard.core.audit import Actor
from libcard.core.models import Closure
from libcard.groups import issuance, services
from libcard.groups.services import AttachmentUpload, signup_token
from libcard.individual.services import confirm_token, status_token
from libcard.platforms.services import platform_register
from libcard.readers.models import Card, CorrectionRequest, Reader
from tests.individual import submitted
from tests.support import factories

ROLES = ("anonymous", "reader", "contact_a", "contact_b", "reviewer", "group", "admin")
STAFF_ACTOR = Actor("staff", "1", "group-staff")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    args: dict[str, dict[str, object]]  # url name → kwargs
    clients: dict[str, Client]


def build() -> World:
    group = factories.staff("group-staff", "group")
    reviewer = factories.staff("reviewer", "reviewer")
    admin = factories.staff("admin-staff", "admin")
    school_a = factories.institution("臺中市立甲國民小學", "193601")
    school_b = factories.institution("新北市立乙國民中學", "014501")
    contact_a = factories.contact(school_a, "contact-a@school-a.example.edu.tw")
    contact_b = factories.contact(school_b, "contact-b@school-b.example.edu.tw")
    newcomer = factories.contact(school_b, "new@school-b.example.edu.tw", with_user=False)

    application = factories.application(school_a, contact_a)
    services.attachment_add(
        actor=STAFF_ACTOR,
        application=application,
        upload=AttachmentUpload("form", "申請單.pdf", PDF, "application/pdf"),
    )
    application = services.application_approve(actor=STAFF_ACTOR, application=application)
    rows = factories.reader_rows(3)
    rows[0][6] = ""  # an e-mail warning, so the annotated copy exists
    submission = services.submission_upload(
        actor=STAFF_ACTOR,
        application=application,
        filename="readers.xlsx",
        data=factories.reader_file_xlsx(rows),
    )
    services.submission_submit(actor=STAFF_ACTOR, submission=submission)
    services.application_issue(actor=STAFF_ACTOR, application=application)
    issuance.cards_issue(application_id=application.pk)
    application.refresh_from_db()
    attachment = application.attachments.first()

    reader = Reader.objects.filter(institution=school_a).order_by("pk").first()
    Reader.objects.filter(pk=reader.pk).update(notice_accepted_at=timezone.now())
    reader.refresh_from_db()
    card = Card.objects.filter(reader=reader).first()
    correction = CorrectionRequest.objects.create(
        reader=reader, field="name", requested_value="王小明"
    )
    platform = platform_register(actor=STAFF_ACTOR, name="平台", api=True, allow=["127.0.0.1"])
    closure = Closure.objects.create(day=timezone.localdate(), reason="盤點")
    individual = submitted()
    document = individual.documents.first()

    pk = {"pk": application.pk}
    sub = {"pk": application.pk, "submission_pk": submission.pk}
    args: dict[str, dict[str, object]] = {
        "front:template": {"fmt": "xlsx"},
        "staff:application": pk,
        "staff:application_approve": pk,
        "staff:application_reject": pk,
        "staff:application_return": pk,
        "staff:application_issue": pk,
        "staff:application_resume": pk,
        "staff:attachment_add": pk,
        "staff:attachment_download": {"pk": application.pk, "attachment_pk": attachment.pk},
        "staff:submission": sub,
        "staff:submission_download": sub,
        "staff:submission_annotated": sub,
        "staff:institution": {"pk": school_a.pk},
        "staff:institution_contact": {"pk": school_a.pk},
        "staff:reader": {"pk": reader.pk},
        "staff:reader_reveal": {"pk": reader.pk},
        "staff:reader_password_reset": {"pk": reader.pk},
        "staff:card_issue_physical": {"pk": reader.pk},
        "staff:card_suspend": {"pk": reader.pk, "card_pk": card.pk},
        "staff:card_restore": {"pk": reader.pk, "card_pk": card.pk},
        "staff:correction": {"pk": reader.pk, "correction_pk": correction.pk},
        "staff:totp_reset": {"pk": group.pk},
        "staff:platform": {"pk": platform.platform.pk},
        "staff:platform_new_key": {"pk": platform.platform.pk},
        "staff:platform_sip2": {"pk": platform.platform.pk},
        "staff:closure_delete": {"pk": closure.pk},
        "portal:signup": {"token": signup_token(newcomer)},
        "portal:password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "portal:application": pk,
        "portal:upload": pk,
        "portal:submission": {"pk": application.pk, "sid": submission.pk},
        "portal:submission_submit": {"pk": application.pk, "sid": submission.pk},
        "portal:submission_annotated": {"pk": application.pk, "sid": submission.pk},
        "portal:submission_file": {"pk": application.pk, "sid": submission.pk},
        "portal:roster": {"pk": application.pk, "fmt": "xlsx"},
        "api:reader": {"pseudonym": "0" * 32},
        "reader:email_confirm": {"token": "not-a-token"},
        "reader:reset": {"token": "not-a-token"},
        "individual:form": {"applicant_type": "national"},
        "individual:confirm": {"token": confirm_token(individual)},
        "individual:status": {"token": status_token(individual)},
        "review:application": {"pk": individual.pk},
        "review:approve": {"pk": individual.pk},
        "review:reject": {"pk": individual.pk},
        "review:reveal": {"pk": individual.pk},
        "review:document": {"pk": individual.pk, "document_pk": document.pk},
    }

    clients = {role: Client(HTTP_ACCEPT_LANGUAGE="en") for role in ROLES}
    for role, user in (("contact_a", contact_a.user), ("contact_b", contact_b.user)):
        clients[role].force_login(user)
    for role, user in (("reviewer", reviewer), ("group", group), ("admin", admin)):
        clients[role].force_login(user)
        session = clients[role].session
        session["staff_2fa_ok"] = True
        session.save()
    session = clients["reader"].session
    session[READER_KEY] = reader.pk
    session[HASH_KEY] = session_hash(reader)
    session.save()
    return World(args, clients)
