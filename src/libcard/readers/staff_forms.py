"""Forms of the staff reader pages: the search and the actions on one reader."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from libcard.readers.models import CorrectionRequest
from libcard.readers.services import (
    REVEAL_REASON_MIN,
    ReaderActionError,
    barcode_clean,
)


class ReaderSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("ID number, masked ID, name or e-mail"),
        max_length=100,
        help_text=gettext_lazy(
            "A full ID number finds exactly that reader. A masked ID such as A12****789 finds "
            "every reader it fits. A name finds names that start with it; an e-mail address "
            "finds that address."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need the full ID number?"),
        min_length=REVEAL_REASON_MIN,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Written to the audit log with your name, for example “reader at the counter asks to check the ID”."
        ),
    )


class CardStatusForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        help_text=gettext_lazy("Kept with the card and in the audit log."),
    )


class PhysicalCardForm(forms.Form):
    barcode = forms.CharField(
        label=gettext_lazy("Barcode of the physical card"),
        max_length=64,
        help_text=gettext_lazy("6 to 32 letters and digits, as printed on the card (scan it)."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    seen_id = forms.BooleanField(
        label=gettext_lazy("The reader showed their ID document to me in person."),
    )

    def clean_barcode(self) -> str:
        try:
            return barcode_clean(self.cleaned_data["barcode"])
        except ReaderActionError as error:
            raise ValidationError(str(error), code="barcode") from None


class CorrectionDecisionForm(forms.Form):
    DONE = "done"
    DECLINE = "decline"
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (DONE, gettext_lazy("Correct the reader's data as requested")),
            (DECLINE, gettext_lazy("Decline the request")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed when you decline: why."),
    )
    seen_id = forms.BooleanField(
        label=gettext_lazy("I have seen the reader's ID document in person."),
        required=False,
    )

    def __init__(self, *args: Any, correction: CorrectionRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.correction = correction
        if correction.field != CorrectionRequest.Field.NATIONAL_ID:
            del self.fields["seen_id"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        decision = data.get("decision")
        if decision == self.DECLINE and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is declined."))
        if decision == self.DONE and "seen_id" in self.fields and not data.get("seen_id"):
            self.add_error(
                "seen_id",
                _("An ID number is changed only after seeing the reader's ID document."),
            )
        return data
