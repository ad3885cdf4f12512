"""Production mode refuses to start without its keys and without staff two-factor."""

import base64
import os
import subprocess
import sys

import pytest

KEY = base64.b64encode(os.urandom(32)).decode()
REAL = {
    "SECRET_KEY": "a-real-secret-" + "x" * 40,
    "LIBCARD_DATA_KEYS": KEY,
    "LIBCARD_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    "ALLOWED_HOSTS": "library.example",
}


def start(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LIBCARD", "SECRET"))}
    environment.update(LIBCARD_ENV_FILE=os.devnull, LIBCARD_PRODUCTION="1", **env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'libcard.settings'); django.setup()",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "LIBCARD_DATA_KEYS", "LIBCARD_INDEX_KEY"])
def test_it_refuses_to_start_without_a_key(missing):
    env = {k: v for k, v in REAL.items() if k != missing}
    result = start(**env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_it_refuses_to_start_without_staff_two_factor():
    result = start(**REAL, STAFF_REQUIRE_2FA="0")
    assert result.returncode != 0 and "STAFF_REQUIRE_2FA" in result.stderr


def test_it_starts_with_real_keys():
    result = start(**REAL)
    assert result.returncode == 0, result.stderr


def test_a_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(REAL["SECRET_KEY"])
    env = {k: v for k, v in REAL.items() if k != "SECRET_KEY"}
    assert start(**env, SECRET_KEY_FILE=str(secret)).returncode == 0


def test_a_fresh_checkout_gets_its_data_folder(tmp_path):
    """Found on a fresh clone: SQLite creates its file but not the folder it lives in."""
    folder = tmp_path / "not-yet" / "var"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIBCARD")}
    environment.update(LIBCARD_ENV_FILE=os.devnull, LIBCARD_DATA_DIR=str(folder))
    environment.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "libcard", "migrate", "--noinput", "-v0"],
        env=environment,
        check=True,
        timeout=120,
    )
    assert (folder / "libcard.sqlite3").exists()
