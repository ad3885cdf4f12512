"""Translations for code that runs without Django (the reader-file checker and its CLI).

It reads the same compiled catalog Django uses (``locale/<lang>/LC_MESSAGES/django.mo``),
so one .po file holds every user-facing sentence. Under Django the views use
``django.utils.translation`` instead; both end in the same catalog.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "zh_Hant"

Translate = Callable[[str], str]


def gettext_noop(message: str) -> str:
    """Marks a message for extraction (``makemessages``) without translating it yet."""
    return message


def language_from_env(environ: dict[str, str] | None = None) -> str:
    """English when LANGUAGE/LC_ALL/LC_MESSAGES/LANG asks for it, else Traditional Chinese."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value and value not in {"C", "POSIX"} and not value.startswith("C."):
            return "en" if value.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@cache
def translator(language: str = DEFAULT_LANGUAGE) -> Translate:
    if language.lower().startswith("en"):
        return str
    catalog = gettext.translation(
        "django", localedir=LOCALE_DIR, languages=[DEFAULT_LANGUAGE], fallback=True
    )
    return catalog.gettext


def django_translator() -> Translate:
    """The active Django language's catalog, for the same messages inside a request."""
    from django.utils.translation import gettext

    return gettext
