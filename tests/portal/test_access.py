"""Every portal URL: another institution's contact gets 404, a stranger goes to the login."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from libcard.core.audit import Actor
from libcard.groups import services
from libcard.groups.models import Submission
from tests.portal import awaiting, issued
from tests.support.factories import staff


@pytest.fixture
def school_a_things(school_a, contact_a, fixtures_dir):
    application = awaiting(school_a, contact_a)
    submission = services.submission_upload(
        actor=Actor.system("web"),
        application=application,
        filename="messy.xlsx",
        data=(fixtures_dir / "readerfile" / "messy.xlsx").read_bytes(),
    )
    completed = issued(school_a, contact_a)
    return application, submission, completed


def _get_urls(application, submission, completed) -> list[str]:
    both = [application.pk, submission.pk]
    return [
        reverse("portal:application", args=[application.pk]),
        reverse("portal:submission", args=both),
        reverse("portal:submission_annotated", args=both),
        reverse("portal:submission_file", args=both),
        reverse("portal:application", args=[completed.pk]),
        reverse("portal:roster", args=[completed.pk, "xlsx"]),
        reverse("portal:roster", args=[completed.pk, "pdf"]),
    ]


def test_the_own_contact_reaches_every_url(client, contact_a, school_a_things):
    client.force_login(contact_a.user)
    for url in _get_urls(*school_a_things):
        assert client.get(url).status_code == 200, url


def test_another_institutions_contact_gets_404_everywhere(client, contact_b, school_a_things):
    application, submission, _completed = school_a_things
    client.force_login(contact_b.user)
    for url in _get_urls(*school_a_things):
        assert client.get(url).status_code == 404, url
    upload = client.post(
        reverse("portal:upload", args=[application.pk]),
        {"file": SimpleUploadedFile("readers.xlsx", b"x")},
    )
    assert upload.status_code == 404
    submit = client.post(reverse("portal:submission_submit", args=[application.pk, submission.pk]))
    assert submit.status_code == 404
    submission.refresh_from_db()
    assert submission.state == Submission.State.PREVIEW
    assert Submission.objects.filter(application=application).count() == 1
    # contact B's own home page does not list A's applications either
    page = client.get(reverse("portal:home")).content.decode()
    assert application.letter_number not in page


def test_a_submission_id_of_another_application_is_404(client, contact_a, school_a_things):
    _application, submission, completed = school_a_things
    client.force_login(contact_a.user)
    url = reverse("portal:submission", args=[completed.pk, submission.pk])
    assert client.get(url).status_code == 404


def test_a_stranger_is_sent_to_the_login(client, school_a_things):
    application, _submission, _completed = school_a_things
    urls = [reverse("portal:home"), *_get_urls(*school_a_things)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/portal/login/?next=")
    response = client.post(reverse("portal:upload", args=[application.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


def test_staff_are_not_contacts(client, school_a_things):
    client.force_login(staff("group-staff", "group"))
    for url in [reverse("portal:home"), *_get_urls(*school_a_things)]:
        assert client.get(url).status_code == 403, url
