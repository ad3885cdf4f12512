"""Walking a URL as each kind of visitor, for the permission matrices of the staff modules."""

from __future__ import annotations

from tests.staff import log_in

ANY = {"reviewer", "group_staff", "admin_staff"}
GROUP_OR_ADMIN = {"group_staff", "admin_staff"}
ADMIN = {"admin_staff"}
VISITORS = ["anonymous", "contact_a", "reviewer", "group_staff", "admin_staff"]


def as_visitor(request, client, name):
    if name == "anonymous":
        return client
    user = request.getfixturevalue(name)
    if name == "contact_a":
        client.force_login(user.user)
        return client
    return log_in(client, user)


def assert_access(response, visitor: str, allowed: set[str]) -> None:
    if visitor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/?next=")
    elif visitor in allowed:
        assert response.status_code in (200, 302, 404), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith("/staff/login/")
    else:
        assert response.status_code == 403
