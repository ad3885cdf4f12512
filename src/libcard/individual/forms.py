"""The public application form and the reviewers' decision forms.

Single values are judged by the same rules as the reader data file
(libcard.readerfile.fields, libcard.identity.numbers); what only a database
knows (an existing card, an open application) is asked of the selectors.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libcard.identity.numbers import IdKind, IdProblem, check_id
from libcard.individual import selectors
from libcard.individual.models import (
    DOCUMENTS_FOR,
    NATIONAL_TYPES,
    ApplicantType,
    DocumentKind,
    RejectReason,
)
from libcard.individual.services import ApplicantData
from libcard.individual.uploads import CheckedDocument, UploadRefused, check_upload
from libcard.readerfile.fields import clean_birth_date, clean_mobile, clean_name, email_ok

CHILD_AGE = 12
OLD_RESIDENT_UNTIL = dt.date(2031, 1, 1)
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"

NAME_MESSAGES = {
    "name.missing": _("Please write your name."),
    "name.too_long": _("The name is longer than 50 characters."),
}
BIRTH_MESSAGES = {
    "birth.missing": _("Please write the birth date."),
    "birth.format": _(
        "Please write the birth date as a date, e.g. 2015-03-12 (or in ROC years, 104/03/12)."
    ),
    "birth.future": _("The birth date is in the future."),
    "birth.too_old": _("Please check the birth date: it is more than 120 years ago."),
}
DOCUMENT_HELP = {
    DocumentKind.ID_FRONT: _("A clear photo or scan of the whole front of your ID card."),
    DocumentKind.ID_BACK: _("The whole back of your ID card."),
    DocumentKind.HOUSEHOLD: _(
        "The full page of the household registration (戶口名簿) that shows the applicant; "
        "you may cover other people's data."
    ),
    DocumentKind.GUARDIAN_ID_FRONT: _("The front of a parent's or legal guardian's ID card."),
    DocumentKind.GUARDIAN_ID_BACK: _("The back of the same ID card."),
    DocumentKind.RESIDENT_FRONT: _("The front of your valid resident certificate."),
    DocumentKind.RESIDENT_BACK: _("The back of your resident certificate."),
}


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


class ApplicantForm(forms.Form):
    """The applicant's data and consent; the document path adds the files."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={"required": NAME_MESSAGES["name.missing"]},
        help_text=_("As on your ID card or resident certificate."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    national_id = forms.CharField(
        label=_("ID number"),
        max_length=40,
        error_messages={"required": _("Please write the ID number.")},
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    birth_date = forms.CharField(
        label=_("Birth date"),
        max_length=20,
        error_messages={"required": BIRTH_MESSAGES["birth.missing"]},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        error_messages={"required": _("Please write your e-mail address.")},
        help_text=_("We send a link to this address; the application counts once you open it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        error_messages={"required": _("Please write a mobile number like 0912345678.")},
        help_text=_("09 and 8 digits, e.g. 0912345678"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        error_messages={"required": _("Please write your address.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the notice on personal data above and agree that the library "
            "collects and uses my data for these purposes. I accept that the card is for "
            "the holder alone and may not be lent or passed on."
        ),
        error_messages={"required": _("Without your consent we cannot issue a card.")},
    )

    def __init__(self, *args: object, applicant_type: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.applicant_type = applicant_type
        self.warnings: list[str] = []
        self.today = timezone.localdate()
        if applicant_type == ApplicantType.FOREIGN:
            self.fields["national_id"].label = _("Resident certificate number")
            self.fields["national_id"].help_text = _(
                "The number on your resident certificate (居留證統一證號), e.g. A800000014."
            )
            self.fields["resident_expires_on"] = forms.DateField(
                label=_("Resident certificate valid until"),
                error_messages={
                    "required": _("Please write the expiry date of the resident certificate."),
                    "invalid": _("Please write the expiry date as a date, e.g. 2027-06-30."),
                },
                help_text=_("Your card is valid until this day."),
                widget=forms.DateInput(attrs={"type": "date"}),
            )
        else:
            self.fields["national_id"].help_text = _("e.g. A123456789")
        if applicant_type == ApplicantType.CHILD:
            self.fields["name"].label = _("Child's name")
            self.fields["national_id"].label = _("Child's ID number")
            self.fields["birth_date"].label = _("Child's birth date")
            self.fields["guardian_name"] = forms.CharField(
                label=_("Parent's or guardian's name"),
                max_length=100,
                error_messages={"required": _("Please write the parent's or guardian's name.")},
                help_text=_("The person whose ID card you upload."),
            )
            self.fields["email"].help_text = _(
                "A parent's or guardian's address. We send a link to it; "
                "the application counts once you open it."
            )
        self.order_fields(
            [
                "name",
                "guardian_name",
                "national_id",
                "birth_date",
                "resident_expires_on",
                "email",
                "mobile",
                "address",
            ]
        )
        # The consent goes last, after any documents a subclass adds.
        self.fields["consent"] = self.fields.pop("consent")

    def clean_name(self) -> str:
        name, problem = clean_name(self.cleaned_data.get("name", ""))
        if problem:
            raise forms.ValidationError(NAME_MESSAGES[problem], code=problem)
        return name

    def clean_guardian_name(self) -> str:
        name, problem = clean_name(self.cleaned_data.get("guardian_name", ""))
        if problem:
            raise forms.ValidationError(NAME_MESSAGES[problem], code=problem)
        return name

    def clean_national_id(self) -> str:
        result = check_id(self.cleaned_data.get("national_id", ""))
        if result.problem is IdProblem.MISSING:
            raise forms.ValidationError(_("Please write the ID number."), code="id.missing")
        if result.problem is IdProblem.FORMAT:
            raise forms.ValidationError(
                _(
                    "This is not an ID or resident certificate number: one letter and nine "
                    "digits (A123456789), or two letters and eight digits for an old resident "
                    "certificate (AB12345678)."
                ),
                code="id.format",
            )
        if result.problem is IdProblem.CHECKSUM:
            raise forms.ValidationError(
                _("The check digit does not match: please check the number for a typing error."),
                code="id.checksum",
            )
        if self.applicant_type in NATIONAL_TYPES and not result.is_national:
            raise forms.ValidationError(
                _(
                    "This is a resident certificate number. If you hold a resident "
                    "certificate, apply as “Foreign national or resident”."
                ),
                code="id.resident",
            )
        if self.applicant_type == ApplicantType.FOREIGN and result.is_national:
            raise forms.ValidationError(
                _(
                    "This is a national ID number. Nationals apply with their ID card or "
                    "household registration, not as “Foreign national or resident”."
                ),
                code="id.national",
            )
        if result.kind is IdKind.RESIDENT_OLD:
            self.warnings.append(
                str(
                    _(
                        "Your resident certificate number has the old format, which stops being "
                        "valid on %(day)s. Once you have your new number, ask the library to "
                        "change it on your card."
                    )
                    % {"day": OLD_RESIDENT_UNTIL.isoformat()}
                )
            )
        return result.number

    def clean_birth_date(self) -> dt.date:
        day, problem = clean_birth_date(self.cleaned_data.get("birth_date", ""), self.today)
        if problem:
            raise forms.ValidationError(BIRTH_MESSAGES[problem], code=problem)
        assert day is not None
        if self.applicant_type in NATIONAL_TYPES:
            child = age_on(day, self.today) < CHILD_AGE
            if child and self.applicant_type != ApplicantType.CHILD:
                raise forms.ValidationError(
                    _(
                        "Children under 12 apply with a parent's or guardian's ID card and the "
                        "household registration: please apply as “Child under 12”."
                    ),
                    code="birth.child",
                )
            if not child and self.applicant_type == ApplicantType.CHILD:
                raise forms.ValidationError(
                    _(
                        "By this birth date the applicant is 12 or older: apply with an ID card "
                        "or as a national without an ID card yet."
                    ),
                    code="birth.not_child",
                )
        return day

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        if not email_ok(email):
            raise forms.ValidationError(
                _("Please check the e-mail address, e.g. name@example.com."), code="email.invalid"
            )
        return email

    def clean_mobile(self) -> str:
        mobile, problem = clean_mobile(self.cleaned_data.get("mobile", ""))
        if problem or not mobile:
            raise forms.ValidationError(
                _("Please write a mobile number like 0912345678."), code="mobile.invalid"
            )
        return mobile

    def clean_address(self) -> str:
        address = " ".join((self.cleaned_data.get("address") or "").split())
        if not address:
            raise forms.ValidationError(_("Please write your address."), code="address.missing")
        return address

    def clean_resident_expires_on(self) -> dt.date:
        day = self.cleaned_data["resident_expires_on"]
        if day < self.today:
            raise forms.ValidationError(
                _("The resident certificate has expired; please apply once you have a valid one."),
                code="resident.expired",
            )
        return day

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        number = data.get("national_id")
        if isinstance(number, str) and number and not self.errors.get("national_id"):
            problem = selectors.eligibility_problem(number)
            if problem == "cardholder":
                raise forms.ValidationError(
                    _(
                        "You already hold a card of the library or of the city library network, "
                        "so you need no new one: you can use the digital resources with your "
                        "existing card."
                    ),
                    code="cardholder",
                )
            if problem == "open":
                raise forms.ValidationError(
                    _(
                        "An application with this ID number is already being reviewed. The "
                        "e-mail we sent has a link to see how it is going."
                    ),
                    code="open",
                )
        return data

    def applicant_data(self) -> ApplicantData:
        data = self.cleaned_data
        return ApplicantData(
            applicant_type=self.applicant_type,
            number=data["national_id"],
            name=data["name"],
            birth_date=data["birth_date"],
            email=data["email"],
            mobile=data["mobile"],
            address=data["address"],
            guardian_name=data.get("guardian_name", ""),
            resident_expires_on=data.get("resident_expires_on"),
        )


class DocumentsForm(ApplicantForm):
    """The document path: the applicant type's documents as file fields."""

    def __init__(self, *args: object, applicant_type: str, **kwargs: object) -> None:
        super().__init__(*args, applicant_type=applicant_type, **kwargs)
        consent = self.fields.pop("consent")
        for kind in DOCUMENTS_FOR[applicant_type]:
            self.fields[f"doc_{kind}"] = forms.FileField(
                label=DocumentKind(kind).label,
                help_text=DOCUMENT_HELP[kind],
                widget=forms.FileInput(attrs={"accept": ACCEPT}),
                error_messages={"required": _("Please add this document.")},
            )
        self.fields["consent"] = consent
        self.documents: dict[str, CheckedDocument] = {}

    @property
    def document_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("doc_")]

    def clean(self) -> dict[str, object]:
        data = super().clean()
        # Decode the images only when everything else is right: a form with errors
        # comes back without its files anyway, and decoding costs time.
        if self.errors:
            return data
        for kind in DOCUMENTS_FOR[self.applicant_type]:
            upload = data.get(f"doc_{kind}")
            if upload is None:
                continue
            try:
                self.documents[kind] = check_upload(upload)  # type: ignore[arg-type]
            except UploadRefused as refused:
                self.add_error(f"doc_{kind}", forms.ValidationError(refused.message, refused.code))
        return data


class CertificateForm(ApplicantForm):
    """The certificate path: nationals only; the nonce and the signature travel beside it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, applicant_type=ApplicantType.NATIONAL, **kwargs)  # type: ignore[misc]
        self.fields["email"].help_text = _("We send the link to set your password to this address.")


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RejectReason.choices)
    note = forms.CharField(
        label=_("Explanation for the applicant"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the applicant with the reason. Required for “Other”."),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("reason") == RejectReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Please explain the reason for “Other”."))
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need the full number?"),
        max_length=200,
        help_text=_("Written to the audit log with your name."),
    )
