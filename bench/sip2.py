"""SIP2 patron information (63, right password) from 16 concurrent connections against the real
`libcard sip2` on PostgreSQL, as a ratio to raw argon2id verifications per second (same
parameters, one process per core), both measured in this run.

Target (integration.md, Speed): ratio at least 0.8 — the server adds little to the hash itself.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import threading
import time
from pathlib import Path

from bench.common import LIBCARD, VAR, table
from bench.database import (
    PG,
    argon2_rate,
    bench_env,
    drop_database,
    fresh_database,
    seed_readers,
)
from libcard.sip2.protocol import Message, format_request, parse_response

DATABASE = "libcard_bench_sip2"
READERS = 100
CLIENTS = 16
SECONDS = 20.0  # each side, in ROUNDS alternating slices
ROUNDS = 5
PASSWORD = "bench reader password 2026"
# The platform that bench.database.seed_readers registers.
SIP2_USER, SIP2_PASSWORD = "bench", "bench-sip2-password"
DATE = "20260301    101500"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    received = b""
    while not received.endswith(b"\r"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        received += chunk
    return received


def _login(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    login = Message(
        "93",
        {"uid_algorithm": "0", "pwd_algorithm": "0"},
        [("CN", SIP2_USER), ("CO", SIP2_PASSWORD)],
    )
    if not _exchange(sock, format_request(login, sequence=0)).startswith(b"941"):
        raise SystemExit("the bench platform could not log in")
    return sock


def _patron_information(account: str, sequence: int) -> bytes:
    message = Message(
        "63",
        {"language": "000", "transaction_date": DATE, "summary": " " * 10},
        [("AO", "bench"), ("AA", account), ("AD", PASSWORD)],
    )
    return format_request(message, sequence=sequence)


def run_clients(
    sockets: list[socket.socket], accounts: list[str], seconds: float
) -> tuple[int, int]:
    """Answers with BL=Y and CQ=Y, and everything else, over the logged-in connections."""
    done = [0] * len(sockets)
    errors = [0] * len(sockets)
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        n = index
        while time.perf_counter() < stop:
            request = _patron_information(accounts[n % len(accounts)], n % 10)
            n += len(sockets)
            try:
                answer = parse_response(_exchange(sockets[index], request))
            except Exception as error:
                raise SystemExit(f"connection {index} failed: {error}") from None
            if answer.get("BL") == "Y" and answer.get("CQ") == "Y":
                done[index] += 1
            else:
                errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(sockets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), sum(errors)


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*LIBCARD, "sip2", "--port", str(port)],
            env=bench_env(url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"listening on" not in log.read_bytes():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"libcard sip2 did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return server


def main() -> None:
    print("\n== SIP2: patron information (63) vs raw argon2id ==")
    VAR.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    url = fresh_database(DATABASE)
    done = errors = 0
    raw_counts: list[float] = []
    raw_cpu = sip2_cpu = 0.0
    try:
        _key, accounts = seed_readers(url, READERS, PASSWORD)
        port = free_port()
        server = start_server(url, port, VAR / "sip2-server.log")
        try:
            # Every connection logs in once: the measured time holds patron requests only.
            sockets = [_login(port) for _ in range(CLIENTS)]
            # Warm up: imports, database connections, every reader's pseudonym row.
            run_clients(sockets, accounts, 3.0)
            # Taking turns in short slices, so that whatever else the machine does at the time
            # weighs on both sides alike.
            for _ in range(ROUNDS):
                before = _children_cpu()
                raw_counts.append(argon2_rate(SECONDS / ROUNDS) * SECONDS / ROUNDS)
                raw_cpu += _children_cpu() - before
                before = _sip2_cpu(server.pid)
                answered, failed = run_clients(sockets, accounts, SECONDS / ROUNDS)
                sip2_cpu += _sip2_cpu(server.pid) - before
                done, errors = done + answered, errors + failed
            for sock in sockets:
                sock.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
        workers = _workers_from_log(VAR / "sip2-server.log")
    finally:
        drop_database(DATABASE)
    sip2_rate = done / SECONDS
    raw_rate = sum(raw_counts) / SECONDS
    print(
        table(
            [
                ("measure", "per second", "notes"),
                (
                    "SIP2 63 (BL=Y, CQ=Y)",
                    f"{sip2_rate:.1f}",
                    f"{CLIENTS} connections, {READERS} readers, {workers} server threads, "
                    f"{errors} errors",
                ),
                (
                    "raw argon2id verify",
                    f"{raw_rate:.1f}",
                    f"{cores} processes, same parameters",
                ),
                (
                    "ratio (target ≥ 0.8)",
                    f"{sip2_rate / raw_rate:.2f}",
                    f"{ROUNDS} alternating rounds",
                ),
            ]
        )
    )
    # CPU time per answer does not depend on what else the machine runs meanwhile: the view to
    # trust when other work competes for the cores and the throughput figures wobble.
    if done and raw_counts and sip2_cpu and raw_cpu:
        per_answer = 1000 * sip2_cpu / done
        per_verify = 1000 * raw_cpu / sum(raw_counts)
        print(
            f"CPU per answer {per_answer:.1f} ms (server, its PostgreSQL backends, the clients) "
            f"vs {per_verify:.1f} ms per raw verification: {per_verify / per_answer:.2f}"
        )


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sip2_cpu(server_pid: int) -> float:
    """CPU seconds so far of everything that answers SIP2: the server, the PostgreSQL backends
    serving this database, and this process (the client threads)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        backends = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE]
        ).fetchall()
    return _cpu_of(server_pid) + sum(_cpu_of(pid) for (pid,) in backends) + time.process_time()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _workers_from_log(log: Path) -> str:
    text = log.read_text(errors="replace")
    marker = " workers)"
    if marker not in text:
        return "?"
    return text.split(marker, 1)[0].rsplit(" ", 1)[-1]


if __name__ == "__main__":
    main()
