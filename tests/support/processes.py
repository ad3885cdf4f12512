"""Real processes for tests: the background worker (and other servers) against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


def test_database_url() -> str:
    """The URL of the database this test runs on, for a process of its own."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings['NAME']}"


def process_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a libcard process started by a test: the test's database and keys."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=test_database_url(),
        LIBCARD_ENV_FILE=os.devnull,
        LIBCARD_DATA_DIR=str(data_dir),
        LIBCARD_DATA_KEYS=",".join(settings.LIBCARD_DATA_KEYS),
        LIBCARD_INDEX_KEY=settings.LIBCARD_INDEX_KEY,
        SECRET_KEY=settings.SECRET_KEY,
        EMAIL_BACKEND="file",
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@contextmanager
def worker(data_dir: Path, **extra: str) -> Iterator[subprocess.Popen]:
    """`libcard worker` in its own process, as production runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "libcard", "worker", "--interval", "0.2", "--no-periodic"],
        env=process_env(data_dir, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def mails(data_dir: Path) -> list[str]:
    """The e-mails the file backend wrote, oldest first, as text."""
    import email
    from email import policy

    folder = data_dir / "mail"
    if not folder.exists():
        return []
    texts = []
    for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=policy.default)
                body = message.get_body(preferencelist=("plain",))
                texts.append(
                    f"To: {message['To']}\nSubject: {message['Subject']}\n\n"
                    + (body.get_content() if body else "")
                )
    return texts


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")
