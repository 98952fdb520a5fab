"""Scheduled jobs: the record of each run, the monthly management reports, and the outbox
of tasks waiting for the broker."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOwnedModel


class JobRun(TenantOwnedModel):
    """One run of a scheduled job for one tenant: when, how it ended, what it did, and the
    problems it met (a customer without an owner, an e-mail that bounced…), so a stuck or
    failing job shows on a page instead of only in the logs."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("OK")
        PARTIAL = "partial", _("Done with problems")
        FAILED = "failed", _("Failed")
        # Its worker stopped (killed, out of memory) before the run finished: marked when
        # the task's next delivery starts, or by the fan-out once past the time limit.
        ABANDONED = "abandoned", _("Abandoned")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        MANUAL = "manual", _("by hand")
        COMMAND = "command", _("command line")

    job = models.CharField(_("job"), max_length=50)
    day = models.DateField(_("day"), help_text=_("The tenant-local date the run is for."))
    period_start = models.DateField(_("period"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices,
                               default=Trigger.SCHEDULE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [{"message": text, "url": link or ""}], the first MAX_PROBLEMS of `problem_count`.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    MAX_PROBLEMS = 200

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "job", "started_at"]),
            models.Index(fields=["job", "period_start", "status"]),
        ]
        verbose_name = _("job run")

    def __str__(self):
        return f"{self.job} {self.day} ({self.status})"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class ManagementReport(TenantOwnedModel):
    """The monthly management report of one tenant, as generated: kept so executives can
    open it later exactly as it was sent (`dashboards.report` builds `data`)."""

    period_start = models.DateField(_("month"))
    data = models.JSONField(_("data"), default=dict)
    generated_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["tenant", "period_start"],
                                               name="management_report_one_per_month")]
        verbose_name = _("management report")

    def __str__(self):
        return f"{self.period_start:%Y-%m}"


class OutboxMessage(models.Model):
    """A task waiting to be published to the broker (`jobs.outbox`).

    Web code writes the row in the same transaction as the change that needs the task and
    publishes it once that commits; if the broker is away the row stays, and the drain
    (every minute, and when a worker starts) publishes it when the broker is back. A
    platform table, not tenant-scoped: the drain reads every tenant's rows; `tenant` only
    says whose task it is (and removes it with the tenant).
    """

    task_id = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "id"])]
        verbose_name = _("outbox message")

    def __str__(self):
        return f"{self.task_name} {self.kwargs}"
