"""The operator commands (operations.md), as an operator runs them."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from libcard.accounts.services import Outcome, reader_authenticate
from libcard.core.models import AuditEntry
from libcard.platforms.models import Platform
from libcard.platforms.services import platform_by_api_key
from libcard.readers.models import CardholderEntry
from tests.support.readers import make_reader

pytestmark = pytest.mark.django_db


def run(*args, stdin: str = "") -> str:
    out = io.StringIO()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


def test_platforms_add_prints_the_api_key_once_and_reads_the_sip2_password_from_stdin():
    output = run(
        "platforms", "add", "電子書平台", "--api", "--sip2-user", "ebook", "--allow", "10.0.0.0/8",
        stdin="a-long-sip2-password\n",
    )  # fmt: skip
    key = next(line.split(": ")[-1] for line in output.splitlines() if "API key" in line)
    platform = Platform.objects.get(name="電子書平台")
    assert platform_by_api_key(key) == platform
    assert key not in platform.api_key_hash and platform.sip2_enabled
    assert "a-long-sip2-password" not in output
    assert "電子書平台" in run("platforms", "list")


def test_platforms_add_refuses_a_bad_network_and_changes_nothing():
    with pytest.raises(CommandError):
        run("platforms", "add", "x", "--api", "--allow", "not-a-network")
    assert not Platform.objects.exists()


def test_cardholders_load_keeps_only_keyed_hashes(tmp_path):
    path = tmp_path / "ils.csv"
    path.write_text("身分證字號\nA123456789\nB287654326\nbad\n", encoding="utf-8")
    output = run("cardholders", "load", str(path), "--source", "ILS")
    assert "2" in output
    hashes = list(CardholderEntry.objects.values_list("id_hash", flat=True))
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    assert "A123456789" not in "".join(hashes)


def test_readers_reset_password_prints_a_new_initial_password():
    make_reader(own_password="my own password 2026")
    output = run("readers", "reset-password", "a123456789")
    secret = output.splitlines()[1].split(": ")[-1]
    result = reader_authenticate(account="A123456789", password=secret, channel="cli", address="")
    assert result.outcome is Outcome.MUST_CHANGE
    old = reader_authenticate(
        account="A123456789", password="my own password 2026", channel="cli", address=""
    )
    assert old.outcome is Outcome.INVALID
    assert AuditEntry.objects.filter(action="reader.reset_password").exists()


def test_readers_reset_password_for_an_unknown_id_fails_with_one_line():
    with pytest.raises(CommandError):
        run("readers", "reset-password", "B123456780")


def test_retention_lists_first_and_deletes_only_with_apply(school_a, contact_a, settings):
    from libcard.core.audit import Actor
    from libcard.core.files import file_exists
    from libcard.groups import services
    from libcard.groups.models import GroupApplication, Submission
    from tests.support.factories import application, reader_file_xlsx, reader_rows

    actor = Actor("staff", "1", "s")
    app = services.application_approve(actor=actor, application=application(school_a, contact_a))
    submission = services.submission_upload(
        actor=actor, application=app, filename="a.xlsx", data=reader_file_xlsx(reader_rows(2))
    )
    GroupApplication.objects.filter(pk=app.pk).update(
        status="completed", completed_at=timezone.now() - dt.timedelta(days=91)
    )
    key = submission.file_key
    listing = run("retention")
    assert "a.xlsx" in listing and file_exists(key)
    run("retention", "--apply")
    assert not file_exists(key)
    assert Submission.objects.get(pk=submission.pk).file_key == ""
    assert AuditEntry.objects.filter(action="retention.delete").count() == 1
    assert "nothing is due" in run("retention")


def test_demo_data_loads_once_and_its_logins_work():
    from libcard.demo import READER_ID, READER_PASSWORD, SIP2_PASSWORD, SIP2_USER
    from libcard.groups.models import GroupApplication
    from libcard.individual.models import IndividualApplication
    from libcard.platforms.services import platform_by_sip2_login

    first = run("demo")
    second = run("demo")
    assert "已載入" in first and "已存在" in second
    result = reader_authenticate(
        account=READER_ID, password=READER_PASSWORD, channel="web", address="127.0.0.1"
    )
    assert result.outcome is Outcome.OK
    assert platform_by_sip2_login(SIP2_USER, SIP2_PASSWORD) is not None
    states = set(GroupApplication.objects.values_list("status", flat=True))
    assert {"received", "awaiting_file", "returned", "queued", "rejected", "expired"} <= states
    assert states & {"completed", "issuing"}
    assert IndividualApplication.objects.filter(status="submitted").count() == 2
