"""Forms of the institution portal: log in, sign up, password reset, reader data file upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from libcard.core.uploads import read_capped, safe_filename
from libcard.groups.models import ContactPerson

READER_FILE_TYPES = ".xlsx,.ods,.xls,.csv"
PASSWORD_HELP = _(
    "At least 8 characters. Not a common password, not only digits and not like your e-mail "
    "address or name."
)


def is_portal_user(user: Any) -> bool:
    """A user who may use the portal: not staff, active, and a current contact person."""
    return (
        user.is_active
        and not user.is_staff
        and ContactPerson.objects.filter(user=user, ended_on__isnull=True).exists()
    )


class PortalLoginForm(AuthenticationForm):
    """Log in with the e-mail address (the username), in any letter case."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    # One answer for "no such account", "wrong password", "not a contact person any more":
    # the form must not tell a stranger which addresses have an account.
    error_messages = {
        "invalid_login": _(
            "The e-mail address or the password is not right. Check both and try again."
        ),
        "inactive": _("The e-mail address or the password is not right. Check both and try again."),
    }

    def clean_username(self) -> str:
        email = self.cleaned_data["username"].strip().lower()
        stored = list(
            get_user_model()
            .objects.filter(username__iexact=email)
            .values_list("username", flat=True)[:2]
        )
        return stored[0] if len(stored) == 1 else email

    def confirm_login_allowed(self, user: Any) -> None:
        if not is_portal_user(user):
            raise self.get_invalid_login_error()


class SignupForm(SetPasswordForm):
    """Choose the portal password; the user is made by the view once the link is checked."""

    new_password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    error_messages = {"password_mismatch": _("The two passwords are not the same.")}


class PortalSetPasswordForm(SignupForm):
    """The password reset's second step, with the same plain labels as the sign-up."""


class PortalPasswordChangeForm(PasswordChangeForm):
    old_password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = SignupForm.base_fields["new_password1"]
    new_password2 = SignupForm.base_fields["new_password2"]
    error_messages = {
        **SignupForm.error_messages,
        "password_incorrect": _("Your current password is not right. Please type it again."),
    }


class PortalPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str):  # type: ignore[no-untyped-def]
        # Staff reset their passwords through the staff side (with the second factor).
        return (user for user in super().get_users(email) if is_portal_user(user))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Hand the mail to the worker: the page answers at once and as fast for any address."""
        from libcard.core.tasks import send_mail_task

        subject = " ".join(render_to_string(subject_template_name, context).split())
        body = render_to_string(email_template_name, context)
        send_mail_task.enqueue(to_email, subject, body)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Reader data file"),
        widget=forms.FileInput(
            attrs={"accept": READER_FILE_TYPES, "aria-describedby": "id_file_helptext"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An .xlsx, .ods, .xls or .csv file of at most %(limit)d MB."
        ) % {"limit": self.limit // (1024 * 1024)}
        self.file_bytes = b""
        self.file_name = ""

    @property
    def limit(self) -> int:
        return settings.READERFILE_MAX_BYTES

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Never more than the limit is read; a larger file is not stored at all.
        data = read_capped(upload, self.limit)
        if data is None:
            raise ValidationError(
                _(
                    "The file is larger than %(limit)d MB. Remove empty sheets and pictures, "
                    "or save it as .csv, and upload it again."
                )
                % {"limit": self.limit // (1024 * 1024)},
                code="too_large",
            )
        self.file_bytes = data
        self.file_name = safe_filename(upload.name or "")
        return upload
