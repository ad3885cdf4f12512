"""Periodic work of individual applications, run by `libcard worker` (libcard.core.periodic)."""

from __future__ import annotations

from libcard.individual.cdc import nonces_purge
from libcard.individual.services import applications_lapse_unconfirmed, applications_notify_delayed


def notify_delayed() -> str:
    return f"{applications_notify_delayed()} delay notices"


def lapse_unconfirmed() -> str:
    return f"{applications_lapse_unconfirmed()} lapsed"


def purge_nonces() -> str:
    return f"{nonces_purge()} nonces purged"
