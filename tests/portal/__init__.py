"""Helpers for the institution portal tests (the named people are in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from libcard.core.models import AuditEntry
from libcard.groups.models import GroupApplication, IssuedRow
from libcard.identity.numbers import mask_id
from tests.support import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def awaiting(institution, contact, **extra) -> GroupApplication:
    return factories.application(institution, contact, status="awaiting_file", **extra)


def issued(institution, contact, *, roster_days_left: float = 10) -> GroupApplication:
    """A completed application with two new cards, one existing cardholder and one refusal."""
    now = timezone.now()
    application = factories.application(
        institution,
        contact,
        status="completed",
        issued_at=now - dt.timedelta(days=1),
        completed_at=now - dt.timedelta(days=1),
        roster_expires_at=now + dt.timedelta(days=roster_days_left),
        issued_count=2,
        existing_count=1,
        refused_count=1,
    )
    for row, outcome, seed in [(5, "issued", 1), (6, "issued", 2), (7, "existing", 3)]:
        number = factories.national_id(seed)
        IssuedRow.objects.create(
            application=application,
            row=row,
            outcome=outcome,
            name=f"讀者{row}",
            id_masked=mask_id(number),
            unit="1年1班",
            role="學生",
            roster_secret=(
                json.dumps({"a": number, "p": f"Pw{row}x7Kq9mZ"}) if outcome == "issued" else None
            ),
        )
    IssuedRow.objects.create(
        application=application,
        row=8,
        outcome="refused",
        name="讀者8",
        id_masked=mask_id(factories.national_id(4)),
        unit="1年2班",
        reason="身分證字號已在其他申請中",
    )
    return application


def audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))
