"""Running scheduled jobs: the run record, per-item fault isolation, and deciding which
tenants are due.

`run(name, tenant=...)` is what the Celery task, the `run_job` command and the "Run now"
button all call. It records a `JobRun`, calls the job's function with a `RunLog`, sends
the e-mails the run queued, and stores the counts and problems. A fault in one item (a
customer without an owner, a bounced e-mail) is a problem on the run page and in the log;
the rest of the run goes on. Only a fault of the whole run (the database or a time limit)
fails it, and then Celery retries the task.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from accounts.models import Tenant
from kam import changes
from kam.tenancy import cross_tenant
from notifications import emails

from . import outbox, registry
from .models import JobRun

if TYPE_CHECKING:
    from datetime import date, datetime

    from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Errors that end the whole run (and make Celery retry it) instead of skipping one item.
RUN_LEVEL_ERRORS = (SoftTimeLimitExceeded, OperationalError, InterfaceError)
# A run still "running" after this long has lost its worker: the hard time limit would
# have ended its task by then. The fan-out marks it abandoned and runs the job again; the
# page shows it as stuck until then.
STUCK_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + timedelta(minutes=1)
# Failed (or abandoned) runs of one period after which the fan-out stops trying until the
# next period.
MAX_FAILED_RUNS = 3
UNFINISHED = (JobRun.Status.FAILED, JobRun.Status.ABANDONED)
# A run sends its e-mails until this long after it started, a minute before the soft time
# limit, so that it records what is left (sent by the next run) instead of being stopped.
SEND_EMAILS_UNTIL = timedelta(seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT - 60)


class RunLog:
    """What a job did: counts by name and the problems it met along the way."""

    def __init__(self):
        self.counts = Counter()
        self.problems = []
        self.problem_count = 0

    def count(self, name, n=1):
        self.counts[name] += n

    def problem(self, message, url=""):
        """Record (and log) something the run could not do; the run goes on."""
        message = str(message)
        logger.warning("Job problem: %s", message)
        self.problem_count += 1
        if len(self.problems) < JobRun.MAX_PROBLEMS:
            self.problems.append({"message": message[:1000], "url": url})

    @contextmanager
    def item(self, what, url=""):
        """Run the block for one item: its fault is recorded as a problem about `what`, its
        writes are rolled back, and the run continues with the next item."""
        try:
            with transaction.atomic():
                yield
        except RUN_LEVEL_ERRORS:
            raise
        except Exception as exc:
            logger.exception("Job item failed: %s", what)
            self.problem(translation.gettext("%(what)s: %(error)s") % {
                "what": what, "error": f"{type(exc).__name__}: {exc}"}, url=url)


def run(name: str, *, tenant: Tenant, day: date | None = None,
        trigger: str = JobRun.Trigger.SCHEDULE, task_id: str = "") -> JobRun:
    """Run job `name` for `tenant` on `day` (default: the tenant's today) and return its
    JobRun. Re-raises what failed the whole run, after recording it."""
    job = registry.get(name)
    day = day or tenant.today()
    # This is the task's next delivery, so the worker of its earlier one is gone.
    abandon_runs(tenant=tenant, job=job.name, task_id=task_id)
    record = JobRun.objects.create(
        tenant=tenant, job=job.name, day=day, period_start=job.period_start(day),
        trigger=trigger, status=JobRun.Status.RUNNING, started_at=timezone.now(),
        task_id=task_id or "")
    log = RunLog()
    started = time.monotonic()
    logger.info("Job %s for tenant %s (%s) started", job.name, tenant.slug, day)
    try:
        # Problems and counts are written in the workspace's language; notifications
        # switch to each recipient's (notifications.emails.recipient_language).
        with translation.override(tenant.default_language), \
                changes.change_context(changes.Source.JOB, reference=job.name):
            job.run(tenant, day, log)
            send_emails(tenant=tenant, log=log, started=started)
    except Exception as exc:
        logger.exception("Job %s for tenant %s failed", job.name, tenant.slug)
        _finish(record, log, JobRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    status = JobRun.Status.PARTIAL if log.problem_count else JobRun.Status.OK
    _finish(record, log, status)
    logger.info("Job %s for tenant %s: %s in %.1f s, %s", job.name, tenant.slug, status,
                time.monotonic() - started, dict(log.counts))
    return record


def send_emails(*, tenant: Tenant, log: RunLog | None = None, kinds: list[str] | None = None,
                started: float | None = None) -> RunLog:
    """Send the tenant's waiting e-mails (only `kinds`, if given) until SEND_EMAILS_UNTIL
    after `started` (a time.monotonic() value; default now). What the time leaves is
    counted in the log ("partial") and sent on by a follow-up task through the outbox
    (`jobs.tasks.send_emails`), which does the same, so a backlog of any size drains
    completely, batch after batch. A call that sent nothing queues no follow-up (the
    next job run tries again), so a budget too short to send one e-mail cannot loop."""
    log = log if log is not None else RunLog()
    started = time.monotonic() if started is None else started
    sent, _failed = emails.send_pending(tenant, log, kinds=kinds,
                                        deadline=started + SEND_EMAILS_UNTIL.total_seconds())
    if log.counts.get("emails_left") and sent:
        outbox.enqueue("jobs.tasks.send_emails", tenant_id=tenant.pk, kinds=kinds)
    return log


def _abandoned_error():
    return translation.gettext(
        "The worker running this job stopped before the run finished (it was killed, "
        "restarted or ran out of memory).")


def abandon_runs(*, tenant: Tenant, job: str, task_id: str = "",
                 now: datetime | None = None) -> int:
    """Mark as abandoned the tenant's runs of `job` whose worker is gone: those of the
    task `task_id` (being delivered again) and those running past the time limit.
    Returns how many."""
    now = now or timezone.now()
    lost = Q(started_at__lt=now - STUCK_AFTER)
    if task_id:
        lost |= Q(task_id=task_id)
    with translation.override(tenant.default_language):
        return JobRun.objects.filter(lost, job=job, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.ABANDONED, finished_at=now, error=_abandoned_error())


def abandon_lost_runs(name: str, *, now: datetime | None = None) -> int:
    """The fan-out's sweep: every tenant's runs of job `name` still "running" past the
    time limit are abandoned. Returns how many."""
    now = now or timezone.now()
    # The scheduler reads every tenant's runs on purpose.
    with cross_tenant():
        lost = list(JobRun.objects.filter(job=name, status=JobRun.Status.RUNNING,
                                          started_at__lt=now - STUCK_AFTER)
                    .select_related("tenant"))
        for record in lost:
            with translation.override(record.tenant.default_language):
                JobRun.objects.filter(pk=record.pk, status=JobRun.Status.RUNNING).update(
                    status=JobRun.Status.ABANDONED, finished_at=now,
                    error=_abandoned_error())
    if lost:
        logger.warning("Job %s: %s runs abandoned by their workers", name, len(lost))
    return len(lost)


def gave_up(name: str, *, tenant: Tenant, day: date | None, trigger: str, task_id: str,
            deliveries: int) -> JobRun:
    """Record a run that is not started again: its task was delivered `deliveries` times
    and its worker died each time (kam.celery.KamTask). A failed run, shown on the page."""
    job = registry.get(name)
    day = day or tenant.today()
    abandon_runs(tenant=tenant, job=job.name, task_id=task_id)
    now = timezone.now()
    with translation.override(tenant.default_language):
        error = translation.gettext(
            "Given up: the worker stopped %(count)s times while running this job (killed, "
            "or out of memory), so it is not tried again for this task.") % {
            "count": deliveries}
    logger.error("Job %s for tenant %s given up after %s deliveries", job.name, tenant.slug,
                 deliveries)
    return JobRun.objects.create(
        tenant=tenant, job=job.name, day=day, period_start=job.period_start(day),
        trigger=trigger, status=JobRun.Status.FAILED, started_at=now, finished_at=now,
        task_id=task_id or "", error=error)


def _finish(record, log, status, error=""):
    record.status = status
    record.finished_at = timezone.now()
    record.counts = {key: value for key, value in log.counts.items() if value}
    record.problems = log.problems
    record.problem_count = log.problem_count
    record.error = error[:5000]
    JobRun.objects.filter(pk=record.pk).update(
        status=record.status, finished_at=record.finished_at, counts=record.counts,
        problems=record.problems, problem_count=record.problem_count, error=record.error)


def enqueue_run(name: str, *, tenant: Tenant, day: date | None = None,
                trigger: str = JobRun.Trigger.MANUAL) -> OutboxMessage:
    """Queue one run of `name` for `tenant` through the outbox (the "Run now" button)."""
    registry.get(name)
    return outbox.enqueue("jobs.tasks.run_job", name=name, tenant_id=tenant.pk,
                          day=(day or tenant.today()).isoformat(), trigger=trigger)


def run_now(name: str, *, tenant: Tenant) -> JobRun | None:
    """The "Run now" button. With a broker, queue one run of `name` and return None; on
    the embedded default (no broker, no worker) run it here and return its JobRun, failed
    or not: a failed run is recorded with its error, as a worker's would be."""
    if not outbox.runs_in_process():
        enqueue_run(name, tenant=tenant)
        return None
    started = timezone.now()
    try:
        return run(name, tenant=tenant, trigger=JobRun.Trigger.MANUAL)
    except Exception:  # recorded on the run by run(); the page shows it
        return (JobRun.objects.filter(job=name, trigger=JobRun.Trigger.MANUAL,
                                      started_at__gte=started)
                .order_by("-started_at", "-id").first())


def due_tenants(name: str, now: datetime | None = None) -> list[tuple[Tenant, date]]:
    """[(tenant, local date)] of the active tenants for which job `name` is due now: the
    job's hour has come in the tenant's time zone and the period has no finished run, no
    run in progress and fewer than MAX_FAILED_RUNS failed or abandoned ones."""
    job = registry.get(name)
    now = now or timezone.now()
    candidates = []
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        local = now.astimezone(tenant.tzinfo)
        if job.is_due(local):
            candidates.append((tenant, local.date()))
    if not candidates:
        return []
    periods = {job.period_start(day) for _tenant, day in candidates}
    # The scheduler reads every tenant's runs on purpose.
    with cross_tenant():
        runs = list(JobRun.objects.filter(job=name, period_start__in=periods)
                    .values_list("tenant_id", "period_start", "status", "started_at"))
    done, busy, failures = set(), set(), Counter()
    for tenant_id, period, status, started_at in runs:
        key = (tenant_id, period)
        if status in (JobRun.Status.OK, JobRun.Status.PARTIAL):
            done.add(key)
        elif status == JobRun.Status.RUNNING and started_at > now - STUCK_AFTER:
            busy.add(key)
        elif status in UNFINISHED:
            failures[key] += 1
    due = []
    for tenant, day in candidates:
        key = (tenant.pk, job.period_start(day))
        if key in done or key in busy or failures[key] >= MAX_FAILED_RUNS:
            continue
        due.append((tenant, day))
    return due


def enqueue_due(name: str, *, now: datetime | None = None) -> int:
    """Queue job `name` for every tenant it is due for (beat's hourly entry); returns how
    many. Each task goes through the outbox, so a broker hiccup loses none of them."""
    abandon_lost_runs(name, now=now)
    count = 0
    for tenant, day in due_tenants(name, now):
        outbox.enqueue("jobs.tasks.run_job", name=name, tenant_id=tenant.pk,
                       day=day.isoformat(), trigger=JobRun.Trigger.SCHEDULE)
        count += 1
    return count
