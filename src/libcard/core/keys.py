"""Key rotation: re-encrypt every personal-data column and every stored file under the newest key."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from libcard.core.crypto import keyring
from libcard.core.fields import EncryptedTextField
from libcard.core.files import file_exists, reencrypt_file

logger = logging.getLogger(__name__)
BATCH = 1_000


@dataclass
class RotationReport:
    values: dict[str, int] = field(default_factory=dict)  # "app.model.field" → rewritten
    files: int = 0


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def file_key_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.name.endswith("file_key")
    ]


def rotate() -> RotationReport:
    ring = keyring()
    current = ring.current_id
    report = RotationReport()
    for model, fields in encrypted_fields():
        for fld in fields:
            label = f"{model._meta.label_lower}.{fld.name}"
            rewritten = 0
            # Read the raw bytes: only rows under an older key need work.
            stale = []
            for pk, blob in _raw_values(model, fld):
                if blob is not None and ring.key_id_of(blob) != current:
                    stale.append(pk)
            for start in range(0, len(stale), BATCH):
                with transaction.atomic():
                    for obj in model.objects.filter(pk__in=stale[start : start + BATCH]):
                        # Loading decrypts under the old key; saving encrypts under the new.
                        obj.save(update_fields=[fld.name])
                        rewritten += 1
            report.values[label] = rewritten
    for model, name in file_key_fields():
        for key in model.objects.exclude(**{name: ""}).values_list(name, flat=True):
            if file_exists(key) and reencrypt_file(key):
                report.files += 1
    return report


def _raw_values(model: type[models.Model], fld: EncryptedTextField) -> list[tuple[object, bytes]]:
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(fld.column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        return [(row[0], bytes(row[1])) for row in cursor.fetchall()]
