"""Individual applications, their identity documents and the certificate nonces.

The ID number and the birth date are stored only encrypted, with a keyed blind
index for look-ups (libcard.core.crypto); the documents are encrypted files
(libcard.core.files) that the retention job deletes after the decision, while
the decision and who made it stay.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libcard.core.fields import EncryptedDateField, EncryptedTextField
from libcard.individual.states import OPEN_STATES, Status


class ApplicantType(models.TextChoices):
    NATIONAL = "national", _("National with an ID card")
    NATIONAL_NO_CARD = "national_no_card", _("National without an ID card yet")
    CHILD = "child", _("Child under 12")
    FOREIGN = "foreign", _("Foreign national or resident")


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", _("ID card, front")
    ID_BACK = "id_back", _("ID card, back")
    HOUSEHOLD = "household", _("Household registration page")
    GUARDIAN_ID_FRONT = "guardian_id_front", _("Parent's or guardian's ID card, front")
    GUARDIAN_ID_BACK = "guardian_id_back", _("Parent's or guardian's ID card, back")
    RESIDENT_FRONT = "resident_front", _("Resident certificate, front")
    RESIDENT_BACK = "resident_back", _("Resident certificate, back")


# The one list of which documents each applicant type uploads (workflows.md's table).
DOCUMENTS_FOR: dict[str, tuple[str, ...]] = {
    ApplicantType.NATIONAL: (DocumentKind.ID_FRONT, DocumentKind.ID_BACK),
    ApplicantType.NATIONAL_NO_CARD: (DocumentKind.HOUSEHOLD,),
    ApplicantType.CHILD: (
        DocumentKind.GUARDIAN_ID_FRONT,
        DocumentKind.GUARDIAN_ID_BACK,
        DocumentKind.HOUSEHOLD,
    ),
    ApplicantType.FOREIGN: (DocumentKind.RESIDENT_FRONT, DocumentKind.RESIDENT_BACK),
}
NATIONAL_TYPES = frozenset(
    {ApplicantType.NATIONAL, ApplicantType.NATIONAL_NO_CARD, ApplicantType.CHILD}
)


class RejectReason(models.TextChoices):
    UNCLEAR_IMAGE = "unclear_image", _("An image is unclear or unreadable")
    DATA_MISMATCH = "data_mismatch", _("The data does not match the documents")
    DOCUMENTS_MISSING = "documents_missing", _("Documents are missing")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible for a card")
    OTHER = "other", _("Other")


class Method(models.TextChoices):
    DOCUMENTS = "documents", _("Identity documents")
    CERTIFICATE = "certificate", _("Citizen Digital Certificate")


class IndividualApplication(models.Model):
    status = models.CharField(max_length=12, choices=Status.choices)
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.DOCUMENTS)
    applicant_type = models.CharField(max_length=20, choices=ApplicantType.choices)

    # The applicant: the ID number encrypted, found by its keyed blind index.
    id_index = models.CharField(max_length=64, db_index=True)
    national_id = EncryptedTextField()
    id_masked = models.CharField(max_length=16)
    id_kind = models.CharField(max_length=16)
    name = models.CharField(max_length=50)
    birth_date = EncryptedDateField()
    email = models.EmailField()
    mobile = models.CharField(max_length=10)
    address = models.CharField(max_length=200)
    guardian_name = models.CharField(max_length=50, blank=True)
    # Residents: the certificate's expiry, which the card's expiry follows.
    resident_expires_on = models.DateField(null=True, blank=True)
    consented_at = models.DateTimeField()

    created_at = models.DateTimeField(default=timezone.now)
    # The e-mail was confirmed: the application counts from here, in this order.
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)  # 3 working days after submitted_at
    delay_notified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    reject_note = models.TextField(blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)

    reader = models.ForeignKey(
        "readers.Reader", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    card = models.ForeignKey(
        "readers.Card", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The Citizen Digital Certificate that opened the card: its name, not its contents.
    certificate_issuer = models.CharField(max_length=300, blank=True)
    certificate_serial = models.CharField(max_length=80, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["id_index"],
                condition=models.Q(status__in=sorted(OPEN_STATES)),
                name="individual_one_open_per_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.id_masked}"

    @property
    def reference(self) -> str:
        """What the applicant and staff quote on the phone; says nothing about the person."""
        return f"P{self.pk:07d}" if self.pk else ""

    @property
    def is_resident(self) -> bool:
        return self.applicant_type == ApplicantType.FOREIGN

    @property
    def document_kinds(self) -> tuple[str, ...]:
        return DOCUMENTS_FOR.get(self.applicant_type, ())


class Document(models.Model):
    """One uploaded identity document: an encrypted file until retention deletes it."""

    application = models.ForeignKey(
        IndividualApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file_key = models.CharField(max_length=200, blank=True)  # empty once deleted
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="document_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CertificateNonce(models.Model):
    """A challenge for the card to sign: random, bound to one session, five minutes, used once.

    Only its hash is kept; the page holds the value and sends it back with the signature.
    """

    value_hash = models.CharField(max_length=64, unique=True)
    session_binding = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return self.value_hash[:12]
