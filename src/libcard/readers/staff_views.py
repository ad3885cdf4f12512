"""Existing-cardholder lists (staff admins): what is loaded, and loading a new list.

A list is a CSV/TXT or a spreadsheet of ID numbers, or of their keyed hashes
(libcard.core.crypto.cardholder_hash). The upload is read in memory, handed to
readers.services.cardholder_list_load (which keeps only keyed hashes) and
dropped: it is never stored, logged or shown; the page shows counts only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from libcard.accounts.roles import ADMIN, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor
from libcard.core.uploads import read_capped, safe_filename
from libcard.readers.cardholder_files import MAX_BYTES, ListUnreadable, list_values
from libcard.readers.models import CardholderList
from libcard.readers.services import cardholder_list_load

PAGE_SIZE = 50


class CardholderListForm(forms.Form):
    source = forms.CharField(
        label=_lazy("Source"),
        max_length=100,
        help_text=_lazy("Where the list comes from, for example “ILS export” or “city network”."),
    )
    file = forms.FileField(
        label=_lazy("File"),
        help_text=_lazy(
            "CSV, TXT, XLSX, ODS or XLS, at most 50 MB: ID numbers, or their keyed hashes "
            "(64 hexadecimal characters), in the first column or in a column headed like "
            "“身分證統一編號”."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.ods,.xls"}),
    )


class NothingLoaded(Exception):
    def __init__(self, skipped: int) -> None:
        super().__init__(skipped)
        self.skipped = skipped


@require_http_methods(["GET", "POST"])
@staff_required(ADMIN)
def cardholder_lists(request: HttpRequest) -> HttpResponse:
    form = CardholderListForm()
    if request.method == "POST":
        form = CardholderListForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            filename = safe_filename(upload.name or "")
            data = read_capped(upload, MAX_BYTES)
            try:
                if data is None:
                    raise ListUnreadable(
                        _("The file is larger than %(limit)d MB; please split it.")
                        % {"limit": MAX_BYTES // (1024 * 1024)}
                    )
                values = list_values(data, filename)
                if not values:
                    raise ListUnreadable(_("The file has no ID numbers in it."))
                with transaction.atomic():
                    result = cardholder_list_load(
                        actor=Actor.from_request(request),
                        source=form.cleaned_data["source"].strip(),
                        values=values,
                        original_name=filename,
                    )
                    if result.loaded == 0:
                        raise NothingLoaded(result.skipped)  # rolls the empty list back
            except ListUnreadable as error:
                form.add_error("file", str(error))
            except NothingLoaded as nothing:
                form.add_error("file", _nothing_loaded(nothing.skipped))
            else:
                messages.success(
                    request,
                    _(
                        "List loaded. Cardholders: %(loaded)d. Lines skipped (neither an ID "
                        "number nor a keyed hash): %(skipped)d."
                    )
                    % {"loaded": result.loaded, "skipped": result.skipped},
                )
                return redirect("staff:cardholder_lists")
    page = Paginator(CardholderList.objects.order_by("-loaded_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return staff_render(request, "staff/cardholder_lists.html", {"form": form, "page": page})


def _nothing_loaded(skipped: int) -> str:
    return _(
        "Nothing was loaded: none of the %(skipped)d values is an ID number or a keyed hash. "
        "Is the ID in the first column, or under a header such as “身分證統一編號”?"
    ) % {"skipped": skipped}
