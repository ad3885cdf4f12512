"""Forms of the staff pages for platform clients."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from libcard.platforms.models import Platform
from libcard.platforms.services import PlatformError, validate_networks

SIP2_PASSWORD_MIN = 12
MAY_FIELDS = ("may_name", "may_email", "may_card_type", "may_expiry")


class NetworksField(forms.CharField):
    """Addresses and networks (CIDR), one per line or comma-separated; cleans to a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("Allowed client addresses"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "The addresses the platform connects from: single addresses or networks such "
                "as 203.0.113.0/24, one per line. Nobody else can use its credentials; empty "
                "means nobody."
            ),
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value)
        try:
            return validate_networks(text or "")
        except PlatformError as error:
            raise ValidationError(
                _("“%(value)s” is not an address or a network.") % {"value": str(error)[:60]},
                code="network",
            ) from None


def _may_fields() -> dict[str, forms.BooleanField]:
    return {
        "may_name": forms.BooleanField(label=gettext_lazy("Name"), required=False),
        "may_email": forms.BooleanField(
            label=gettext_lazy("E-mail (when confirmed)"), required=False
        ),
        "may_card_type": forms.BooleanField(
            label=gettext_lazy("Card type"), required=False, initial=True
        ),
        "may_expiry": forms.BooleanField(
            label=gettext_lazy("Expiry date"), required=False, initial=True
        ),
    }


class PlatformRegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Platform name"), max_length=100)
    api = forms.BooleanField(
        label=gettext_lazy("HTTP API"),
        required=False,
        help_text=gettext_lazy("An API key is made and shown once after registering."),
    )
    sip2_user = forms.CharField(
        label=gettext_lazy("SIP2 user"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Leave empty when the platform does not use SIP2."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sip2_password = forms.CharField(
        label=gettext_lazy("SIP2 password"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "At least 12 characters; give it to the platform by a separate channel."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    sip2_encoding = forms.ChoiceField(
        label=gettext_lazy("SIP2 encoding"),
        choices=Platform.Encoding.choices,
        initial=Platform.Encoding.UTF8,
    )
    allowed_networks = NetworksField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_may_fields())

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Platform.objects.filter(name=name).exists():
            raise ValidationError(_("A platform with this name exists already."), code="unique")
        return name

    def clean_sip2_user(self) -> str:
        user = self.cleaned_data["sip2_user"].strip()
        if user and Platform.objects.filter(sip2_user=user).exists():
            raise ValidationError(_("Another platform has this SIP2 user."), code="unique")
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user, password = data.get("sip2_user"), data.get("sip2_password") or ""
        if user and len(password) < SIP2_PASSWORD_MIN:
            self.add_error(
                "sip2_password",
                _("The SIP2 password needs at least %(min)d characters.")
                % {"min": SIP2_PASSWORD_MIN},
            )
        if password and not user:
            self.add_error("sip2_user", _("A SIP2 password needs a SIP2 user."))
        if "api" in data and "sip2_user" in data and not data.get("api") and not user:
            self.add_error(None, _("Choose the HTTP API, SIP2 or both."))
        return data

    def may(self) -> dict[str, bool]:
        return {field.removeprefix("may_"): bool(self.cleaned_data[field]) for field in MAY_FIELDS}


class PlatformEditForm(forms.Form):
    active = forms.BooleanField(
        label=gettext_lazy("Enabled"),
        required=False,
        help_text=gettext_lazy("An inactive platform is refused on every channel."),
    )
    allowed_networks = NetworksField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_may_fields())

    @classmethod
    def for_platform(cls, platform: Platform) -> PlatformEditForm:
        initial = {field: getattr(platform, field) for field in MAY_FIELDS}
        initial["active"] = platform.active
        initial["allowed_networks"] = platform.allowed_networks
        return cls(initial=initial)

    def may(self) -> dict[str, bool]:
        return {field.removeprefix("may_"): bool(self.cleaned_data[field]) for field in MAY_FIELDS}


class Sip2Form(forms.Form):
    sip2_user = forms.CharField(label=gettext_lazy("SIP2 user"), max_length=50)
    sip2_password = forms.CharField(
        label=gettext_lazy("New SIP2 password"),
        min_length=SIP2_PASSWORD_MIN,
        max_length=200,
        help_text=gettext_lazy("At least 12 characters; the old password stops working at once."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, platform: Platform, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.platform = platform
        if not self.is_bound:
            self.initial.setdefault("sip2_user", platform.sip2_user)

    def clean_sip2_user(self) -> str:
        user = self.cleaned_data["sip2_user"].strip()
        if Platform.objects.filter(sip2_user=user).exclude(pk=self.platform.pk).exists():
            raise ValidationError(_("Another platform has this SIP2 user."), code="unique")
        return user
