"""No full ID number or birth date in the database in the clear, in the audit log, the logs or mail."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from libcard.core.models import AuditEntry
from libcard.individual.services import application_approve
from tests.individual import REVIEWER, submitted

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        rows = cursor.fetchall()
    return repr(rows) + "".join(
        bytes(value).decode("latin-1")
        for row in rows
        for value in row
        if isinstance(value, bytes | memoryview)
    )


def test_nothing_personal_leaks_on_the_way_to_a_card(
    caplog, mailoutbox, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted("foreign")
        application_approve(actor=REVIEWER, application=application)
    number, birth = application.national_id, application.birth_date

    table = raw_rows("individual_individualapplication")
    assert number not in table and birth.isoformat() not in table
    assert application.id_masked in table
    audit = repr(list(AuditEntry.objects.values()))
    assert number not in audit and birth.isoformat() not in audit
    assert number not in caplog.text and birth.isoformat() not in caplog.text
    for message in mailoutbox:
        assert number not in message.body and number not in message.subject
        assert birth.isoformat() not in message.body
