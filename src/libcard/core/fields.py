"""Model fields that never write personal data in the clear."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from libcard.core.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.BinaryField):
    """A string stored AES-GCM encrypted; the model label and field name are bound in.

    Binding the context means a ciphertext copied into another column or table
    does not decrypt. It cannot be filtered on: look-ups go through a blind index.
    """

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return self.to_plain(bytes(value))

    def to_plain(self, value: bytes) -> str:
        return decrypt_text(value, context=self._context())

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return bytes(value)
        return encrypt_text(self.serialise(value), context=self._context())

    def serialise(self, value: Any) -> str:
        return str(value)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return ""  # never into fixtures or dumps


class EncryptedDateField(EncryptedTextField):
    description = "Encrypted date"

    def to_plain(self, value: bytes) -> dt.date:  # type: ignore[override]
        return dt.date.fromisoformat(super().to_plain(value))

    def serialise(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            raise TypeError("EncryptedDateField takes a date")
        return value.isoformat()
