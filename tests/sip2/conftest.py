"""SIP2 fixtures: a registered platform, messages a client would send, a real server process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from libcard.sip2.protocol import Message, format_request, parse_response

SIP2_USER = "ebooks"
SIP2_PASSWORD = "a sip2 password 2026"
DATE = "20260301    101500"


@pytest.fixture(autouse=True)
def _forget_pseudonyms():
    """The server remembers pseudonyms per process; rolled-back tests may reuse primary keys."""
    yield
    from libcard.sip2 import handlers

    handlers._PSEUDONYMS.clear()


@pytest.fixture
def platform(db):
    from libcard.core.audit import Actor
    from libcard.platforms.services import platform_register

    return platform_register(
        actor=Actor("staff", "1", "admin"),
        name="電子書平台",
        sip2_user=SIP2_USER,
        sip2_password=SIP2_PASSWORD,
        allow=["127.0.0.0/8", "::1/128"],
        may={"name": True, "email": False},
    ).platform


# --- what a client sends ----------------------------------------------------------------


def login(user: str = SIP2_USER, password: str = SIP2_PASSWORD, *, sequence: int | None = 0):
    message = Message(
        "93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [("CN", user), ("CO", password)]
    )
    return format_request(message, sequence=sequence)


def sc_status(*, sequence: int | None = 1) -> bytes:
    message = Message(
        "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}
    )
    return format_request(message, sequence=sequence)


def patron_information(
    account: str, password: str | None = None, *, sequence: int | None = 2, encoding="utf-8"
) -> bytes:
    fields = [("AO", "lib"), ("AA", account)]
    if password is not None:
        fields.append(("AD", password))
    message = Message(
        "63", {"language": "000", "transaction_date": DATE, "summary": " " * 10}, fields
    )
    return format_request(message, sequence=sequence, encoding=encoding)


def patron_status(account: str, password: str = "", *, sequence: int | None = 3) -> bytes:
    message = Message(
        "23",
        {"language": "000", "transaction_date": DATE},
        [("AO", "lib"), ("AA", account), ("AC", ""), ("AD", password)],
    )
    return format_request(message, sequence=sequence)


def end_session(account: str, *, sequence: int | None = 4) -> bytes:
    message = Message("35", {"transaction_date": DATE}, [("AO", "lib"), ("AA", account)])
    return format_request(message, sequence=sequence)


def answer(data: bytes, encoding: str = "utf-8") -> Message:
    return parse_response(data, encoding=encoding)


# --- a real server process --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL the server process can use (a file for SQLite)."""
    from django.db import connections

    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class RunningServer:
    process: subprocess.Popen
    port: int
    log: Path
    host: str = "127.0.0.1"

    def connect(self, *, source: str | None = None, timeout: float = 10) -> socket.socket:
        sock = socket.socket()
        sock.settimeout(timeout)
        if source:
            sock.bind((source, 0))
        sock.connect((self.host, self.port))
        return sock

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def sip2_process(log: Path, **env: str) -> Iterator[RunningServer]:
    """`python -m libcard sip2` on a free port against the test database; always killed."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        # No developer .env in the server either: the same keys as this test process.
        "LIBCARD_TESTING": "1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "libcard", "sip2", "--port", str(port), "--workers", "4"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(process, port, log)
    try:
        deadline = time.monotonic() + 30
        while "listening on" not in server.log_text():
            if process.poll() is not None:
                raise RuntimeError(f"sip2 server exited: {server.log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"sip2 server did not start: {server.log_text()}")
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def sip2_server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[RunningServer]:
    """One server for the module's tests (each test brings its own data, committed: they are
    transactional tests). It stops before the test database is dropped."""
    log = tmp_path_factory.mktemp("sip2") / "server.log"
    with sip2_process(log) as server:
        yield server


def exchange(sock: socket.socket, data: bytes, *, timeout: float = 10) -> bytes:
    """Send one message and read one answer (up to its CR); b"" when the server closed."""
    sock.sendall(data)
    return read_message(sock, timeout=timeout)


def read_message(sock: socket.socket, *, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    received = b""
    while not received.endswith(b"\r"):
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    return received


def closed_by_server(sock: socket.socket, *, timeout: float = 10) -> bool:
    """True when the server has closed the connection (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
