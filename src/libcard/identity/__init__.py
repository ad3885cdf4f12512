"""Identity numbers and the Citizen Digital Certificate — plain Python, no Django."""

from libcard.identity.numbers import (
    IdKind,
    IdProblem,
    IdResult,
    check_id,
    classify_id,
    mask_id,
    normalise_id,
)

__all__ = [
    "IdKind",
    "IdProblem",
    "IdResult",
    "check_id",
    "classify_id",
    "mask_id",
    "normalise_id",
]
