"""Read use cases of the scheduled jobs: the job overview, a run, the reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from . import outbox, registry, services
from .models import JobRun, ManagementReport

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from django.db.models import QuerySet
    from django.utils.functional import Promise

    from accounts.models import Tenant

RUNS_PER_JOB = 5


def label_counts(counts: Mapping[str, int]) -> list[tuple[str | Promise, int]]:
    """[(label, value)] of a run's counts, in the registry's order of labels."""
    order = list(registry.COUNT_LABELS)
    return [(registry.COUNT_LABELS.get(key, key.replace("_", " ")), value)
            for key, value in sorted(counts.items(),
                                     key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                     else len(order), kv[0]))]


def is_stuck(run: JobRun, now: datetime | None = None) -> bool:
    return (run.status == JobRun.Status.RUNNING
            and run.started_at < (now or timezone.now()) - services.STUCK_AFTER)


def job_overview(tenant: Tenant) -> dict:
    """Each job with its last runs (newest first), counts labelled and stuck runs marked;
    and the tenant's tasks waiting in the outbox."""
    now = timezone.now()
    jobs = []
    for job in registry.JOBS.values():
        runs = list(JobRun.objects.filter(job=job.name).order_by("-started_at", "-id")
                    [:RUNS_PER_JOB])
        for run in runs:
            run.count_rows = label_counts(run.counts)
            run.stuck = is_stuck(run, now)
        jobs.append({"job": job, "runs": runs, "last": runs[0] if runs else None})
    waiting, oldest = outbox.backlog(tenant)
    return {"jobs": jobs, "outbox_waiting": waiting, "outbox_oldest": oldest}


def job_run(pk: int) -> JobRun:
    run = JobRun.objects.get(pk=pk)
    run.count_rows = label_counts(run.counts)
    run.stuck = is_stuck(run)
    run.job_info = registry.JOBS.get(run.job)
    return run


def reports() -> QuerySet[ManagementReport]:
    return ManagementReport.objects.defer("data").order_by("-period_start")
