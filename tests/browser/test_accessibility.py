"""Every page of the app passes axe-core, as a person who may see it, at both widths.

The flows in the other browser tests check the states they pass through; this one makes
sure no page is left out: it walks the access policy (tests/access/test_matrix.py) and
opens each page that renders HTML as the first role allowed to see it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access.test_matrix import GET_ALLOWED
from tests.access.world import ROLES, build
from tests.browser.a11y import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Files and JSON, not pages.
NOT_PAGES = {
    "front:template",
    "api:openapi",
    "portal:submission_annotated",
    "portal:submission_file",
    "portal:roster",
    "staff:attachment_download",
    "staff:submission_download",
    "staff:submission_annotated",
    "review:document",
}
# Who looks at a page when several may: the owner of the objects and the busiest role.
PREFERENCE = ("anonymous", "reader", "contact_a", "group", "admin", "reviewer", "contact_b")
assert set(PREFERENCE) == set(ROLES)


def test_every_page_passes_axe(page, live_server):
    world = build()
    problems: list[str] = []
    for name in sorted(set(GET_ALLOWED) - NOT_PAGES):
        role = next(role for role in PREFERENCE if role in GET_ALLOWED[name])
        page.context.clear_cookies()
        cookie = world.clients[role].cookies.get("sessionid")
        if cookie:
            page.context.add_cookies(
                [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
            )
        response = page.goto(reverse(name, kwargs=world.args.get(name, {})))
        assert response is not None and response.status == 200, f"{name} as {role}"
        try:
            assert_accessible(page)
        except AssertionError as exc:
            problems.append(f"{name} as {role}: {exc}")
    assert not problems, "\n\n".join(problems)
