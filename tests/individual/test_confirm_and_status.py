"""The e-mail link makes the application count; the status link shows its state in plain words."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import signing
from django.utils import timezone

from libcard.core.models import AuditEntry
from libcard.individual.services import (
    CONFIRM_SALT,
    application_reject,
    confirm_token,
    status_token,
)
from tests.individual import REVIEWER, fresh, submitted

pytestmark = pytest.mark.django_db


def link(mail, path: str) -> str:
    match = re.search(rf"https?://\S+({path}\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def status_page(client, application) -> str:
    response = client.get(f"/apply/status/{status_token(application)}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_following_the_link_puts_the_application_in_the_queue(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(confirm=False)
    assert "waiting for you to confirm" in status_page(client, application).lower()

    response = client.get(link(mailoutbox[0], "/apply/confirm/"), follow=True)

    application = fresh(application)
    assert application.status == "submitted"
    assert application.submitted_at is not None
    assert application.due_on is not None and application.due_on > timezone.localdate()
    assert response.redirect_chain[-1][0].startswith("/apply/status/")
    assert b'data-status="submitted"' in response.content
    entry = AuditEntry.objects.get(action="individual.confirm_email")
    assert (entry.from_state, entry.to_state) == ("unconfirmed", "submitted")


def test_following_the_link_twice_changes_nothing(client):
    application = submitted(confirm=False)
    url = f"/apply/confirm/{confirm_token(application)}/"
    client.get(url)
    first = fresh(application).submitted_at
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert fresh(application).submitted_at == first
    assert AuditEntry.objects.filter(action="individual.confirm_email").count() == 1


def test_an_expired_link_does_not_confirm(client, monkeypatch):
    application = submitted(confirm=False)
    four_days_ago = time.time() - 4 * 86400
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: four_days_ago)
        token = signing.dumps({"a": application.pk}, salt=CONFIRM_SALT)
    response = client.get(f"/apply/confirm/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert b'data-testid="link-invalid"' in response.content
    assert fresh(application).status == "unconfirmed"


@pytest.mark.parametrize("token", ["nonsense", "eyJhIjoxfQ:1tX:forged"])
def test_a_forged_link_does_nothing(client, token):
    assert client.get(f"/apply/confirm/{token}/").status_code == 404
    assert client.get(f"/apply/status/{token}/").status_code == 404


def test_the_status_page_speaks_plainly(client):
    application = submitted()
    page = status_page(client, application)
    assert "waiting for review" in page
    assert application.due_on.isoformat() in page
    assert application.id_masked in page and application.national_id not in page

    application_reject(
        actor=REVIEWER, application=application, reason="unclear_image", note="背面太暗"
    )
    page = status_page(client, application)
    assert "not approved" in page and "unclear" in page and "背面太暗" in page
    assert "apply again" in page


def test_the_status_page_of_a_lapsed_application_says_apply_again(client):
    application = submitted(confirm=False)
    submitted(confirm=False, email="again@example.com")
    assert "no longer counts" in status_page(client, application)


def test_unconfirmed_applications_lapse_when_the_link_expires():
    from libcard.individual.services import applications_lapse_unconfirmed

    now = timezone.now()
    stale = submitted(confirm=False, now=now - dt.timedelta(days=4))
    recent = submitted(confirm=False, now=now - dt.timedelta(days=1), number="M162773050")
    assert applications_lapse_unconfirmed(now=now) == 1
    assert fresh(stale).status == "lapsed" and fresh(recent).status == "unconfirmed"
