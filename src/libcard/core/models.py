from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """A fixed-window counter shared by every process (the database is the one shared place)."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_key_window")
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValueError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("audit entries are append-only")


class AuditEntry(models.Model):
    """Append-only: the app only ever inserts; PostgreSQL refuses UPDATE and DELETE outright.

    Never holds a full ID number, a birth date or a secret: ``details`` gets masked
    values only (see libcard.core.audit).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=20)  # staff, contact, reader, platform, system
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    reason = models.TextField(blank=True)
    channel = models.CharField(max_length=16, blank=True)  # web, api, sip2, cli, worker
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("audit entries are append-only")


class Closure(models.Model):
    """A day the library is closed beyond its weekly closing day (typhoon, inventory …)."""

    day = models.DateField(unique=True)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.reason}"


class CalendarSettings(models.Model):
    """The library's weekly closing day; one row, edited by staff admins."""

    WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"),
                (4, "Friday"), (5, "Saturday"), (6, "Sunday")]  # fmt: skip
    closed_weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS, null=True, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"closed on weekday {self.closed_weekday}"

    @classmethod
    def current(cls) -> CalendarSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class PeriodicRun(models.Model):
    """When a periodic job last started; claimed with a conditional UPDATE so that of many
    workers exactly one runs it."""

    name = models.CharField(max_length=64, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name
