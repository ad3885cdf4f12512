"""Retention (security.md): uploaded files are deleted once their purpose is over.

Reader data files: RETENTION_READER_FILE_DAYS after the application completed
(or was rejected or expired). Identity images of individual applications:
RETENTION_IDENTITY_IMAGE_DAYS after the decision. `libcard retention` lists what
would go; `--apply` (and the daily job) deletes it and writes the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import import_string

from libcard.core.audit import Actor, audit

logger = logging.getLogger(__name__)

# Each provider yields the items due for deletion; apps register theirs here.
PROVIDERS = [
    "libcard.groups.retention.due_items",
    "libcard.individual.retention.due_items",
]


@dataclass
class Item:
    kind: str  # "reader file", "identity image" …
    label: str  # what an operator reads: never an ID number
    due_since: dt.date
    delete: Callable[[], None]


def plan(now: dt.datetime | None = None) -> list[Item]:
    now = now or timezone.now()
    items: list[Item] = []
    for path in PROVIDERS:
        try:
            provider: Callable[[dt.datetime], Iterator[Item]] = import_string(path)
        except ImportError:
            continue  # an app that is not installed has nothing to keep
        items.extend(provider(now))
    return sorted(items, key=lambda item: (item.due_since, item.kind, item.label))


def apply(items: list[Item], *, actor: Actor) -> int:
    done = 0
    for item in items:
        item.delete()
        audit(actor, "retention.delete", reason=item.kind, label=item.label)
        done += 1
    return done


def retention_apply_due() -> str:
    """The daily job: list, then delete."""
    items = plan()
    for item in items:
        logger.info("retention: will delete %s: %s", item.kind, item.label)
    done = apply(items, actor=Actor.system())
    return f"{done} deleted"
