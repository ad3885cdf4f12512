"""A throwaway PostgreSQL database for a benchmark, migrated and filled by libcard itself."""

from __future__ import annotations

import os
import subprocess

from bench.common import LIBCARD, PYTHON

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def fresh_database(name: str) -> str:
    """Drop and create ``name``; return its DATABASE_URL after `libcard migrate`."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    subprocess.run(
        [*LIBCARD, "migrate", "--noinput", "-v0"], env=bench_env(url), check=True, timeout=600
    )
    return url


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBCARD_TEST")}
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_BACKEND="locmem",
        LIBCARD_ENV_FILE="/dev/null",
        PYTHONWARNINGS="ignore:No directory at",
    )
    return env


def run_django(url: str, code: str) -> str:
    """Run Python code with Django set up against ``url``; returns its stdout."""
    script = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'libcard.settings')\n"
        "django.setup()\n" + code
    )
    completed = subprocess.run(
        [PYTHON, "-c", script], env=bench_env(url), capture_output=True, text=True, timeout=900
    )
    if completed.returncode:
        raise SystemExit(completed.stderr)
    return completed.stdout


SEED_READERS = """
import argon2
from django.utils import timezone
from libcard.accounts.passwords import hash_password
from libcard.core.audit import Actor
from libcard.platforms.services import platform_register
from libcard.readers.models import Card, Reader
from libcard.readers.services import NewReader, reader_build
from libcard.identity.numbers import check_digit_for
import datetime as dt
COUNT = {count}
PASSWORD = {password!r}
stored = hash_password(PASSWORD)  # one hash, many readers: seeding stays quick
now = timezone.now()
readers = []
for i in range(COUNT):
    first = "ABCDEFGHJK"[i % 10] + "12"[i % 2] + f"{{i:07d}}"
    number = first + check_digit_for(first)
    reader = reader_build(NewReader(number=number, name=f"讀者{{i}}", birth_date=dt.date(1990, 1, 1)), secret="x", now=now)
    reader.password = stored
    reader.initial_secret_hash = ""
    readers.append(reader)
Reader.objects.bulk_create(readers)
Card.objects.bulk_create([Card(reader=r, source="group") for r in Reader.objects.all()])
registration = platform_register(actor=Actor("system"), name="bench", api=True,
    sip2_user="bench", sip2_password="bench-sip2-password", allow=["127.0.0.0/8"])
print(registration.api_key)
for r in Reader.objects.order_by("pk")[:COUNT]:
    print(r.national_id)
"""


def seed_readers(url: str, count: int, password: str) -> tuple[str, list[str]]:
    lines = run_django(url, SEED_READERS.format(count=count, password=password)).split()
    return lines[0], lines[1:]


def argon2_rate(seconds: float = 5.0) -> float:
    """Raw argon2id verifications per second, one process per core, same parameters."""
    import multiprocessing

    cores = os.cpu_count() or 1
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        counts = pool.map(_verify_for, [seconds] * cores)
    return sum(counts) / seconds


def _verify_for(seconds: float) -> int:
    import time

    import argon2

    hasher = argon2.PasswordHasher(
        time_cost=int(os.environ.get("READER_ARGON2_TIME_COST", 1)),
        memory_cost=int(os.environ.get("READER_ARGON2_MEMORY_KIB", 47104)),
        parallelism=int(os.environ.get("READER_ARGON2_PARALLELISM", 1)),
    )
    stored = hasher.hash("bench password 2026")
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        hasher.verify(stored, "bench password 2026")
        done += 1
    return done
