from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from libcard.accounts.passwords import password_problems


class ReaderLoginForm(forms.Form):
    account = forms.CharField(
        label=_("ID number"),
        max_length=40,
        help_text=_("Your national ID or resident certificate number, e.g. A123456789."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        max_length=256,
        help_text=_(
            "At least 8 characters; not a common password, not your ID number or birth date."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: object, number: str, birth_date: dt.date | None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.number = number
        self.birth_date = birth_date

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password, again = data.get("new_password"), data.get("new_password_again")
        if password and again and password != again:
            self.add_error("new_password_again", _("The two passwords are not the same."))
        elif password:
            for problem in password_problems(
                str(password), number=self.number, birth_date=self.birth_date
            ):
                self.add_error("new_password", problem)
        return data


class ChangePasswordForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password", "new_password_again"]


class NoticeForm(forms.Form):
    accept = forms.BooleanField(
        label=_(
            "I have read the notice on personal data and accept the terms of the card: "
            "it is for me alone and I will not lend it or pass it on."
        ),
        required=True,
    )


class ContactForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    mobile = forms.RegexField(
        label=_("Mobile"),
        regex=r"^09\d{8}$",
        required=False,
        max_length=10,
        help_text=_("09 and 8 digits, e.g. 0912345678"),
        error_messages={"invalid": _("Please write a mobile number like 0912345678.")},
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=200)

    def clean_mobile(self) -> str:
        return self.cleaned_data.get("mobile", "").replace("-", "").replace(" ", "")


class CorrectionForm(forms.Form):
    FIELDS = [
        ("name", _("Name")),
        ("national_id", _("ID number")),
        ("birth_date", _("Birth date")),
    ]
    field = forms.ChoiceField(label=_("What is wrong"), choices=FIELDS)
    requested_value = forms.CharField(label=_("The right value"), max_length=50)
    note = forms.CharField(
        label=_("Note for the library"), required=False, max_length=300, widget=forms.Textarea
    )


class ForgotForm(forms.Form):
    account = forms.CharField(label=_("ID number"), max_length=40)
