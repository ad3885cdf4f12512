"""Staff pages of readers: existing-cardholder lists, finding a reader, and the reader page.

Cardholder lists (staff admins): a CSV/TXT or a spreadsheet of ID numbers, or of
their keyed hashes (libcard.core.crypto.cardholder_hash). The upload is read in
memory, handed to readers.services.cardholder_list_load (which keeps only keyed
hashes) and dropped: it is never stored, logged or shown; the page shows counts only.

Readers (every staff role finds and sees them; group staff and admins act): look-ups
use indexed columns only (the blind index, the masked ID, the name's start, the
e-mail), so they stay fast with millions of readers, and lists never decrypt. A full
ID number is shown only on the response to a reveal with a stated reason, and a
requested correction only on the page that handles it.
"""

from __future__ import annotations

import enum
import unicodedata
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libcard.accounts.models import LoginThrottle
from libcard.accounts.roles import ADMIN, GROUP, has_role, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.accounts.staff_views import throttle_rows
from libcard.core.audit import Actor
from libcard.core.crypto import id_index
from libcard.core.models import AuditEntry
from libcard.core.uploads import read_capped, safe_filename
from libcard.identity.numbers import classify_id, mask_id, normalise_id
from libcard.readers.cardholder_files import MAX_BYTES, ListUnreadable, list_values
from libcard.readers.models import Card, CardholderList, CorrectionRequest, Reader
from libcard.readers.services import (
    ReaderActionError,
    card_issue_physical,
    card_restore,
    card_suspend,
    cardholder_list_load,
    correction_apply,
    correction_decline,
    reader_reset_password,
    reader_reveal_id,
)
from libcard.readers.staff_forms import (
    CardStatusForm,
    CorrectionDecisionForm,
    PhysicalCardForm,
    ReaderSearchForm,
    RevealForm,
)

PAGE_SIZE = 50
SEARCH_CAP = 1_000


class CardholderListForm(forms.Form):
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=100,
        help_text=gettext_lazy(
            "Where the list comes from, for example “ILS export” or “city network”."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
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


# -- finding a reader -------------------------------------------------------------------------
class SearchKind(enum.StrEnum):
    ID = "id"
    MASKED = "masked"
    NAME = "name"
    EMAIL = "email"


def search_kind(query: str) -> tuple[SearchKind, str]:
    """What the staff member typed: a full ID, a masked ID, an e-mail address or a name."""
    text = unicodedata.normalize("NFKC", query).strip()
    if "@" in text:
        return SearchKind.EMAIL, text
    if "*" in text:
        return SearchKind.MASKED, normalise_id(text)
    number = normalise_id(text)
    if classify_id(number) is not None:
        return SearchKind.ID, number
    return SearchKind.NAME, text


def reader_search(kind: SearchKind, value: str) -> QuerySet[Reader]:
    """Readers matching, each look-up on an index; nothing personal is decrypted."""
    readers = Reader.objects.all()
    if kind is SearchKind.ID:
        readers = readers.filter(id_index=id_index(value)).order_by("pk")
    elif kind is SearchKind.MASKED:
        readers = readers.filter(id_masked=value).order_by("pk")
    elif kind is SearchKind.EMAIL:
        local, _at, domain = value.rpartition("@")
        variants = {value, value.lower(), f"{local}@{domain.lower()}"}
        readers = readers.filter(email__in=variants).order_by("pk")
    else:
        # In registration order, not by name: with a short prefix matching a sixth of all
        # readers, the database then reads the first page off the primary key and stops.
        readers = readers.filter(name__startswith=value).order_by("pk")
    return (
        readers.select_related("institution")
        .only(*LIST_FIELDS)
        .prefetch_related(
            Prefetch("cards", queryset=Card.objects.only("pk", "reader_id", "type", "status"))
        )
    )


class CappedPaginator(Paginator):
    """Counts at most ``cap`` matches: a broad search ("王") would otherwise count 100,000s."""

    cap = SEARCH_CAP

    @cached_property
    def count(self) -> int:
        found = self.object_list[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)


LIST_FIELDS = (
    "pk",
    "name",
    "id_masked",
    "email",
    "role",
    "unit",
    "institution__name",
)


@require_http_methods(["GET", "POST"])
@staff_required()
def readers(request: HttpRequest) -> HttpResponse:
    """The search posts, so that a full ID number never lands in a URL (and in access logs)."""
    if request.method == "POST":
        form = ReaderSearchForm(request.POST)
        if not form.is_valid():
            return staff_render(request, "staff/reader_search.html", {"form": form})
        kind, value = search_kind(form.cleaned_data["q"])
        if kind is SearchKind.ID:
            return _by_number(request, value)
        return redirect(f"{reverse('staff:readers')}?{urlencode({'q': form.cleaned_data['q']})}")
    form = ReaderSearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        kind, value = search_kind(form.cleaned_data["q"])
        if kind is SearchKind.ID:
            return _by_number(request, value)
        context["kind"] = kind.value
        context["page"] = CappedPaginator(reader_search(kind, value), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    return staff_render(request, "staff/reader_search.html", context)


def _by_number(request: HttpRequest, number: str) -> HttpResponse:
    reader = reader_search(SearchKind.ID, number).first()
    if reader is not None:
        return redirect("staff:reader", pk=reader.pk)
    # The typed number is not echoed back: the page shows it masked.
    return staff_render(
        request,
        "staff/reader_search.html",
        {"form": ReaderSearchForm(), "kind": SearchKind.ID.value, "not_found": mask_id(number)},
    )


# -- the reader page --------------------------------------------------------------------------
ACTION_LABELS = {
    "reader.reveal": gettext_lazy("Full ID number shown to staff"),
    "reader.reset_password": gettext_lazy("New initial password made"),
    "reader.password_change": gettext_lazy("Reader chose a new password"),
    "reader.accept_notice": gettext_lazy("Reader accepted the notice"),
    "reader.correction_request": gettext_lazy("Reader asked for a correction"),
    "reader.change_id": gettext_lazy("ID number corrected"),
    "login.success": gettext_lazy("Logged in"),
    "card.suspend": gettext_lazy("Card suspended"),
    "card.restore": gettext_lazy("Card restored"),
    "card.issue": gettext_lazy("Card issued"),
    "correction.done": gettext_lazy("Correction made"),
    "correction.decline": gettext_lazy("Correction declined"),
}
HISTORY_SHOWN = 100
READER_TYPE = Reader._meta.label_lower
CARD_TYPE = Card._meta.label_lower
CORRECTION_TYPE = CorrectionRequest._meta.label_lower
# Decrypted only where a page needs them (reveal, correction), never to draw the reader page.
SECRET_FIELDS = ("national_id", "birth_date")


def _reader(pk: int) -> Reader:
    return get_object_or_404(
        Reader.objects.select_related("institution").defer(*SECRET_FIELDS), pk=pk
    )


def reader_throttles(reader: Reader) -> list[LoginThrottle]:
    """The login counters of this account: from everywhere, and from each address."""
    index = reader.id_index
    return list(
        LoginThrottle.objects.filter(
            Q(key=f"account:{index}") | Q(key__startswith=f"pair:{index[:32]}:")
        ).order_by("-last_failure_at")
    )


def reader_history(reader: Reader, card_ids: list[int], correction_ids: list[int]) -> list[Any]:
    query = Q(object_type=READER_TYPE, object_id=str(reader.pk))
    if card_ids:
        query |= Q(object_type=CARD_TYPE, object_id__in=[str(pk) for pk in card_ids])
    if correction_ids:
        query |= Q(object_type=CORRECTION_TYPE, object_id__in=[str(pk) for pk in correction_ids])
    entries = list(AuditEntry.objects.filter(query).order_by("-at", "-id")[:HISTORY_SHOWN])
    for entry in entries:
        entry.label = ACTION_LABELS.get(entry.action, entry.action)
    return entries


def _reader_page(
    request: HttpRequest, reader: Reader, status: int = 200, **bound: Any
) -> HttpResponse:
    cards = list(reader.cards.order_by("-issued_at", "-pk"))
    corrections = list(reader.corrections.defer("requested_value").order_by("-created_at", "-pk"))
    may_act = has_role(request.user, GROUP, ADMIN)
    card_forms = {
        card.pk: bound.get(f"card_{card.pk}") or CardStatusForm(prefix=f"card{card.pk}")
        for card in cards
    }
    for card in cards:
        card.status_form = card_forms[card.pk]
    context = {
        "reader": reader,
        "cards": cards,
        "open_corrections": [c for c in corrections if c.state == CorrectionRequest.State.OPEN],
        "throttles": throttle_rows(reader_throttles(reader)),
        "history": reader_history(reader, [c.pk for c in cards], [c.pk for c in corrections]),
        "may_act": may_act,
        "reveal_form": bound.get("reveal") or RevealForm(),
        "physical_form": bound.get("physical") or PhysicalCardForm(),
        "today": timezone.localdate(),
    }
    return staff_render(request, "staff/reader_detail.html", context, status=status)


@require_GET
@staff_required()
def reader_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _reader_page(request, _reader(pk))


@never_cache
@require_POST
@staff_required(GROUP, ADMIN)
def reader_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(pk)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            number = reader_reveal_id(
                actor=Actor.from_request(request), reader=reader, reason=form.cleaned_data["reason"]
            )
        except ReaderActionError as error:
            form.add_error("reason", str(error))
        else:
            # Shown on this response only: not stored, not redirected to, not cached.
            return staff_render(
                request,
                "staff/reader_reveal.html",
                {"reader": reader, "number": number, "reason": form.cleaned_data["reason"]},
            )
    return _reader_page(request, reader, reveal=form)


def _card_action(
    request: HttpRequest, pk: int, card_pk: int, service: Any, done: str
) -> HttpResponse:
    reader = _reader(pk)
    card = get_object_or_404(Card, pk=card_pk, reader=reader)
    form = CardStatusForm(request.POST, prefix=f"card{card.pk}")
    if form.is_valid():
        try:
            service(
                actor=Actor.from_request(request), card=card, reason=form.cleaned_data["reason"]
            )
        except ReaderActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return redirect("staff:reader", pk=reader.pk)
    return _reader_page(request, reader, **{f"card_{card.pk}": form})


@require_POST
@staff_required(GROUP, ADMIN)
def card_suspend_view(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    return _card_action(request, pk, card_pk, card_suspend, _("The card is suspended."))


@require_POST
@staff_required(GROUP, ADMIN)
def card_restore_view(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    return _card_action(request, pk, card_pk, card_restore, _("The card is active again."))


@never_cache
@require_POST
@staff_required(GROUP, ADMIN)
def reader_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(pk)
    secret = reader_reset_password(actor=Actor.from_request(request), reader=reader)
    # Shown on this response only; the reader must choose their own password with it.
    return staff_render(
        request,
        "staff/reader_password.html",
        {"reader": reader, "secret": secret, "expires_at": reader.initial_expires_at},
    )


@require_POST
@staff_required(GROUP, ADMIN)
def card_issue_physical_view(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(pk)
    form = PhysicalCardForm(request.POST)
    if form.is_valid():
        try:
            card = card_issue_physical(
                actor=Actor.from_request(request),
                reader=reader,
                barcode=form.cleaned_data["barcode"],
            )
        except ReaderActionError as error:
            form.add_error("barcode", str(error))
        else:
            messages.success(
                request,
                _("Physical card %(barcode)s issued; the reader may borrow books with it now.")
                % {"barcode": card.barcode},
            )
            return redirect("staff:reader", pk=reader.pk)
    return _reader_page(request, reader, physical=form)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(GROUP, ADMIN)
def correction_detail(request: HttpRequest, pk: int, correction_pk: int) -> HttpResponse:
    """The one page that shows what the reader asked for (it may be an ID or a birth date)."""
    reader = _reader(pk)
    correction = get_object_or_404(CorrectionRequest, pk=correction_pk, reader=reader)
    form = CorrectionDecisionForm(request.POST or None, correction=correction)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        note = form.cleaned_data["note"].strip()
        try:
            if form.cleaned_data["decision"] == CorrectionDecisionForm.DONE:
                correction_apply(actor=actor, correction=correction, note=note)
                done = _("The reader's data is corrected.")
            else:
                correction_decline(actor=actor, correction=correction, note=note)
                done = _("The request is declined.")
        except ReaderActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("staff:reader", pk=reader.pk)
    return staff_render(
        request,
        "staff/reader_correction.html",
        {
            "reader": reader,
            "correction": correction,
            "form": form,
            "is_open": correction.state == CorrectionRequest.State.OPEN,
            "is_id": correction.field == CorrectionRequest.Field.NATIONAL_ID,
        },
    )
