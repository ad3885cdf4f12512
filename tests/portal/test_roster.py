"""The credentials roster: only while its 14 days last, every download audited."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse

from libcard.groups.models import IssuedRow
from tests.portal import XLSX, audits, issued


@pytest.fixture
def logged_in(client, contact_a):
    client.force_login(contact_a.user)
    return client


@pytest.fixture
def completed(school_a, contact_a):
    return issued(school_a, contact_a)


def _accounts(application) -> dict[str, str]:
    return {
        json.loads(row.roster_secret)["a"]: json.loads(row.roster_secret)["p"]
        for row in IssuedRow.objects.filter(application=application, roster_secret__isnull=False)
    }


def test_the_page_shows_the_counts_and_both_downloads(logged_in, completed):
    page = logged_in.get(reverse("portal:application", args=[completed.pk])).content.decode()
    assert 'data-testid="counts"' in page
    assert reverse("portal:roster", args=[completed.pk, "xlsx"]) in page
    assert reverse("portal:roster", args=[completed.pk, "pdf"]) in page
    for account in _accounts(completed):
        assert account not in page  # the page never shows a full ID


def test_the_xlsx_roster_downloads_with_the_accounts(logged_in, completed, school_a):
    response = logged_in.get(reverse("portal:roster", args=[completed.pk, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote(school_a.name) in disposition
    assert disposition.endswith(".xlsx")
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = {
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    }
    for account, password in _accounts(completed).items():
        assert account in cells
        assert password in cells
    [entry] = audits("roster.download")
    assert entry.details["format"] == "xlsx"
    assert entry.object_id == str(completed.pk)
    assert entry.actor_kind == "contact"


def test_the_pdf_roster_downloads_and_each_download_is_audited(logged_in, completed):
    url = reverse("portal:roster", args=[completed.pk, "pdf"])
    for _time in range(2):
        response = logged_in.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
    assert [entry.details["format"] for entry in audits("roster.download")] == ["pdf", "pdf"]


def test_after_the_period_the_roster_is_refused(logged_in, school_a, contact_a):
    late = issued(school_a, contact_a, roster_days_left=-0.01)
    for fmt in ("xlsx", "pdf"):
        response = logged_in.get(reverse("portal:roster", args=[late.pk, fmt]))
        assert response.status_code == 403
        assert b'data-testid="roster-gone"' in response.content
    page = logged_in.get(reverse("portal:application", args=[late.pk])).content.decode()
    assert 'data-testid="roster-gone"' in page
    assert reverse("portal:roster", args=[late.pk, "pdf"]) not in page
    assert not audits("roster.download")


def test_after_the_purge_the_roster_is_refused(logged_in, completed):
    IssuedRow.objects.filter(application=completed).update(roster_secret=None)
    response = logged_in.get(reverse("portal:roster", args=[completed.pk, "xlsx"]))
    assert response.status_code == 403


def test_an_application_still_in_the_queue_has_no_roster(logged_in, school_a, contact_a):
    from tests.support.factories import application

    queued = application(school_a, contact_a, status="queued")
    assert logged_in.get(reverse("portal:roster", args=[queued.pk, "pdf"])).status_code == 403


def test_other_formats_do_not_exist(logged_in, completed):
    assert logged_in.get(f"/portal/applications/{completed.pk}/roster.csv").status_code == 404


def test_the_roster_tells_readers_where_to_log_in(completed, settings):
    from libcard.groups.portal_views import roster_of

    roster = roster_of(completed)
    assert roster.login_url.startswith(settings.SITE_URL)
    assert [entry.row for entry in roster.entries] == [5, 6]
    assert [entry.row for entry in roster.existing] == [7]
    assert [entry.reason for entry in roster.refused] == ["身分證字號已在其他申請中"]
    assert roster.password_expires_on > roster.issued_on
