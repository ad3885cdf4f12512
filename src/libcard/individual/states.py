"""The individual application's states and the transitions between them, in one place.

    (new) ─submit→ unconfirmed ─confirm_email→ submitted ─approve→ approved  (reader + card, e-mail)
      │                │                          └─reject (reason)→ rejected  (e-mail; may apply again)
      │                └─lapse (link expired, or a newer application)→ lapsed
      └─certificate (Citizen Digital Certificate verified)→ approved at once

``unconfirmed`` is the spec's draft: the application does not count, and is not in
the queue, until the applicant follows the link in the confirmation e-mail; then it
is ``submitted`` and its three-working-day clock starts. Services
(libcard.individual.services) perform transitions; nothing else writes ``status``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from libcard.core.states import StateMachine, TransitionNotAllowed

NEW = ""  # before the application exists: the source state of the creating transitions


class Status(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    SUBMITTED = "submitted", _("Waiting for review")
    APPROVED = "approved", _("Approved, card issued")
    REJECTED = "rejected", _("Rejected")
    LAPSED = "lapsed", _("Not confirmed, no longer valid")


# transition name → (states it may start from, state it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({NEW}), Status.UNCONFIRMED),
    "confirm_email": (frozenset({Status.UNCONFIRMED}), Status.SUBMITTED),
    "approve": (frozenset({Status.SUBMITTED}), Status.APPROVED),
    "reject": (frozenset({Status.SUBMITTED}), Status.REJECTED),
    "lapse": (frozenset({Status.UNCONFIRMED}), Status.LAPSED),
    "certificate": (frozenset({NEW}), Status.APPROVED),
}

# One open application per ID number (a partial unique constraint holds it in the database).
OPEN_STATES = frozenset({Status.UNCONFIRMED, Status.SUBMITTED})
DECIDED_STATES = frozenset({Status.APPROVED, Status.REJECTED})


MACHINE = StateMachine(TRANSITIONS)
target_of = MACHINE.target_of

__all__ = [
    "DECIDED_STATES",
    "MACHINE",
    "NEW",
    "OPEN_STATES",
    "TRANSITIONS",
    "Status",
    "TransitionNotAllowed",
    "target_of",
]
