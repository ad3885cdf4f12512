"""Playwright for Python driving Debian's Chromium (the Playwright browser download is not used)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("LIBCARD_CHROMIUM", "/usr/bin/chromium")
# Chromium must not try to reach the network on its own: this machine has none.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per module: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, and other tests in the same worker need asyncio.run()."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    downloads = tempfile.mkdtemp(prefix="libcard-downloads-")
    context = browser.new_context(
        base_url=live_server.url, locale="zh-TW", accept_downloads=True, viewport=None
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    yield page
    context.close()
    shutil.rmtree(downloads, ignore_errors=True)
    assert not errors, f"the page reported errors: {errors}"
