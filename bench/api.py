"""POST /api/v1/auth/verify throughput under gunicorn on PostgreSQL, 16 concurrent clients,
against raw argon2id verifications per second (one process per core) in the same run.

Target (issue 4): ratio at least 0.8 — the API adds little to the password hash itself.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import threading
import time

from bench.common import PYTHON, table
from bench.database import argon2_rate, bench_env, drop_database, fresh_database, seed_readers

DATABASE = "libcard_bench_api"
CLIENTS = 16
SECONDS = 15.0
ROUNDS = 3
PASSWORD = "bench reader password 2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_clients(port: int, key: str, accounts: list[str], seconds: float) -> tuple[int, int]:
    done = [0] * CLIENTS
    errors = [0] * CLIENTS
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        n = index
        while time.perf_counter() < stop:
            body = json.dumps({"account": accounts[n % len(accounts)], "password": PASSWORD})
            n += CLIENTS
            try:
                connection.request("POST", "/api/v1/auth/verify", body, headers)
                response = connection.getresponse()
                payload = response.read()
                if response.status == 200 and b'"valid": true' in payload:
                    done[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), sum(errors)


def main() -> None:
    print("\n== HTTP API: POST /api/v1/auth/verify vs raw argon2id ==")
    url = fresh_database(DATABASE)
    try:
        key, accounts = seed_readers(url, 200, PASSWORD)
        port = free_port()
        cores = os.cpu_count() or 1
        server = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "libcard.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(cores * 2),
                "--keep-alive", "30", "--log-level", "warning",
            ],
            env=bench_env(url),
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            run_clients(port, key, accounts, 2.0)  # warm up: imports, connections
            # Alternate the two measurements so that any load on the machine hits both alike.
            done = errors = 0
            raw_total = 0.0
            for _ in range(ROUNDS):
                round_done, round_errors = run_clients(port, key, accounts, SECONDS / ROUNDS)
                done, errors = done + round_done, errors + round_errors
                raw_total += argon2_rate(SECONDS / ROUNDS)
        finally:
            server.terminate()
            server.wait(timeout=30)
        api_rate = done / SECONDS
        raw_rate = raw_total / ROUNDS
    finally:
        drop_database(DATABASE)
    print(
        table(
            [
                ("measure", "per second", "notes"),
                (
                    "API verify (valid)",
                    f"{api_rate:.1f}",
                    f"{CLIENTS} clients, gunicorn {cores * 2} workers, {errors} errors",
                ),
                (
                    "raw argon2id verify",
                    f"{raw_rate:.1f}",
                    f"{cores} processes, same parameters, {ROUNDS} alternating rounds",
                ),
                ("ratio (target ≥ 0.8)", f"{api_rate / raw_rate:.2f}", ""),
            ]
        )
    )


if __name__ == "__main__":
    main()
