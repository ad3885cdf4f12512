"""The group application's states and the transitions between them, in one place.

    received ─approve→ awaiting_file ─upload ok→ queued ─issue→ issuing → issued ─notify→ completed
        └─reject→ rejected      │  ▲                   (per reader: issued / already a cardholder / refused)
                                │  └─re-upload─ returned ←─upload with errors─┘
                                └─6 months after the letter date→ expired   (also from returned)

``issuing`` is the background job's own state: a second click, a retried job or
two staff members at once find the application no longer ``queued``.
Services (libcard.groups.services) perform transitions; nothing else writes ``status``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from libcard.core.states import StateMachine, TransitionNotAllowed


class Status(models.TextChoices):
    RECEIVED = "received", _("Letter received")
    AWAITING_FILE = "awaiting_file", _("Waiting for the reader data file")
    RETURNED = "returned", _("Returned for correction")
    QUEUED = "queued", _("In the queue")
    ISSUING = "issuing", _("Issuing cards")
    ISSUED = "issued", _("Cards issued")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# transition name → (states it may start from, state it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({Status.RECEIVED}), Status.AWAITING_FILE),
    "reject": (frozenset({Status.RECEIVED}), Status.REJECTED),
    "accept_file": (frozenset({Status.AWAITING_FILE, Status.RETURNED}), Status.QUEUED),
    "return_file": (frozenset({Status.AWAITING_FILE, Status.RETURNED}), Status.RETURNED),
    # A contact person may replace a queued file with a corrected one before issuance starts.
    "replace_file": (frozenset({Status.QUEUED}), Status.QUEUED),
    "reopen": (frozenset({Status.QUEUED}), Status.RETURNED),
    "start_issue": (frozenset({Status.QUEUED}), Status.ISSUING),
    "finish_issue": (frozenset({Status.ISSUING}), Status.ISSUED),
    "fail_issue": (frozenset({Status.ISSUING}), Status.QUEUED),
    "complete": (frozenset({Status.ISSUED}), Status.COMPLETED),
    "expire": (frozenset({Status.AWAITING_FILE, Status.RETURNED}), Status.EXPIRED),
}

OPEN_STATES = frozenset(
    {Status.RECEIVED, Status.AWAITING_FILE, Status.RETURNED, Status.QUEUED, Status.ISSUING}
)
# States in which the contact person may upload a file.
UPLOAD_STATES = frozenset({Status.AWAITING_FILE, Status.RETURNED, Status.QUEUED})


MACHINE = StateMachine(TRANSITIONS)
target_of = MACHINE.target_of

__all__ = [
    "MACHINE",
    "OPEN_STATES",
    "TRANSITIONS",
    "UPLOAD_STATES",
    "Status",
    "TransitionNotAllowed",
    "target_of",
]
