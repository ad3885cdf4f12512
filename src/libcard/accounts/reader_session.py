"""A reader's web session: separate from Django's users, ended by any change of secret."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from libcard.accounts.services import session_hash
from libcard.readers.models import Reader

READER_KEY = "reader_id"
HASH_KEY = "reader_hash"
PENDING_KEY = "reader_must_change"  # logged in with the initial password: may only change it


def reader_login(request: HttpRequest, reader: Reader, *, pending: bool = False) -> None:
    request.session.cycle_key()
    request.session[READER_KEY] = reader.pk
    request.session[HASH_KEY] = session_hash(reader)
    if pending:
        request.session[PENDING_KEY] = True
    else:
        request.session.pop(PENDING_KEY, None)


def reader_logout(request: HttpRequest) -> None:
    for key in (READER_KEY, HASH_KEY, PENDING_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def _session_reader(request: HttpRequest) -> Reader | None:
    pk = request.session.get(READER_KEY)
    if pk is None:
        return None
    reader = Reader.objects.filter(pk=pk).first()
    if reader is None or session_hash(reader) != request.session.get(HASH_KEY):
        return None
    return reader


def reader_from_session(request: HttpRequest) -> Reader | None:
    """The reader of a complete login (not one that still has to change the initial password)."""
    if not hasattr(request, "session") or request.session.get(PENDING_KEY):
        return None
    return _session_reader(request)


def pending_reader(request: HttpRequest) -> Reader | None:
    if not request.session.get(PENDING_KEY):
        return None
    return _session_reader(request)


def reader_required(view: Any) -> Any:
    """A logged-in reader who has accepted the personal-data notice and the card's terms."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reader = getattr(request, "reader", None)
        if reader is None:
            if pending_reader(request) is not None:
                return redirect("reader:first_password")
            return redirect(f"/account/login/?next={request.path}")
        if reader.notice_accepted_at is None and view.__name__ != "notice":
            return redirect("reader:notice")
        return view(request, *args, **kwargs)

    return wrapper
