"""Every scheduled job, in one place: its name, what it runs, how often, and from which
hour of the tenant's day it is due.

A job is a plain function `run(tenant, day, log)` living in its app (`customers.jobs`,
`projects.jobs`, `satisfaction.jobs`, `dashboards.report`); `day` is the tenant-local date the
run is for and `log` a `jobs.services.RunLog` that collects counts and problems. The same
function runs from Celery (`jobs.tasks.run_job`), from `manage.py run_job` and from the
"Run now" button, so there is one implementation per job.

Beat asks every hour whether each job is due (`jobs.tasks.fan_out_due`): a tenant is due
when its local clock has reached the job's hour on the first day of the period, or any
time later in the period, and it has no finished run for that period yet. So a job runs
once per period per tenant, at a local time that suits the tenant, and a run missed
while the workers were down is caught up within the period.

This module imports no models: `kam.celery` reads it to build the beat schedule.
"""

from dataclasses import dataclass

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from kam import periods


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    description: str
    function: str  # dotted path of `run(tenant, day, log)`
    cadence: str  # one of periods.CADENCES
    hour: int  # tenant-local hour from which the job is due on the period's first day
    minute: int  # minute past every hour at which beat checks (spreads the load)

    @property
    def cadence_label(self):
        return CADENCE_LABELS[self.cadence]

    def run(self, tenant, day, log):
        return import_string(self.function)(tenant, day, log)

    def period_start(self, day):
        return periods.period_start(self.cadence, day)

    def is_due(self, local_now):
        """Whether the period holding `local_now` (tenant-local) has reached the job's hour."""
        day = local_now.date()
        return day > self.period_start(day) or local_now.hour >= self.hour


CADENCE_LABELS = {
    periods.DAILY: _("daily"),
    periods.WEEKLY: _("weekly (Mondays)"),
    periods.FORTNIGHTLY: _("every two weeks (Mondays)"),
    periods.MONTHLY: _("monthly (the 1st)"),
}

JOBS = {job.name: job for job in [
    Job("rescoring", _("Nightly re-scoring"),
        _("Recomputes every customer's ABC tier; tells the KAM and the executives of tier "
          "changes."),
        "customers.jobs.rescore", periods.DAILY, hour=2, minute=5),
    Job("milestone-reminders", _("Milestone reminders"),
        _("Milestones due within 7 days and overdue ones, to their owners; red programmes "
          "escalate to the region leader."),
        "projects.jobs.milestone_reminders", periods.DAILY, hour=7, minute=10),
    Job("opl-reminders", _("OPL reminders"),
        _("Overdue OPL items, to their owner and accountable KAM."),
        "satisfaction.jobs.opl_reminders", periods.DAILY, hour=7, minute=15),
    Job("opl-chase", _("OPL chase"),
        _("Every two weeks: stale and overdue OPL items, to their owner and accountable KAM."),
        "satisfaction.jobs.opl_chase", periods.FORTNIGHTLY, hour=8, minute=20),
    Job("visit-cadence", _("Visit-cadence reminders"),
        _("Visits and reviews overdue under the tier's service standards, to the KAM."),
        "customers.jobs.cadence_reminders", periods.DAILY, hour=7, minute=25),
    Job("campaigns", _("Satisfaction campaigns"),
        _("Opens the quarter's campaign on its first day and closes campaigns after their "
          "last day."),
        "satisfaction.jobs.campaigns", periods.DAILY, hour=0, minute=30),
    Job("invitation-chasers", _("Survey chasers"),
        _("Weekly: a fresh link to contacts who have not answered, and a list of the "
          "unanswered departments to the KAM."),
        "satisfaction.jobs.invitation_chasers", periods.WEEKLY, hour=9, minute=35),
    Job("account-health", _("Account health"),
        _("Recomputes every customer's health after the night's re-scoring, so the day's "
          "dashboards and lists read it, then the day's executive dashboard."),
        "dashboards.jobs.refresh_health", periods.DAILY, hour=3, minute=45),
    Job("health-snapshots", _("Weekly health snapshots"),
        _("Keeps each active customer's health of the week, after the night's account "
          "health, for the trends on the account page and the lists; proposes an OPL item "
          "to the KAM of each account whose health fell into a worse band."),
        "dashboards.jobs.health_snapshots", periods.WEEKLY, hour=4, minute=55),
    Job("management-report", _("Monthly management report"),
        _("OPL progress, satisfaction movers, RAG summary and tier changes of the last "
          "month, e-mailed to the executives."),
        "dashboards.report.management_report", periods.MONTHLY, hour=6, minute=40),
    Job("integrations-cleanup", _("Integration records clean-up"),
        _("Deletes tombstones of deleted rows past their retention, idempotency keys past "
          "their 24 hours and finished webhook deliveries past their retention."),
        "integrations.cleanup.run", periods.DAILY, hour=4, minute=50),
    Job("history-retention", _("History retention"),
        _("Deletes the history of changes older than the workspace keeps it (records "
          "settings)."),
        "records.jobs.purge_history", periods.DAILY, hour=4, minute=55),
]}


class UnknownJob(KeyError):
    def __str__(self):
        return f"Unknown job {self.args[0]!r}; the jobs are: {', '.join(JOBS)}"


def get(name):
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(name) from None


def beat_entries(interval=None):
    """Celery beat entries: every hour, each job's fan-out (`interval` seconds instead, for
    tests and demos); every minute, the outbox drain."""
    from celery.schedules import crontab

    entries = {
        f"job-{job.name}": {
            "task": "jobs.tasks.fan_out_due",
            "schedule": interval or crontab(minute=job.minute),
            "args": (job.name,),
        }
        for job in JOBS.values()
    }
    entries["drain-outbox"] = {"task": "jobs.tasks.drain_outbox",
                               "schedule": interval or 60.0}
    return entries


# Labels of the counts jobs record, for the job run pages (unknown keys show as they are).
COUNT_LABELS = {
    "notified": _("notifications"),
    "emails_sent": _("e-mails sent"),
    "emails_failed": _("e-mails failed"),
    "emails_left": _("e-mails left for the next run"),
    "tombstones_deleted": _("tombstones deleted"),
    "idempotency_keys_deleted": _("idempotency keys deleted"),
    "webhook_deliveries_deleted": _("webhook deliveries deleted"),
    "customers_scored": _("customers scored"),
    "tier_changes": _("tier changes"),
    "due_soon": _("due soon"),
    "overdue": _("overdue"),
    "escalated": _("escalated"),
    "stale": _("stale"),
    "opened": _("campaigns opened"),
    "closed": _("campaigns closed"),
    "surveys": _("surveys"),
    "invitations_sent": _("invitations e-mailed"),
    "invitations_queued": _("invitations to e-mail"),
    "chased": _("contacts chased"),
    "reports": _("reports"),
    "snapshots": _("health snapshots"),
    "proposed": _("OPL items proposed"),
}
