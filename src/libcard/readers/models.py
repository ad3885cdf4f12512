"""Readers and cards. A national ID is never stored in the clear: see libcard.core.crypto."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libcard.core.fields import EncryptedDateField, EncryptedTextField


class Reader(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        STAFF = "staff", _("Staff")
        NONE = "", _("Individual")

    class IdKind(models.TextChoices):
        NATIONAL = "national", _("National ID")
        RESIDENT_NEW = "resident_new", _("Resident certificate (new format)")
        RESIDENT_OLD = "resident_old", _("Resident certificate (old format)")

    # The account name: the normalised ID number, kept encrypted; found by its blind index.
    id_index = models.CharField(max_length=64, unique=True)
    national_id = EncryptedTextField()
    id_masked = models.CharField(max_length=16, db_index=True)
    id_kind = models.CharField(max_length=16, choices=IdKind.choices, default=IdKind.NATIONAL)
    name = models.CharField(max_length=50, db_index=True)
    birth_date = EncryptedDateField()
    sex = models.CharField(max_length=1, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    email_verified = models.BooleanField(default=False)
    mobile = models.CharField(max_length=10, blank=True)
    address = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=8, choices=Role.choices, blank=True)
    institution = models.ForeignKey(
        "groups.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(max_length=50, blank=True)

    # The reader's own password: argon2id, empty until they choose one.
    password = models.CharField(max_length=200, blank=True)
    # The initial password: a random secret under a keyed fast hash (workflows.md, Speed).
    initial_secret_hash = models.CharField(max_length=64, blank=True)
    initial_expires_at = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # The personal-data notice (data that came from a school, 個資法 Art. 9) and the terms.
    notice_accepted_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["institution", "unit"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    @property
    def has_own_password(self) -> bool:
        return bool(self.password)


class Card(models.Model):
    class Type(models.TextChoices):
        DIGITAL = "digital", _("Digital card")
        PHYSICAL = "physical", _("Physical card")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        GROUP = "group", _("Group application")
        INDIVIDUAL = "individual", _("Individual application")
        COUNTER = "counter", _("Counter")

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="cards")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.DIGITAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=12, choices=Source.choices)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True)  # None: does not expire
    barcode = models.CharField(max_length=32, blank=True)
    group_application = models.ForeignKey(
        "groups.GroupApplication",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["reader", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["barcode"], condition=~models.Q(barcode=""), name="card_barcode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.get_status_display()}"

    def is_valid_on(self, day) -> bool:  # type: ignore[no-untyped-def]
        return self.status == self.Status.ACTIVE and (
            self.expires_on is None or self.expires_on >= day
        )

    @property
    def allows(self) -> list[str]:
        """What the card opens: digital resources always; physical loans with a physical card."""
        return ["digital", "physical"] if self.type == self.Type.PHYSICAL else ["digital"]


class CardholderList(models.Model):
    """Who already holds a card, as the ILS or the city network said on a day."""

    source = models.CharField(max_length=100)
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.CharField(max_length=150, blank=True)
    entries_count = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.loaded_at:%Y-%m-%d}, {self.entries_count})"


class CardholderEntry(models.Model):
    """One existing cardholder: only the keyed hash of the ID (libcard.core.crypto)."""

    cardholder_list = models.ForeignKey(
        CardholderList, on_delete=models.CASCADE, related_name="entries"
    )
    id_hash = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cardholder_list", "id_hash"], name="entry_unique")
        ]

    def __str__(self) -> str:
        return self.id_hash[:12]


class CorrectionRequest(models.Model):
    """A reader asks staff to correct their name, ID number or birth date (not self-service)."""

    class Field(models.TextChoices):
        NAME = "name", _("Name")
        NATIONAL_ID = "national_id", _("ID number")
        BIRTH_DATE = "birth_date", _("Birth date")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Corrected")
        DECLINED = "declined", _("Declined")

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(max_length=16, choices=Field.choices)
    # What the reader says is right; encrypted because it may be an ID number or a birth date.
    requested_value = EncryptedTextField()
    note = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=150, blank=True)
    staff_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.reader_id} {self.field} {self.state}"
