"""Every staff URL, as every kind of visitor: who gets in, who is sent to log in, who is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from libcard.core.audit import Actor
from libcard.core.models import Closure
from libcard.groups.services import AttachmentUpload, attachment_add
from tests.staff import log_in, queued_application
from tests.support.factories import application

ANY = {"reviewer", "group_staff", "admin_staff"}
GROUP = {"group_staff"}
ADMIN = {"admin_staff"}

# (url name, objects for its arguments, method, who may use it)
ROUTES = [
    ("staff:dashboard", [], "get", ANY),
    ("staff:applications", [], "get", ANY),
    ("staff:register", [], "get", GROUP),
    ("staff:register", [], "post", GROUP),
    ("staff:application", ["received"], "get", ANY),
    ("staff:application_approve", ["received"], "post", GROUP),
    ("staff:application_reject", ["received"], "post", GROUP),
    ("staff:application_return", ["queued"], "post", GROUP),
    ("staff:application_issue", ["received"], "post", GROUP),
    ("staff:application_resume", ["received"], "post", GROUP),
    ("staff:attachment_add", ["received"], "post", GROUP),
    ("staff:attachment_download", ["received", "attachment"], "get", ANY),
    ("staff:submission", ["queued", "submission"], "get", ANY),
    ("staff:submission_download", ["queued", "submission"], "get", GROUP),
    ("staff:submission_annotated", ["queued", "submission"], "get", GROUP),
    ("staff:institutions", [], "get", GROUP),
    ("staff:institution", ["school"], "get", GROUP),
    ("staff:institution_contact", ["school"], "post", GROUP),
    ("staff:cardholder_lists", [], "get", ADMIN),
    ("staff:cardholder_lists", [], "post", ADMIN),
    ("staff:closures", [], "get", ADMIN),
    ("staff:closed_weekday", [], "post", ADMIN),
    ("staff:closure_add", [], "post", ADMIN),
    ("staff:closure_delete", ["closure"], "post", ADMIN),
    ("staff:audit_log", [], "get", ADMIN),
]
VISITORS = ["anonymous", "contact_a", "reviewer", "group_staff", "admin_staff"]


@pytest.fixture
def world(school_a, contact_a):
    received = application(school_a, contact_a)
    attachment = attachment_add(
        actor=Actor.system("test"),
        application=received,
        upload=AttachmentUpload("letter", "letter.pdf", b"%PDF-1.4 letter", "application/pdf"),
    )
    queued = queued_application(school_a, contact_a)
    return {
        "received": received.pk,
        "attachment": attachment.pk,
        "queued": queued.pk,
        "submission": queued.submissions.get().pk,
        "school": school_a.pk,
        "closure": Closure.objects.create(day="2026-12-24", reason="inventory").pk,
    }


def _visitor(request, client, name):
    if name == "anonymous":
        return client
    user = request.getfixturevalue(name)
    if name == "contact_a":
        client.force_login(user.user)
        return client
    return log_in(client, user)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(
    ("name", "args", "method", "allowed"),
    [pytest.param(*route, id=f"{route[2]} {route[0]}") for route in ROUTES],
)
def test_it_lets_in_only_the_roles_allowed(
    request, client, world, visitor, name, args, method, allowed
):
    url = reverse(name, args=[world[arg] for arg in args])
    client = _visitor(request, client, visitor)
    response = getattr(client, method)(url)
    if visitor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/?next=")
    elif visitor in allowed:
        assert response.status_code in (200, 302, 404), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith("/staff/login/")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "staff:application_approve",
        "staff:application_reject",
        "staff:application_issue",
        "staff:application_resume",
    ],
)
def test_actions_refuse_get(client, group_staff, world, name):
    log_in(client, group_staff)
    response = client.get(reverse(name, args=[world["received"]]))
    assert response.status_code == 405


def test_it_answers_404_for_an_attachment_of_another_application(client, group_staff, world):
    log_in(client, group_staff)
    url = reverse("staff:attachment_download", args=[world["queued"], world["attachment"]])
    assert client.get(url).status_code == 404


def test_it_answers_404_for_an_unknown_application(client, reviewer):
    log_in(client, reviewer)
    assert client.get(reverse("staff:application", args=[999999])).status_code == 404
