"""Helpers shared by the staff back-office tests (fixtures live in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from libcard.core.audit import Actor
from libcard.groups.models import GroupApplication
from libcard.groups.services import submission_submit, submission_upload
from tests.support.factories import application, reader_file_xlsx, reader_rows


def log_in(client, user):
    """Log a staff member in as the login view would (second factor passed), pages in English."""
    client.force_login(user)
    session = client.session
    session["staff_2fa_ok"] = True
    session.save()
    # The messages are English msgids; the zh_Hant catalogue may translate them.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def queued_application(institution, contact, *, rows: int = 3, start: int = 0, **extra):
    """An application whose reader data file went through the portal's upload and submit."""
    app = application(institution, contact, status="awaiting_file", **extra)
    actor = Actor("contact", "", contact.email, channel="web")
    submission = submission_upload(
        actor=actor,
        application=app,
        filename="readers.xlsx",
        data=reader_file_xlsx(reader_rows(rows, start=start)),
    )
    submission_submit(actor=actor, submission=submission)
    app.refresh_from_db()
    assert app.status == "queued", app.status
    return app


def local_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def fresh(app: GroupApplication) -> GroupApplication:
    return GroupApplication.objects.get(pk=app.pk)
