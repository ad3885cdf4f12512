"""Forms of the staff back office for group applications and institutions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from libcard.core.uploads import read_capped
from libcard.groups.models import Attachment, ContactPerson, GroupApplication, Institution
from libcard.groups.services import AttachmentUpload, document_type
from libcard.groups.states import Status

DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": DOCUMENT_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def documents_from(uploads: list[UploadedFile], kind: str) -> list[AttachmentUpload]:
    """Read and check each file (PDF, PNG or JPEG by content, not by name; size limit)."""
    limit = settings.ATTACHMENT_MAX_BYTES
    documents = []
    errors = []
    for upload in uploads:
        name = upload.name or "upload"
        data = read_capped(upload, limit)
        if data is None:
            errors.append(
                _("“%(name)s” is larger than %(limit)d MB.")
                % {"name": name, "limit": limit // (1024 * 1024)}
            )
            continue
        content_type = document_type(data)
        if content_type is None:
            errors.append(_("“%(name)s” is not a PDF, PNG or JPEG file.") % {"name": name})
            continue
        documents.append(AttachmentUpload(kind, name, data, content_type))
    if errors:
        raise forms.ValidationError(errors)
    return documents


ATTACHMENT_FIELDS = {
    "letter_files": Attachment.Kind.LETTER,
    "form_files": Attachment.Kind.FORM,
    "consent_files": Attachment.Kind.CONSENT,
    "other_files": Attachment.Kind.OTHER,
}


class RegisterLetterForm(forms.Form):
    """One official letter: the institution, its contact person, the letter and its attachments."""

    institution = forms.ModelChoiceField(
        label=gettext_lazy("Institution"),
        queryset=Institution.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("— a new institution (fill in below) —"),
        help_text=gettext_lazy(
            "Pick the school or agency, or leave this and fill in a new one below."
        ),
    )
    new_name = forms.CharField(
        label=gettext_lazy("New institution: name"), max_length=100, required=False
    )
    new_code = forms.CharField(
        label=gettext_lazy("New institution: code"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("The school code or agency code, if it has one."),
    )
    new_kind = forms.ChoiceField(
        label=gettext_lazy("New institution: kind"),
        choices=Institution.Kind.choices,
        initial=Institution.Kind.SCHOOL,
        required=False,
    )
    new_county = forms.CharField(
        label=gettext_lazy("New institution: county or city"), max_length=20, required=False
    )

    contact_name = forms.CharField(label=gettext_lazy("Contact person: name"), max_length=50)
    contact_title = forms.CharField(
        label=gettext_lazy("Contact person: job title"), max_length=50, required=False
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact person: phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Contact person: e-mail"),
        help_text=gettext_lazy("The approval e-mail and the portal link go to this address."),
    )

    letter_number = forms.CharField(
        label=gettext_lazy("Letter number (發文字號)"),
        max_length=60,
        help_text=gettext_lazy("As printed on the letter, for example 府教字第1130012345號."),
    )
    letter_date = forms.DateField(label=gettext_lazy("Letter date (發文日期)"), widget=DateInput())
    received_on = forms.DateField(label=gettext_lazy("Date received"), widget=DateInput())
    batch_label = forms.CharField(
        label=gettext_lazy("Batch label"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Optional, for example “first batch” or “grade 1”."),
    )

    letter_files = MultipleFileField(label=gettext_lazy("The letter"), required=False)
    form_files = MultipleFileField(label=gettext_lazy("Application form"), required=False)
    consent_files = MultipleFileField(
        label=gettext_lazy("Personal-data consent statement"), required=False
    )
    other_files = MultipleFileField(label=gettext_lazy("Other attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        for name in ATTACHMENT_FIELDS:
            self.fields[name].help_text = _(
                "PDF, PNG or JPEG, at most %(limit)d MB each; you may choose several files."
            ) % {"limit": limit}

    def _bound(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    @property
    def institution_fields(self) -> list[forms.BoundField]:
        return self._bound("institution", "new_name", "new_code", "new_kind", "new_county")

    @property
    def contact_fields(self) -> list[forms.BoundField]:
        return self._bound("contact_name", "contact_title", "contact_phone", "contact_email")

    @property
    def letter_fields(self) -> list[forms.BoundField]:
        return self._bound("letter_number", "letter_date", "received_on", "batch_label")

    @property
    def attachment_fields(self) -> list[forms.BoundField]:
        return self._bound(*ATTACHMENT_FIELDS)

    def clean_new_code(self) -> str:
        return self.cleaned_data["new_code"].strip()

    def clean_letter_number(self) -> str:
        return " ".join(self.cleaned_data["letter_number"].split())

    def clean_letter_date(self) -> dt.date:
        day = self.cleaned_data["letter_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The letter date cannot be in the future."))
        return day

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return day

    def _clean_files(self, name: str) -> list[AttachmentUpload]:
        return documents_from(self.cleaned_data[name], ATTACHMENT_FIELDS[name])

    def clean_letter_files(self) -> list[AttachmentUpload]:
        return self._clean_files("letter_files")

    def clean_form_files(self) -> list[AttachmentUpload]:
        return self._clean_files("form_files")

    def clean_consent_files(self) -> list[AttachmentUpload]:
        return self._clean_files("consent_files")

    def clean_other_files(self) -> list[AttachmentUpload]:
        return self._clean_files("other_files")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        institution = data.get("institution")
        if institution is not None and (data.get("new_name") or data.get("new_code")):
            self.add_error(
                "new_name",
                _("You picked an existing institution; leave the new institution's fields empty."),
            )
        if institution is None:
            if not (data.get("new_name") or "").strip():
                self.add_error("new_name", _("Pick an institution, or give the name of a new one."))
            code = data.get("new_code")
            if code and Institution.objects.filter(code=code).exists():
                self.add_error(
                    "new_code",
                    _("An institution with this code already exists; pick it from the list."),
                )
        letter_date, received_on = data.get("letter_date"), data.get("received_on")
        if letter_date and received_on and received_on < letter_date:
            self.add_error("received_on", _("The date received cannot be before the letter date."))
        number = data.get("letter_number")
        if (
            institution is not None
            and number
            and GroupApplication.objects.filter(
                institution=institution, letter_number=number
            ).exists()
        ):
            self.add_error(
                "letter_number",
                _("This letter number is already registered for the institution."),
            )
        return data

    @property
    def attachments(self) -> list[AttachmentUpload]:
        return [upload for name in ATTACHMENT_FIELDS for upload in self.cleaned_data[name]]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the contact person)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Please give a reason.")},
    )


class AttachmentAddForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Attachment.Kind.choices)
    files = MultipleFileField(label=gettext_lazy("Files"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "files" in data and "kind" in data:
            try:
                data["documents"] = documents_from(data["files"], data["kind"])
            except forms.ValidationError as error:
                self.add_error("files", error)
        return data


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[("", gettext_lazy("All states")), *Status.choices],
        required=False,
    )
    q = forms.CharField(
        label=gettext_lazy("Institution or letter number"),
        max_length=100,
        required=False,
    )


class InstitutionSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name or code"),
        max_length=100,
        required=False,
    )


class ContactChangeForm(forms.ModelForm):
    started_on = forms.DateField(
        label=gettext_lazy("Contact person since"),
        widget=DateInput(),
        help_text=gettext_lazy(
            "The day the new contact person took over; the previous one ends the day before."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: reported by the school's letter of 2024-09-01."),
    )

    class Meta:
        model = ContactPerson
        fields = ["name", "title", "phone", "email"]
        labels = {
            "name": gettext_lazy("Name"),
            "title": gettext_lazy("Job title"),
            "phone": gettext_lazy("Phone"),
            "email": gettext_lazy("E-mail"),
        }
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"})}

    def clean_started_on(self) -> dt.date:
        day = self.cleaned_data["started_on"]
        if day > timezone.localdate() + dt.timedelta(days=366):
            raise forms.ValidationError(_("Please give a date within the next year."))
        return day
