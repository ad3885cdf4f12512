"""Every URL of the app, as every role: who may see what (security.md, Roles and access).

The tables are the access policy written out: a new URL fails the test until it is
placed in them. Roles: anonymous, a reader, the contact persons of school A (who owns
every object here) and of school B, and each staff role.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.world import ROLES, build

A, R, CA, CB, REV, GRP, ADM = ROLES
EVERYONE = set(ROLES)
STAFF = {REV, GRP, ADM}

# GET: who gets the page (200). Everyone else is sent to a login page (302) or refused
# (403, or 404 for another school's objects). Token links and public pages are open.
GET_ALLOWED: dict[str, set[str]] = {
    "front:home": EVERYONE,
    "front:template": EVERYONE,
    "front:check": EVERYONE,
    "api:openapi": EVERYONE,
    "individual:start": EVERYONE,
    "individual:form": EVERYONE,
    "individual:certificate": EVERYONE,
    "individual:status": EVERYONE,  # the signed status link is the key
    "reader:login": EVERYONE,
    "reader:forgot": EVERYONE,
    "reader:email_confirm": EVERYONE,  # a bad token shows "this link does not work"
    "reader:reset": EVERYONE,
    "reader:card": {R},
    "reader:contact": {R},
    "reader:correction": {R},
    "reader:notice": {R},
    "reader:password": {R},
    "portal:home": {CA, CB},
    "portal:password_change": {CA, CB},
    "portal:login": {A, R, REV, GRP, ADM},  # contacts already logged in go to their home
    "portal:signup": EVERYONE,
    "portal:password_reset": EVERYONE,
    "portal:password_reset_done": EVERYONE,
    "portal:password_reset_confirm": EVERYONE,
    "portal:password_reset_complete": EVERYONE,
    "portal:application": {CA},
    "portal:submission": {CA},
    "portal:submission_annotated": {CA},
    "portal:submission_file": {CA},
    "portal:roster": {CA},
    "staff:login": EVERYONE,
    "staff:dashboard": STAFF,
    "staff:applications": STAFF,
    "staff:application": STAFF,
    "staff:attachment_download": STAFF,
    "staff:submission": STAFF,
    "staff:submission_download": {GRP},  # the whole file: every reader's full ID
    "staff:submission_annotated": {GRP},
    "staff:register": {GRP},
    "staff:institutions": {GRP},
    "staff:institution": {GRP},
    "staff:readers": STAFF,
    "staff:reader": STAFF,
    "staff:correction": {GRP, ADM},
    "staff:totp_enrol": STAFF,
    "staff:cardholder_lists": {ADM},
    "staff:closures": {ADM},
    "staff:audit_log": {ADM},
    "staff:platforms": {ADM},
    "staff:platform": {ADM},
    "staff:platform_register": {ADM},
    "staff:throttles": {ADM},
    "staff:staff_users": {ADM},
    "review:queue": {REV},
    "review:application": {REV},
    "review:document": {REV},
}

# Changing data: POST only (GET answers 405), and refused to anyone but these.
POST_ALLOWED: dict[str, set[str]] = {
    "staff:application_approve": {GRP},
    "staff:application_reject": {GRP},
    "staff:application_return": {GRP},
    "staff:application_issue": {GRP},
    "staff:application_resume": {GRP},
    "staff:attachment_add": {GRP},
    "staff:institution_contact": {GRP},
    "staff:reader_reveal": {GRP, ADM},
    "staff:reader_password_reset": {GRP, ADM},
    "staff:card_issue_physical": {GRP, ADM},
    "staff:card_suspend": {GRP, ADM},
    "staff:card_restore": {GRP, ADM},
    "staff:closed_weekday": {ADM},
    "staff:closure_add": {ADM},
    "staff:closure_delete": {ADM},
    "staff:platform_new_key": {ADM},
    "staff:platform_sip2": {ADM},
    "staff:throttle_clear": {ADM},
    "staff:totp_reset": {ADM},
    "review:approve": {REV},
    "review:reject": {REV},
    "review:reveal": {REV},
    "portal:upload": {CA},
    "portal:submission_submit": {CA},
}

# Neither table: they redirect on GET whoever asks (a step in a flow, or a logout form).
FLOW_STEPS = {
    "individual:sent",
    "individual:confirm",  # confirms, then shows the status page
    "individual:certificate_done",
    "reader:first_password",
    "reader:logout",
    "portal:logout",
    "staff:logout",
    "staff:login_code",
    "set_language",
    "api:verify",  # the API answers 401 without a platform key (tests/platforms)
    "api:reader",
}


def url_names() -> list[str]:
    def walk(patterns, namespace=""):  # type: ignore[no-untyped-def]
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(p for p in (namespace, pattern.namespace or "") if p)
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    names = walk(get_resolver().url_patterns)
    return sorted(name for name in names if not name.startswith("admin:"))


def test_every_url_is_in_the_policy():
    placed = set(GET_ALLOWED) | set(POST_ALLOWED) | FLOW_STEPS
    assert set(url_names()) - placed == set()
    assert placed - set(url_names()) == set()


def refused(role: str, response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and "login" in response.headers.get("Location", "")


@pytest.fixture
def world(db):
    return build()


def test_get_as_every_role(world):
    problems = []
    for name, allowed in GET_ALLOWED.items():
        url = reverse(name, kwargs=world.args.get(name, {}))
        for role in ROLES:
            response = world.clients[role].get(url)
            if role in allowed:
                if response.status_code != 200:
                    problems.append(f"{name} as {role}: {response.status_code}, expected 200")
            elif name == "portal:login" and response.status_code == 302:
                continue  # a logged-in contact person is sent on to the portal
            elif not refused(role, response):
                problems.append(f"{name} as {role}: {response.status_code}, expected refusal")
            elif role == A and response.status_code != 302:
                problems.append(f"{name} as anonymous: {response.status_code}, expected login")
    assert not problems, "\n".join(problems)


def test_changes_need_post_and_the_right_role(world):
    from libcard.core.models import AuditEntry

    problems = []
    for name, allowed in POST_ALLOWED.items():
        url = reverse(name, kwargs=world.args.get(name, {}))
        for role in ROLES:
            if world.clients[role].get(url).status_code != 405:
                problems.append(f"GET {name} as {role} is not refused with 405")
            if role in allowed:
                continue
            changes = AuditEntry.objects.exclude(action__startswith="login")
            before = changes.count()
            response = world.clients[role].post(url, {"reason": "想看看", "barcode": "ABC12345"})
            if not refused(role, response):
                problems.append(f"POST {name} as {role}: {response.status_code}")
            if changes.count() > before:
                problems.append(f"POST {name} as {role} changed something")
    assert not problems, "\n".join(problems)
