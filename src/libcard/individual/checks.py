"""Start-up checks: a broken trust-anchor file stops the start instead of refusing every card."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def moica_trust_anchors(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from libcard.individual.cdc import anchor_paths, trust_anchors_check

    if not anchor_paths():
        return []  # the certificate path is simply not offered
    problem = trust_anchors_check()
    if problem is None:
        return []
    return [
        Error(
            f"MOICA_TRUST_ANCHORS: {problem}",
            hint="Point it at the GRCA root and the MOICA issuing CA certificates (PEM or DER).",
            id="individual.E001",
        )
    ]
