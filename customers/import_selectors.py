"""The import pipeline's jobs, for every registered kind: the reads (progress, the dry
run's preview for a page, and what follows a figures import)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import F
from django.utils import timezone

from kam.imports import kinds, rows

from . import selectors
from .models import ImportJob, ScoringRun

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import Tenant

logger = logging.getLogger(__name__)

PROGRESS_TTL = 60 * 60
RESCORING_CHANGES_SHOWN = 10


def progress_key(job: ImportJob) -> str:
    return f"kam:t{job.tenant_id}:import-progress:{job.pk}"


def progress(job: ImportJob) -> tuple[int, int]:
    """(rows processed, percent) of a job. While it runs, the count comes from the cache:
    the rows are written in one transaction, so the job row cannot show them before the end."""
    if job.status == ImportJob.Status.RUNNING:
        try:
            done = cache.get(progress_key(job)) or 0
        except Exception as exc:  # the cache (Redis) is away: show no progress yet
            logger.warning("Import progress not read: %s", exc)
            done = 0
    elif job.status == ImportJob.Status.DONE:
        done = job.total_rows
    else:
        done = job.processed_rows
    done = min(done, job.total_rows)
    percent = int(100 * done / job.total_rows) if job.total_rows else 0
    return done, percent


def preview_page(job: ImportJob, page_number: int | str | None, *, per_page: int,
                 flagged_shown: int) -> dict:
    """The dry run's changes for a job page: one page of them, the first changes to look
    at twice, and how many of each are not listed. Empty while the job has none to show."""
    preview = job.preview or {}
    if job.status not in (ImportJob.Status.VALIDATED, ImportJob.Status.DONE) or not preview:
        return {"preview": preview, "changes": None, "flagged": None, "hidden_changes": 0,
                "hidden_flagged": 0}
    flag_labels = kinds.get(job.kind).flag_labels
    entries = preview.get("entries") or []
    changes = Paginator(entries, per_page).get_page(page_number)
    changes.object_list = rows.rendered_changes(changes.object_list, flag_labels)
    flagged = rows.rendered_changes((preview.get("flagged") or [])[:flagged_shown],
                                    flag_labels)
    return {"preview": preview, "changes": changes, "flagged": flagged,
            "hidden_changes": max((preview.get("changes") or 0) - len(entries), 0),
            "hidden_flagged": max((preview.get("flagged_count") or 0) - len(flagged), 0)}


def next_rescoring(tenant: Tenant, now: datetime | None = None) -> datetime | None:
    """When the nightly re-scoring next runs for `tenant` (in its time zone), or None
    where nothing runs on a schedule: tasks run in-process, so there is no beat."""
    from jobs import registry
    from kam.celery import app

    if app.conf.task_always_eager:
        return None
    job = registry.get("rescoring")
    local = (now or timezone.now()).astimezone(tenant.tzinfo)
    # Beat asks at the job's minute past each hour; the first ask from its hour runs it.
    at = local.replace(hour=job.hour, minute=job.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


def rescoring_offer(job: ImportJob, now: datetime | None = None) -> dict | None:
    """After a committed figures import: how many customers' figures it changed, the
    scoring run since then if any (with its first tier changes), and when the scheduled
    re-scoring comes. None for other jobs, or when the import changed no figure."""
    if job.kind != "figures" or job.status != ImportJob.Status.DONE:
        return None
    changed = (job.preview or {}).get("customers_changed")
    if changed == 0:
        return None
    run = (ScoringRun.objects.filter(started_at__gte=job.finished_at)
           .order_by("-started_at", "-id").first()) if job.finished_at else None
    tier_changes = []
    if run is not None:
        tier_changes = list(selectors.run_assessments(run).exclude(tier=F("previous_tier"))
                            [:RESCORING_CHANGES_SHOWN])
    return {"customers_changed": changed, "run": run, "tier_changes": tier_changes,
            "next_at": next_rescoring(job.tenant, now)}
