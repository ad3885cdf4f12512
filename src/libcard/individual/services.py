"""Individual applications: every state change is one of these functions.

Each transition locks the application row, checks the current state against
libcard.individual.states, changes it and writes the audit log (who, when, from,
to, why) in one transaction, so two reviewers clicking at once, a double-submitted
form or a retried job cannot decide an application twice or issue two cards.
E-mails go out only once the transaction has committed (libcard.core.mail).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from libcard.core.audit import Actor, audit
from libcard.core.crypto import id_index
from libcard.core.files import delete_file, store_file
from libcard.core.mail import send_later
from libcard.core.workdays import UnknownYear, library_calendar
from libcard.identity.certificate import SignerIdentity, match_applicant
from libcard.identity.numbers import check_id, mask_id
from libcard.individual.models import (
    DOCUMENTS_FOR,
    NATIONAL_TYPES,
    ApplicantType,
    Document,
    IndividualApplication,
    Method,
    RejectReason,
)
from libcard.individual.selectors import eligibility_problem
from libcard.individual.states import NEW, Status, TransitionNotAllowed, target_of
from libcard.individual.uploads import CheckedDocument
from libcard.readers.models import Card, Reader
from libcard.readers.services import (
    NewReader,
    cardholders_among,
    initial_password_new,
    reader_build,
)

logger = logging.getLogger(__name__)

CONFIRM_SALT = "libcard.individual.confirm"
STATUS_SALT = "libcard.individual.status"
DEFAULT_REVIEW_WORKING_DAYS = 3
DEFAULT_CONFIRM_DAYS = 3
SET_PASSWORD_DAYS = 7
STATUS_LINK_DAYS = 365
# On its due day, an application still waiting at this hour will not be decided in
# time: the applicant hears so that afternoon rather than after the promise broke.
DELAY_NOTICE_HOUR = 14
CERTIFICATE_DECIDER = "Citizen Digital Certificate"


class ApplicationError(Exception):
    """A request the application's state or data does not allow; the message says why."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ApplicantData:
    applicant_type: str
    number: str  # normalised
    name: str
    birth_date: dt.date
    email: str
    mobile: str
    address: str
    guardian_name: str = ""
    resident_expires_on: dt.date | None = None


def review_working_days() -> int:
    return int(getattr(settings, "INDIVIDUAL_REVIEW_WORKING_DAYS", DEFAULT_REVIEW_WORKING_DAYS))


def confirm_days() -> int:
    return int(getattr(settings, "INDIVIDUAL_CONFIRM_DAYS", DEFAULT_CONFIRM_DAYS))


# -- signed links (no tables, no login) ----------------------------------------------------------
def confirm_token(application: IndividualApplication) -> str:
    return signing.dumps({"a": application.pk}, salt=CONFIRM_SALT)


def application_from_confirm_token(token: str) -> IndividualApplication | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=dt.timedelta(days=confirm_days()))
    except signing.BadSignature:
        return None
    return IndividualApplication.objects.filter(pk=data.get("a")).first()


def status_token(application: IndividualApplication) -> str:
    return signing.dumps({"a": application.pk}, salt=STATUS_SALT)


def application_from_status_token(token: str) -> IndividualApplication | None:
    try:
        data = signing.loads(token, salt=STATUS_SALT, max_age=dt.timedelta(days=STATUS_LINK_DAYS))
    except signing.BadSignature:
        return None
    return IndividualApplication.objects.filter(pk=data.get("a")).first()


def status_url(application: IndividualApplication) -> str:
    return settings.SITE_URL + reverse("individual:status", args=[status_token(application)])


def _mail(application: IndividualApplication, template: str, **extra: object) -> None:
    send_later(
        application.email,
        f"individual_{template}",
        {
            "application": application,
            "reference": application.reference,
            "status_url": status_url(application),
            "apply_url": settings.SITE_URL + reverse("individual:start"),
            "review_days": review_working_days(),
            **extra,
        },
    )


# -- transitions ---------------------------------------------------------------------------------
def _locked(application: IndividualApplication) -> IndividualApplication:
    return IndividualApplication.objects.select_for_update().get(pk=application.pk)


def _move(
    actor: Actor,
    application: IndividualApplication,
    transition: str,
    *,
    reason: str = "",
    **details: object,
) -> str:
    """Check and set the new state; the caller holds the row lock. Returns the old state."""
    current = application.status
    application.status = target_of(transition, current)
    if application.pk is None:
        return current  # the caller saves first and audits with _audit_move
    _audit_move(actor, application, transition, current, reason=reason, **details)
    return current


def _audit_move(
    actor: Actor,
    application: IndividualApplication,
    transition: str,
    from_state: str,
    *,
    reason: str = "",
    **details: object,
) -> None:
    audit(
        actor,
        f"individual.{transition}",
        application,
        from_state=from_state,
        to_state=application.status,
        reason=reason,
        **details,
    )


def _refuse_ineligible(number: str) -> None:
    problem = eligibility_problem(number)
    if problem == "cardholder":
        raise ApplicationError(
            _("You already hold a card: you can use the digital resources with it."), problem
        )
    if problem == "open":
        raise ApplicationError(
            _("An application with this ID number is already being reviewed."), problem
        )


def _replace_unconfirmed(actor: Actor, number: str, now: dt.datetime) -> None:
    """An unconfirmed application does not count yet: a newer one replaces it."""
    for older in IndividualApplication.objects.select_for_update().filter(
        id_index=id_index(number), status=Status.UNCONFIRMED
    ):
        _lapse(actor, older, now=now, why="replaced by a newer application")


def _new_application(
    data: ApplicantData, *, method: str, now: dt.datetime
) -> IndividualApplication:
    kind = check_id(data.number).kind
    return IndividualApplication(
        method=method,
        applicant_type=data.applicant_type,
        id_index=id_index(data.number),
        national_id=data.number,
        id_masked=mask_id(data.number),
        id_kind=kind.value if kind else "",
        name=data.name,
        birth_date=data.birth_date,
        email=data.email,
        mobile=data.mobile,
        address=data.address,
        guardian_name=data.guardian_name,
        resident_expires_on=(
            data.resident_expires_on if data.applicant_type == ApplicantType.FOREIGN else None
        ),
        consented_at=now,
        created_at=now,
    )


def _save_new(application: IndividualApplication) -> None:
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # The partial unique index: another request opened one for this number just now.
        raise ApplicationError(
            _("An application with this ID number is already being reviewed."), "open"
        ) from None


@transaction.atomic
def application_submit(
    *,
    actor: Actor,
    data: ApplicantData,
    documents: dict[str, CheckedDocument],
    now: dt.datetime | None = None,
) -> IndividualApplication:
    """Keep the application and its documents; it counts once the e-mail is confirmed."""
    now = now or timezone.now()
    wanted = DOCUMENTS_FOR.get(data.applicant_type)
    if wanted is None:
        raise ApplicationError(_("Unknown applicant type."), "type")
    if set(documents) != set(wanted):
        raise ApplicationError(_("The documents for this applicant type are missing."), "documents")
    _refuse_ineligible(data.number)
    _replace_unconfirmed(actor, data.number, now)
    application = _new_application(data, method=Method.DOCUMENTS, now=now)
    _move(actor, application, "submit")
    _save_new(application)
    stored: list[str] = []
    try:
        for kind in wanted:
            document = documents[kind]
            key = store_file(document.data, folder="identity-documents")
            stored.append(key)
            Document.objects.create(
                application=application,
                kind=kind,
                file_key=key,
                content_type=document.content_type,
                size=len(document.data),
                width=document.width,
                height=document.height,
                uploaded_at=now,
            )
    except BaseException:
        # The rows roll back with the transaction; the encrypted files must go too.
        for key in stored:
            delete_file(key)
        raise
    _audit_move(
        actor,
        application,
        "submit",
        NEW,
        applicant_type=data.applicant_type,
        documents=len(wanted),
    )
    confirm_url = settings.SITE_URL + reverse(
        "individual:confirm", args=[confirm_token(application)]
    )
    _mail(application, "confirm", confirm_url=confirm_url, days=confirm_days())
    return application


def due_date(submitted_at: dt.datetime) -> dt.date | None:
    """Three working days after the day of submission; None when the calendar lacks the year."""
    try:
        return library_calendar().add_working_days(
            timezone.localdate(submitted_at), review_working_days()
        )
    except UnknownYear as exc:
        logger.warning("individual application due date unknown: %s", exc)
        return None


@transaction.atomic
def application_confirm_email(
    *, actor: Actor, application: IndividualApplication, now: dt.datetime | None = None
) -> IndividualApplication:
    """The applicant followed the link: the application enters the queue, the clock starts."""
    now = now or timezone.now()
    application = _locked(application)
    _move(actor, application, "confirm_email")
    application.submitted_at = now
    application.due_on = due_date(now)
    application.save(update_fields=["status", "submitted_at", "due_on"])
    return application


def _issue_card(
    application: IndividualApplication, *, now: dt.datetime, email_verified: bool
) -> tuple[Reader, Card]:
    result = check_id(application.national_id)
    reader = reader_build(
        NewReader(
            number=application.national_id,
            name=application.name,
            birth_date=application.birth_date,
            sex=result.sex or "",
            email=application.email,
            mobile=application.mobile,
            address=application.address,
        ),
        # Never shown: the applicant sets their own password through the e-mailed link.
        secret=initial_password_new(),
        now=now,
        email_verified=email_verified,
        # The personal-data notice and the card's terms were accepted in the application.
        notice_accepted_at=application.consented_at,
    )
    try:
        with transaction.atomic():
            reader.save()
    except IntegrityError:
        raise ApplicationError(
            _(
                "This person already holds a card (it was issued after the application "
                "arrived); reject the application as not eligible."
            ),
            "cardholder",
        ) from None
    card = Card.objects.create(
        reader=reader,
        type=Card.Type.DIGITAL,
        source=Card.Source.INDIVIDUAL,
        issued_at=now,
        expires_on=application.resident_expires_on if application.is_resident else None,
    )
    application.reader, application.card = reader, card
    return reader, card


def _mail_approved(application: IndividualApplication, reader: Reader) -> None:
    from libcard.accounts.reader_views import password_link

    _mail(
        application,
        "approved",
        reader=reader,
        card=application.card,
        password_url=password_link(reader, valid_for=dt.timedelta(days=SET_PASSWORD_DAYS)),
        password_days=SET_PASSWORD_DAYS,
        login_url=settings.SITE_URL + reverse("reader:login"),
        forgot_url=settings.SITE_URL + reverse("reader:forgot"),
    )


@transaction.atomic
def application_approve(
    *, actor: Actor, application: IndividualApplication, now: dt.datetime | None = None
) -> IndividualApplication:
    """The documents match: the reader account and a digital card, and the e-mail."""
    now = now or timezone.now()
    application = _locked(application)
    current = application.status
    target_of("approve", current)  # refuse before creating anything
    if cardholders_among([application.national_id]):
        raise ApplicationError(
            _("This person already holds a card; reject the application as not eligible."),
            "cardholder",
        )
    reader, card = _issue_card(application, now=now, email_verified=True)
    _move(actor, application, "approve", reader=reader.pk, card=card.pk)
    application.decided_at = now
    application.decided_by = actor.label[:150]
    application.save(update_fields=["status", "decided_at", "decided_by", "reader", "card"])
    _mail_approved(application, reader)
    return application


@transaction.atomic
def application_reject(
    *,
    actor: Actor,
    application: IndividualApplication,
    reason: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> IndividualApplication:
    now = now or timezone.now()
    note = note.strip()
    if reason not in RejectReason.values:
        raise ApplicationError(_("Choose a reason from the list."), "reason")
    if reason == RejectReason.OTHER and not note:
        raise ApplicationError(_("Please explain the reason for “Other”."), "reason")
    application = _locked(application)
    label = str(RejectReason(reason).label)
    _move(actor, application, "reject", reason=f"{reason}: {note}" if note else reason)
    application.decided_at = now
    application.decided_by = actor.label[:150]
    application.reject_reason = reason
    application.reject_note = note
    application.save(
        update_fields=["status", "decided_at", "decided_by", "reject_reason", "reject_note"]
    )
    _mail(application, "rejected", reason_label=label, note=note)
    return application


def _lapse(actor: Actor, application: IndividualApplication, *, now: dt.datetime, why: str) -> None:
    _move(actor, application, "lapse", reason=why)
    application.lapsed_at = now
    application.save(update_fields=["status", "lapsed_at"])


@transaction.atomic
def application_lapse(
    *,
    actor: Actor,
    application: IndividualApplication,
    why: str,
    now: dt.datetime | None = None,
) -> IndividualApplication:
    application = _locked(application)
    _lapse(actor, application, now=now or timezone.now(), why=why)
    return application


@transaction.atomic
def application_certificate(
    *,
    actor: Actor,
    data: ApplicantData,
    signer: SignerIdentity,
    now: dt.datetime | None = None,
) -> IndividualApplication:
    """A verified Citizen Digital Certificate signature: the card opens at once.

    ``signer`` comes from libcard.identity.certificate.verify_nonce_signature; here it
    is linked to the applicant (name and the ID's last four digits) or refused with
    CertificateRefused. Only the certificate's issuer, serial and fingerprint stay.
    """
    now = now or timezone.now()
    if data.applicant_type not in NATIONAL_TYPES or not check_id(data.number).is_national:
        raise ApplicationError(
            _("The Citizen Digital Certificate path is for nationals with an ID number."),
            "type",
        )
    match_applicant(signer, name=data.name, national_id=data.number)
    _refuse_ineligible(data.number)
    _replace_unconfirmed(actor, data.number, now)
    application = _new_application(data, method=Method.CERTIFICATE, now=now)
    _move(actor, application, "certificate")
    application.submitted_at = application.decided_at = now
    application.decided_by = CERTIFICATE_DECIDER
    application.certificate_issuer = signer.issuer[:300]
    application.certificate_serial = signer.serial_hex[:80]
    application.certificate_sha256 = signer.sha256_fingerprint
    _save_new(application)
    reader, card = _issue_card(application, now=now, email_verified=False)
    application.save(update_fields=["reader", "card"])
    _audit_move(
        actor,
        application,
        "certificate",
        NEW,
        reason="certificate verified",
        reader=reader.pk,
        card=card.pk,
    )
    _mail_approved(application, reader)
    return application


# -- periodic work -------------------------------------------------------------------------------
def applications_lapse_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Unconfirmed applications whose link has expired stop blocking a new one."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=confirm_days())
    count = 0
    for application in IndividualApplication.objects.filter(
        status=Status.UNCONFIRMED, created_at__lt=cutoff
    ):
        try:
            application_lapse(
                actor=Actor.system(), application=application, why="link expired", now=now
            )
            count += 1
        except TransitionNotAllowed:
            continue  # confirmed at the last moment
    return count


def delay_due(application: IndividualApplication, now: dt.datetime) -> bool:
    """Will this application miss its due date? (today is the due day, and it is afternoon)"""
    if application.due_on is None:
        return False
    local = timezone.localtime(now)
    return application.due_on < local.date() or (
        application.due_on == local.date() and local.hour >= DELAY_NOTICE_HOUR
    )


def applications_notify_delayed(*, now: dt.datetime | None = None) -> int:
    """The letter's promise: an applicant whose review takes longer is told so, once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    count = 0
    candidates = IndividualApplication.objects.filter(
        status=Status.SUBMITTED, delay_notified_at__isnull=True, due_on__lte=today
    ).order_by("submitted_at", "id")
    for application in candidates:
        if not delay_due(application, now):
            continue
        with transaction.atomic():
            # A conditional UPDATE claims the notice: two workers never both send it.
            claimed = IndividualApplication.objects.filter(
                pk=application.pk, status=Status.SUBMITTED, delay_notified_at__isnull=True
            ).update(delay_notified_at=now)
            if not claimed:
                continue
            audit(
                Actor.system(),
                "individual.delay_notice",
                application,
                due_on=str(application.due_on),
            )
            _mail(application, "delayed", due_on=application.due_on)
        count += 1
    return count


__all__ = [
    "ApplicantData",
    "ApplicationError",
    "TransitionNotAllowed",
    "application_approve",
    "application_certificate",
    "application_confirm_email",
    "application_lapse",
    "application_reject",
    "application_submit",
    "applications_lapse_unconfirmed",
    "applications_notify_delayed",
]


def due_dates_recompute() -> int:
    """After a change of the library's calendar: the review due dates, counted again."""
    changed = 0
    for application in IndividualApplication.objects.filter(
        status=Status.SUBMITTED, submitted_at__isnull=False
    ):
        due = due_date(application.submitted_at)
        if due != application.due_on:
            IndividualApplication.objects.filter(pk=application.pk).update(due_on=due)
            changed += 1
    return changed
