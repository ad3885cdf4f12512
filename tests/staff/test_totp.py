"""The staff second factor: enrolment, the code step, replay, throttling, admin reset."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from libcard.accounts.models import LoginThrottle, StaffDevice
from libcard.core.models import AuditEntry
from tests.staff import log_in
from tests.staff.access import ADMIN, VISITORS, as_visitor, assert_access
from tests.support.factories import PASSWORD

LOGIN = reverse("staff:login")
CODE = reverse("staff:login_code")
ENROL = reverse("staff:totp_enrol")
DASHBOARD = reverse("staff:dashboard")
WRONG_PASSWORD = "not the password at all"


def _login(client, username, password=PASSWORD, **extra):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _device(user, *, confirmed=True) -> StaffDevice:
    return StaffDevice.objects.create(
        user=user,
        secret=pyotp.random_base32(),
        confirmed_at=timezone.now() if confirmed else None,
    )


def _code(device: StaffDevice, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(device.secret).at(time.time() + 30 * steps_ahead)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def frozen_throttle(monkeypatch):
    """Throttle delays measured on a clock that stands still, so a test never races them."""
    now = timezone.now()
    monkeypatch.setattr("libcard.accounts.throttle.timezone", SimpleNamespace(now=lambda: now))
    return now


# -- enrolment --------------------------------------------------------------------------------
def test_without_an_authenticator_it_leads_through_enrolment_when_required(
    client, settings, group_staff
):
    settings.STAFF_REQUIRE_2FA = True
    response = _login(client, "group-staff")
    assert response["Location"] == ENROL
    assert not _logged_in(client)
    assert client.get(DASHBOARD).status_code == 302

    page = client.get(ENROL)
    assert page.status_code == 200
    device = StaffDevice.objects.get(user=group_staff)
    assert device.confirmed_at is None
    html = page.content.decode()
    assert "<svg" in html
    assert "<script>" not in html  # the QR code is markup, no inline script
    assert "script-src 'self'" in page["Content-Security-Policy"]
    typed = device.secret[:4] + " " + device.secret[4:8]
    assert typed in html
    # A reload keeps the secret, so an app that scanned it keeps working.
    client.get(ENROL)
    assert StaffDevice.objects.get(user=group_staff).secret == device.secret

    code = _code(device)
    response = client.post(ENROL, {"code": code})
    assert response["Location"] == DASHBOARD
    assert client.session["staff_2fa_ok"] is True
    assert _logged_in(client)
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEntry.objects.filter(action="totp.enrol", actor_label="group-staff").exists()
    success = AuditEntry.objects.get(action="login.success")
    assert success.details == {"second_factor": "totp"}
    for row in AuditEntry.objects.values():
        assert device.secret not in str(row)
        assert code not in str(row.get("details"))


def test_enrolment_refuses_a_wrong_code_and_confirms_nothing(client, settings, group_staff):
    settings.STAFF_REQUIRE_2FA = True
    _login(client, "group-staff")
    client.get(ENROL)
    device = StaffDevice.objects.get(user=group_staff)
    response = client.post(ENROL, {"code": _wrong(_code(device))})
    assert response.status_code == 200
    assert response.context["error"]
    assert not _logged_in(client)
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert AuditEntry.objects.get(action="totp.failure").details["enrolment"] is True
    assert not AuditEntry.objects.filter(action="totp.enrol").exists()


def test_enrolment_refuses_what_is_not_six_digits(client, settings, group_staff):
    settings.STAFF_REQUIRE_2FA = True
    _login(client, "group-staff")
    client.get(ENROL)
    response = client.post(ENROL, {"code": "12ab56"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not _logged_in(client)


def test_without_the_requirement_it_offers_enrolment_to_a_logged_in_member(client, reviewer):
    _login(client, "reviewer")
    assert _logged_in(client)
    assert "staff_2fa_ok" not in client.session
    page = client.get(ENROL)
    assert page.status_code == 200
    assert reverse("staff:dashboard") in page.content.decode()  # "Not now"
    device = StaffDevice.objects.get(user=reviewer)
    response = client.post(ENROL, {"code": _code(device)})
    assert response["Location"] == DASHBOARD
    assert client.session["staff_2fa_ok"] is True
    assert AuditEntry.objects.filter(action="totp.enrol").count() == 1
    # Once set up, the page does not offer a second one.
    assert client.get(ENROL)["Location"] == DASHBOARD


def test_enrolment_needs_a_login(client, db):
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# -- the code step ----------------------------------------------------------------------------
def test_with_an_authenticator_the_code_finishes_the_login(client, group_staff):
    device = _device(group_staff)
    response = _login(client, "group-staff", next="/staff/applications/")
    assert response["Location"] == CODE
    assert not _logged_in(client)
    assert client.get(DASHBOARD).status_code == 302
    assert client.get(CODE).status_code == 200
    response = client.post(CODE, {"code": _code(device)})
    assert response["Location"] == "/staff/applications/"
    assert _logged_in(client)
    assert client.session["staff_2fa_ok"] is True
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEntry.objects.get(action="login.success").details == {"second_factor": "totp"}


def test_it_refuses_a_wrong_code(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    code = _wrong(_code(device))
    response = client.post(CODE, {"code": code})
    assert response.status_code == 200
    assert "not right" in response.context["error"]
    assert not _logged_in(client)
    entry = AuditEntry.objects.get(action="totp.failure")
    assert entry.actor_label == "group-staff"
    assert code not in str(entry.details)
    assert not AuditEntry.objects.filter(action="login.success").exists()


def test_it_refuses_a_code_used_once_already(client, group_staff):
    device = _device(group_staff)
    code = _code(device)
    _login(client, "group-staff")
    assert client.post(CODE, {"code": code}).status_code == 302
    client.post(reverse("staff:logout"))

    _login(client, "group-staff")
    response = client.post(CODE, {"code": code})
    assert response.status_code == 200
    assert "used already" in response.context["error"]
    assert not _logged_in(client)
    assert AuditEntry.objects.get(action="totp.failure").details["replayed"] is True
    # The next code (the following 30 seconds) is accepted.
    assert client.post(CODE, {"code": _code(device, steps_ahead=1)}).status_code == 302
    assert _logged_in(client)


def test_the_code_step_needs_the_password_first(client, group_staff):
    device = _device(group_staff)
    response = client.post(CODE, {"code": _code(device)})
    assert response["Location"] == LOGIN
    assert not _logged_in(client)
    device.refresh_from_db()
    assert device.last_counter == 0


def test_the_code_step_expires(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    session = client.session
    session["staff_pending"]["at"] -= 11 * 60
    session.save()
    response = client.post(CODE, {"code": _code(device)})
    assert response["Location"] == LOGIN
    assert not _logged_in(client)


def test_cancel_drops_the_half_finished_login(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    client.post(reverse("staff:logout"))
    assert client.post(CODE, {"code": _code(device)})["Location"] == LOGIN


def test_an_unconfirmed_device_does_not_ask_for_a_code(client, group_staff):
    _device(group_staff, confirmed=False)
    response = _login(client, "group-staff")
    assert response["Location"] == DASHBOARD  # STAFF_REQUIRE_2FA is off in tests


# -- throttling -------------------------------------------------------------------------------
def test_the_password_step_is_throttled(client, settings, group_staff, frozen_throttle):
    settings.THROTTLE_FREE_FAILURES = 2
    for _ in range(3):
        assert _login(client, "group-staff", WRONG_PASSWORD).status_code == 200
    response = _login(client, "group-staff")
    assert response.status_code == 429
    assert "wait" in response.context["error"]
    assert not _logged_in(client)
    assert AuditEntry.objects.filter(action="login.throttled").count() == 1
    # The counters hold keyed hashes, never the username typed.
    assert not LoginThrottle.objects.filter(key__contains="group-staff").exists()


def test_an_unknown_user_gets_the_wrong_password_answer_and_is_counted_alike(client, group_staff):
    wrong = _login(client, "group-staff", WRONG_PASSWORD)
    unknown = _login(client, "nobody-here", WRONG_PASSWORD)
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    accounts = LoginThrottle.objects.filter(key__startswith="account:staff-")
    assert accounts.count() == 2
    assert sorted(accounts.values_list("failures", flat=True)) == [1, 1]
    assert AuditEntry.objects.filter(action="login.failure").count() == 2


def test_an_unknown_user_is_throttled_like_a_real_one(client, settings, db, frozen_throttle):
    settings.THROTTLE_FREE_FAILURES = 2
    for _ in range(3):
        _login(client, "nobody-here", WRONG_PASSWORD)
    assert _login(client, "nobody-here", WRONG_PASSWORD).status_code == 429


def test_the_right_password_clears_the_password_counters(client, group_staff):
    _login(client, "group-staff", WRONG_PASSWORD)
    assert LoginThrottle.objects.filter(key__startswith="account:staff-").exists()
    _login(client, "group-staff")
    assert not LoginThrottle.objects.filter(key__startswith="account:staff-").exists()


def test_the_code_step_is_throttled(client, settings, group_staff, frozen_throttle):
    settings.THROTTLE_FREE_FAILURES = 2
    device = _device(group_staff)
    _login(client, "group-staff")
    for _ in range(3):
        client.post(CODE, {"code": _wrong(_code(device))})
    response = client.post(CODE, {"code": _code(device)})
    assert response.status_code == 429
    assert "wait" in response.context["error"]
    assert not _logged_in(client)
    assert AuditEntry.objects.filter(action="totp.throttled").exists()
    device.refresh_from_db()
    assert device.last_counter == 0  # the right code was not even looked at


def test_a_right_password_does_not_reset_the_code_count(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    client.post(CODE, {"code": _wrong(_code(device))})
    client.post(reverse("staff:logout"))
    _login(client, "group-staff")
    row = LoginThrottle.objects.get(key__startswith="account:totp-")
    assert row.failures == 1
    client.post(CODE, {"code": _code(device)})
    assert _logged_in(client)
    assert not LoginThrottle.objects.filter(key__startswith="account:totp-").exists()


# -- admins reset a lost authenticator --------------------------------------------------------
def test_an_admin_resets_another_members_authenticator(client, settings, admin_staff, reviewer):
    _device(reviewer)
    log_in(client, admin_staff)
    page = client.get(reverse("staff:staff_users")).content.decode()
    assert "reviewer" in page
    response = client.post(reverse("staff:totp_reset", args=[reviewer.pk]))
    assert response.status_code == 302
    assert not StaffDevice.objects.filter(user=reviewer).exists()
    entry = AuditEntry.objects.get(action="totp.reset")
    assert entry.actor_label == "admin-staff"
    assert entry.object_id == str(reviewer.pk)

    settings.STAFF_REQUIRE_2FA = True
    client.post(reverse("staff:logout"))
    assert _login(client, "reviewer")["Location"] == ENROL


def test_an_admin_cannot_reset_their_own_authenticator(client, admin_staff):
    _device(admin_staff)
    log_in(client, admin_staff)
    client.post(reverse("staff:totp_reset", args=[admin_staff.pk]))
    assert StaffDevice.objects.filter(user=admin_staff).exists()
    assert not AuditEntry.objects.filter(action="totp.reset").exists()


def test_a_device_reset_during_the_code_step_leads_to_enrolment(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    device.delete()
    assert client.get(CODE)["Location"] == ENROL


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(
    ("name", "method"),
    [("staff:staff_users", "get"), ("staff:totp_reset", "post")],
)
def test_only_admins_manage_authenticators(request, client, reviewer, visitor, name, method):
    args = [reviewer.pk] if name == "staff:totp_reset" else []
    client = as_visitor(request, client, visitor)
    response = getattr(client, method)(reverse(name, args=args))
    assert_access(response, visitor, ADMIN)


@pytest.mark.parametrize("visitor", ["anonymous", "contact_a", "reviewer", "admin_staff"])
def test_enrolment_is_for_staff_only(request, client, visitor):
    client = as_visitor(request, client, visitor)
    response = client.get(ENROL)
    if visitor == "anonymous":
        assert response["Location"].startswith(LOGIN)
    elif visitor == "contact_a":
        assert response.status_code == 403
    else:
        assert response.status_code == 200


def test_pending_state_does_not_outlive_a_password_change(client, group_staff):
    device = _device(group_staff)
    _login(client, "group-staff")
    group_staff.set_password("a completely new staff password 9")
    group_staff.save()
    assert client.post(CODE, {"code": _code(device)})["Location"] == LOGIN
    assert not _logged_in(client)
