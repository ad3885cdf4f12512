"""Personal data at rest: encrypted, keyed blind index, key rotation — and the raw database."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from libcard.core.crypto import DecryptionError, id_index, keyring
from libcard.readers.models import Reader
from libcard.readers.services import NewReader, reader_build

NEW_KEY = "bmV3LWtleS1mb3ItdGhlLXJvdGF0aW9uLXRlc3QhISE="  # 32 bytes, base64


def make_reader(number: str, birth: dt.date, name: str = "王小明") -> Reader:
    from django.utils import timezone

    reader = reader_build(
        NewReader(number=number, name=name, birth_date=birth), secret="x", now=timezone.now()
    )
    reader.save()
    return reader


def test_ciphertext_round_trips_and_detects_tampering():
    ring = keyring()
    blob = ring.encrypt(b"A123456789", context=b"ctx")
    assert ring.decrypt(blob, context=b"ctx") == b"A123456789"
    with pytest.raises(DecryptionError):
        ring.decrypt(blob, context=b"another column")
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.decrypt(bytes(tampered), context=b"ctx")


def test_the_blind_index_is_keyed():
    import hashlib

    assert id_index("A123456789") != hashlib.sha256(b"A123456789").hexdigest()
    assert id_index("A123456789") == id_index("A123456789")


@pytest.mark.django_db
def test_readers_come_back_decrypted():
    reader = make_reader("A123456789", dt.date(1996, 3, 12))
    again = Reader.objects.get(pk=reader.pk)
    assert again.national_id == "A123456789"
    assert again.birth_date == dt.date(1996, 3, 12)
    assert again.id_masked == "A12****789"


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_no_id_number_or_birth_date():
    people = [
        ("A123456789", dt.date(1996, 3, 12)),
        ("M162773050", dt.date(2011, 11, 5)),
        ("B287654326", dt.date(1984, 7, 30)),
    ]
    for number, birth in people:
        make_reader(number, birth)
    raw = _raw_database_bytes()
    for number, birth in people:
        assert number.encode() not in raw
        assert number.lower().encode() not in raw
        for form in (birth.isoformat(), birth.strftime("%Y%m%d"), f"{birth.year - 1911}/"):
            if form.endswith("/"):
                continue
            assert form.encode() not in raw, form


def _raw_database_bytes() -> bytes:
    """The whole database as an attacker with a copy would see it."""
    if connection.vendor == "sqlite":
        connection.close()
        path = Path(connection.settings_dict["NAME"])
        data = path.read_bytes()
        for suffix in ("-wal", "-journal"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                data += extra.read_bytes()
        return data
    params = connection.get_connection_params()
    completed = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            params.get("host") or "127.0.0.1",
            "-p",
            str(params.get("port") or 5432),
            "-U",
            params.get("user") or "postgres",
            connection.settings_dict["NAME"],
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return completed.stdout


@pytest.mark.django_db
def test_key_rotation_reencrypts_and_old_data_stays_readable(settings):
    reader = make_reader("A123456789", dt.date(1996, 3, 12))
    old_id = keyring().current_id
    settings.LIBCARD_DATA_KEYS = [NEW_KEY, *settings.LIBCARD_DATA_KEYS]
    assert keyring().current_id != old_id
    # readable before rotation, under the old key
    assert Reader.objects.get(pk=reader.pk).national_id == "A123456789"
    from django.core.management import call_command

    call_command("keys", "rotate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM readers_reader WHERE id = %s", [reader.pk])
        blob = bytes(cursor.fetchone()[0])
    assert keyring().key_id_of(blob) == keyring().current_id
    settings.LIBCARD_DATA_KEYS = [NEW_KEY]  # the old key can now go
    assert Reader.objects.get(pk=reader.pk).national_id == "A123456789"
