"""Writing the audit log. One function, so every interface records the same way."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from libcard.core.http import client_ip
from libcard.core.models import AuditEntry


class Actor:
    """Who did something: a staff member, a contact person, a reader, a platform or the system."""

    __slots__ = ("channel", "id", "ip", "kind", "label")

    def __init__(
        self, kind: str, id: str = "", label: str = "", *, channel: str = "", ip: str | None = None
    ) -> None:
        self.kind, self.id, self.label, self.channel, self.ip = kind, id, label, channel, ip

    @classmethod
    def system(cls, channel: str = "worker") -> Actor:
        return cls("system", "", "system", channel=channel)

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        ip = client_ip(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            kind = "staff" if user.is_staff else "contact"
            return cls(kind, str(user.pk), user.get_username(), channel="web", ip=ip)
        reader = getattr(request, "reader", None)
        if reader is not None:
            return cls("reader", str(reader.pk), reader.id_masked, channel="web", ip=ip)
        return cls("anonymous", "", "", channel="web", ip=ip)

    @classmethod
    def for_user(cls, user: Any, *, channel: str = "web", ip: str | None = None) -> Actor:
        kind = "staff" if getattr(user, "is_staff", False) else "contact"
        return cls(kind, str(user.pk), user.get_username(), channel=channel, ip=ip)


def audit(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    **details: Any,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        channel=actor.channel,
        ip=actor.ip or None,
        details=details,
    )
