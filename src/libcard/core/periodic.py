"""Periodic jobs, run by `libcard worker` beside the task queue.

Any number of workers may run; each job is claimed by a conditional UPDATE on
its PeriodicRun row (healthchecks-style), so it runs once per interval.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from libcard.core.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    function: str  # dotted path; called without arguments, returns something printable


JOBS: tuple[Job, ...] = (
    Job("groups.expire", dt.timedelta(minutes=10), "libcard.groups.services.applications_expire_due"),
    Job("groups.auto_issue", dt.timedelta(minutes=10), "libcard.groups.services.applications_auto_issue"),
    Job("groups.resume_issue", dt.timedelta(minutes=15), "libcard.groups.services.applications_resume_stuck"),
    Job("groups.rosters_purge", dt.timedelta(hours=1), "libcard.groups.issuance.rosters_purge"),
    Job("individual.delay_notices", dt.timedelta(minutes=30), "libcard.individual.tasks.notify_delayed"),
    Job("individual.lapse_unconfirmed", dt.timedelta(hours=1), "libcard.individual.tasks.lapse_unconfirmed"),
    Job("individual.nonces_purge", dt.timedelta(hours=1), "libcard.individual.tasks.purge_nonces"),
    Job("core.retention", dt.timedelta(hours=24), "libcard.core.retention.retention_apply_due"),
    Job("core.rate_counters", dt.timedelta(hours=1), "libcard.core.ratelimit.rate_counters_prune"),
)  # fmt: skip


def claim(job: Job, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    try:
        PeriodicRun.objects.get_or_create(name=job.name)
    except IntegrityError:
        pass
    claimed = PeriodicRun.objects.filter(
        Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.every), name=job.name
    ).update(last_started_at=now)
    return claimed == 1


def run_due(
    jobs: tuple[Job, ...] = JOBS, *, resolve: Callable[[str], Callable[[], object]] = import_string
) -> list[str]:
    ran = []
    for job in jobs:
        if not claim(job):
            continue
        try:
            result = resolve(job.function)()
            summary = str(result)[:200]
        except Exception:  # a failing job must not stop the others or the worker
            logger.exception("periodic job %s failed", job.name)
            summary = "failed"
        PeriodicRun.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_result=summary
        )
        ran.append(job.name)
    return ran
