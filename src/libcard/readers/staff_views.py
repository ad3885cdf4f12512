"""Existing-cardholder lists (staff admins): what is loaded, and loading a new list.

A list is a CSV/TXT or a spreadsheet of ID numbers, or of their keyed hashes
(libcard.core.crypto.cardholder_hash). The upload is read in memory, handed to
readers.services.cardholder_list_load (which keeps only keyed hashes) and
dropped: it is never stored, logged or shown; the page shows counts only.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence

import python_calamine
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
from libcard.readerfile.container import Limits, inspect
from libcard.readerfile.model import FileRefused
from libcard.readers.models import CardholderList
from libcard.readers.services import cardholder_list_load
from libcard.textcatalog import django_translator

MAX_BYTES = 50 * 1024 * 1024
# A spreadsheet cannot hold more rows than this anyway.
MAX_ROWS = 1_048_576
TEXT_EXTENSIONS = (".csv", ".txt")
SHEET_EXTENSIONS = (".xlsx", ".ods", ".xls")
# A header cell naming the ID column (any of these inside it, case-insensitive).
ID_HEADER_WORDS = (
    "身分證",
    "身份證",
    "統一編號",
    "統編",
    "證號",
    "居留證",
    "id",
    "hash",
    "雜湊",
)
PAGE_SIZE = 50


class ListUnreadable(Exception):
    """The upload cannot be read as a list; the message says why, for the person uploading."""


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


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ListUnreadable(_("The text file is neither UTF-8 nor Big5; please save it as UTF-8."))


def _text_rows(data: bytes) -> Iterator[Sequence[object]]:
    if b"\x00" in data[:65536]:
        raise ListUnreadable(_("This is not a text file; please save the list as CSV."))
    text = _decode(data)
    sample = text[:4096]
    delimiter = ","
    if sample.count("\t") > sample.count(","):
        delimiter = "\t"
    elif sample.count(";") > sample.count(","):
        delimiter = ";"
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise ListUnreadable(_("The CSV file cannot be read; please save it again.")) from None


def _sheet_rows(data: bytes, filename: str) -> Iterator[Sequence[object]]:
    """The first worksheet's rows, after the same zip-bomb and size checks as reader files."""
    limits = Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_inflated=10 * MAX_BYTES)
    try:
        inspect(data, filename, limits, django_translator())
    except FileRefused as refused:
        raise ListUnreadable(refused.message) from None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [
            meta.name
            for meta in book.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not names:
            return
        yield from book.get_sheet_by_name(names[0]).iter_rows()
    except python_calamine.PasswordError:
        raise ListUnreadable(
            _("The file is protected with a password; please save a copy without one.")
        ) from None
    except Exception:  # calamine raises several kinds; each means the same to the user
        raise ListUnreadable(_("The file is damaged and cannot be opened.")) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _looks_like_header(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ID_HEADER_WORDS)


def list_values(data: bytes, filename: str) -> list[str]:
    """The values of the ID column: the first column, or one whose header names an ID."""
    extension = os.path.splitext(filename)[1].lower()
    if not data:
        raise ListUnreadable(_("The file is empty."))
    if extension in TEXT_EXTENSIONS:
        rows = _text_rows(data)
    elif extension in SHEET_EXTENSIONS:
        rows = _sheet_rows(data, filename)
    else:
        raise ListUnreadable(_("Please upload a .csv, .txt, .xlsx, .ods or .xls file."))
    column: int | None = None
    values: list[str] = []
    for row in rows:
        cells = [_cell_text(cell) for cell in row]
        if column is None:
            if not any(cells):
                continue
            headed = next(
                (index for index, cell in enumerate(cells) if _looks_like_header(cell)), None
            )
            column = headed if headed is not None else 0
            if headed is not None:
                continue  # the header row itself
        if column < len(cells) and cells[column]:
            values.append(cells[column])
    return values


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
