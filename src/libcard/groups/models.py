from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libcard.core.fields import EncryptedTextField
from libcard.groups.states import Status


class Institution(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        AGENCY = "agency", _("Government agency")
        OTHER = "other", _("Other organisation")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("institution code"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHOOL)
    county = models.CharField(_("county or city"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="institution_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_contact(self) -> ContactPerson | None:
        return self.contacts.filter(ended_on__isnull=True).order_by("-started_on", "-id").first()


class ContactPerson(models.Model):
    """The one person an institution names; earlier ones stay, with the day they ended."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.institution})"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class GroupApplication(models.Model):
    """One official letter (公文) = one application = one batch of readers."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="applications"
    )
    contact = models.ForeignKey(ContactPerson, on_delete=models.PROTECT, related_name="+")
    letter_number = models.CharField(_("letter number"), max_length=60)
    letter_date = models.DateField(_("letter date"))
    received_on = models.DateField(_("date received"))
    batch_label = models.CharField(_("batch label"), max_length=60, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    deadline = models.DateField(_("file deadline"))  # letter date + 6 months
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    file_accepted_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)  # 10 working days after the valid file
    issued_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    roster_expires_at = models.DateTimeField(null=True, blank=True)
    issued_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["status", "received_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "letter_number"], name="application_letter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.letter_number}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        LETTER = "letter", _("Official letter")
        FORM = "form", _("Application form")
        CONSENT = "consent", _("Personal-data consent statement")
        OTHER = "other", _("Other")

    application = models.ForeignKey(
        GroupApplication, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_key = models.CharField(max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.original_name


class Submission(models.Model):
    """One version of the reader data file; every version is kept until retention."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("Preview, not submitted")
        RETURNED = "returned", _("Returned for correction")
        ACCEPTED = "accepted", _("Accepted")
        SUPERSEDED = "superseded", _("Replaced by a later version")

    application = models.ForeignKey(
        GroupApplication, on_delete=models.CASCADE, related_name="submissions"
    )
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREVIEW)
    file_key = models.CharField(max_length=200, blank=True)  # empty once retention removed it
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    refused_message = models.TextField(blank=True)  # the file could not be used at all
    rows = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0)  # rows whose reader already holds a card
    report = models.JSONField(default=dict)  # issues with masked IDs only
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "version"], name="submission_version")
        ]

    def __str__(self) -> str:
        return f"{self.application} v{self.version}"

    @property
    def has_errors(self) -> bool:
        return bool(self.refused_message) or self.invalid > 0


class IssuedRow(models.Model):
    """What issuance did with one row of the accepted file; the roster is built from these."""

    class Outcome(models.TextChoices):
        ISSUED = "issued", _("Card issued")
        EXISTING = "existing", _("Already a cardholder")
        REFUSED = "refused", _("Refused")

    application = models.ForeignKey(
        GroupApplication, on_delete=models.CASCADE, related_name="issued_rows"
    )
    row = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    reader = models.ForeignKey(
        "readers.Reader", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=50)
    id_masked = models.CharField(max_length=16)
    unit = models.CharField(max_length=50, blank=True)
    role = models.CharField(max_length=8, blank=True)
    # The account and initial password for the roster, encrypted; erased after 14 days.
    roster_secret = EncryptedTextField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "row"]
        constraints = [
            models.UniqueConstraint(fields=["application", "row"], name="issued_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.row} {self.outcome}"


class PendingReader(models.Model):
    """A reader in an open application's accepted file (blind index only), for the
    "already in another open batch" check; removed when the application is issued or closed."""

    application = models.ForeignKey(
        GroupApplication, on_delete=models.CASCADE, related_name="pending_readers"
    )
    id_index = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"{self.application_id}:{self.id_index[:8]}"
