"""axe-core (WCAG 2.0/2.1 A and AA) on every page state a browser test visits.

A test calls ``assert_accessible(page)`` at each state it wants to show a user (a page, a
form with its errors, a confirmation). The ``page`` fixture remembers every document the
browser loaded and fails the test if one of them was never checked, so a new step in a flow
cannot skip the check. Each check runs at a desktop and a phone width.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from axe_playwright_python.base import AXE_SCRIPT

WIDTHS = ((1280, 900), (390, 844))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_RUN = "opts => axe.run(document, opts)"
_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}

_visited: WeakKeyDictionary[object, dict[str, str]] = WeakKeyDictionary()
_checked: WeakKeyDictionary[object, set[str]] = WeakKeyDictionary()


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def track(page) -> None:
    """Remember every document the page loads (only http pages: downloads and blobs aren't)."""
    _visited[page] = {}
    _checked[page] = set()

    def navigated(frame) -> None:
        if frame is page.main_frame and frame.url.startswith("http"):
            _visited[page].setdefault(_path(frame.url), frame.url)

    page.on("framenavigated", navigated)


def violations(page) -> list[str]:
    """axe's violations on the page as it is now, at each width, as readable lines."""
    original = page.viewport_size
    found: list[str] = []
    try:
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            if not page.evaluate("() => typeof window.axe !== 'undefined'"):
                page.evaluate(AXE_SCRIPT)
            result = page.evaluate(_RUN, _OPTIONS)
            for violation in result["violations"]:
                targets = ", ".join(
                    " ".join(node["target"]) if isinstance(node["target"], list) else node["target"]
                    for node in violation["nodes"][:5]
                )
                found.append(
                    f"{width}px {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} — {targets}"
                )
    finally:
        if original:
            page.set_viewport_size(original)
    return found


def assert_accessible(page) -> None:
    """Fail with axe's findings unless the page, as it is now, has no WCAG A/AA violation."""
    found = violations(page)
    _checked.setdefault(page, set()).add(_path(page.url))
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)


def unchecked(page) -> list[str]:
    """Pages the browser loaded that no ``assert_accessible`` looked at."""
    checked = _checked.get(page, set())
    return [url for path, url in _visited.get(page, {}).items() if path not in checked]
