"""The import pipeline's jobs, for every registered kind (kam.imports.kinds): the writes.

Flow: an upload is stored in an `ImportJob` (the bytes in the row, so the file is as
tenant-scoped as any other row) → `validate_job` reads it under the kind's columns and
checks every row, recording the errors by spreadsheet line and column and the preview
of every change → `start_commit` + `commit_job` read and check it again and write all
rows in one transaction, in chunks that report progress; if anything fails (for
instance a customer deleted since the dry run) the transaction is rolled back and the
job shows the errors. The tasks (customers/tasks.py) and pages (customers/import_views.py)
call these functions; the kinds live in the apps whose rows they write.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import roles
from integrations import events
from kam import changes, messages
from kam.imports import files, kinds, rows
from kam.imports.rows import ChangePreview, RowError

from .import_selectors import PROGRESS_TTL, progress_key
from .models import ImportJob

if TYPE_CHECKING:
    from accounts.models import Tenant, User

logger = logging.getLogger(__name__)


def create_job(tenant: Tenant, *, kind: str, name: str, content: bytes, user: User,
               options: dict | None = None) -> ImportJob:
    """Store an upload; raises ValidationError if it is not a usable CSV/XLSX file.
    `options`: what the kind needs besides the file (JSON), e.g. the survey campaign."""
    kinds.get(kind)  # an unknown kind is a programming error, not the user's
    file_format = files.upload_format(name, content)
    return ImportJob.objects.create(tenant=tenant, kind=kind, original_filename=name[:255],
                                    file_format=file_format, content=content,
                                    options=options or {}, created_by=user)


def _fail(job, status, errors, **fields):
    job.status = status
    job.errors = rows.stored_errors(errors)
    job.error_count = len(errors)
    job.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def queue_failed(job: ImportJob) -> None:
    """The task for `job` could not be queued: a check is given up (upload again), a
    commit goes back to ready (commit again)."""
    if job.status == ImportJob.Status.RUNNING:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATED,
                                                   started_at=None)
    elif job.status == ImportJob.Status.UPLOADED:
        _fail(job, ImportJob.Status.INVALID, [RowError(None, "", messages.message(gettext_lazy(
            "The file could not be queued for checking. Upload it again in a few minutes.")))])


def give_up(job: ImportJob, *, deliveries: int) -> ImportJob:
    """The job's task stopped its worker `deliveries` times (kam.celery.KamTask): a check
    becomes invalid, a commit failed (its transaction never committed: nothing written);
    a job in no such state is left alone."""
    error = RowError(None, "", messages.message(gettext_lazy(
        "The import stopped the worker %(count)s times (the file may need more memory "
        "than a worker has), so it was given up and nothing was written. Split the file "
        "into smaller ones and upload them."), count=deliveries))
    if job.status == ImportJob.Status.UPLOADED:
        return _fail(job, ImportJob.Status.INVALID, [error])
    if job.status == ImportJob.Status.RUNNING:
        return _fail(job, ImportJob.Status.FAILED, [error])
    return job


def _context(job):
    """Who imports what; the customers the uploader may change are those of their role in
    the job's workspace now, not at the upload."""
    return kinds.Context(
        tenant=job.tenant, user=job.created_by, options=job.options or {},
        editable=roles.editable_customer_ids(job.tenant, job.created_by,
                                             today=job.tenant.today()))


def _check(kind, context, parsed, *, preview=None):
    checked = kind.check(context, parsed, preview=preview)
    checked.result.errors = rows.merged_errors(parsed.errors, checked.result.errors)
    return checked


def validate_job(job: ImportJob) -> ImportJob:
    """Dry run of an uploaded job: VALIDATED with counts and the preview, or INVALID with
    the errors."""
    if job.status != ImportJob.Status.UPLOADED:
        return job  # already checked (a redelivered task)
    kind, context = kinds.get(job.kind), _context(job)
    try:
        parsed = kind.read(bytes(job.content), job.file_format, context.options)
    except files.ImportFileError as exc:
        return _fail(job, ImportJob.Status.INVALID,
                     [RowError(exc.row, exc.column, exc.message)])
    preview = ChangePreview(limit=rows.PREVIEW_LIMIT)
    result = _check(kind, context, parsed, preview=preview).result
    job.total_rows = len(parsed.rows)
    job.created_count, job.updated_count = result.created, result.updated
    job.validated_at = timezone.now()
    if result.errors:
        return _fail(job, ImportJob.Status.INVALID, result.errors, finished_at=None, preview={})
    job.status = ImportJob.Status.VALIDATED
    job.errors, job.error_count = [], 0
    job.preview = {**preview.as_dict(),
                   "customers_changed": len(result.changed_customer_ids)}
    job.save()
    return job


def start_commit(job: ImportJob) -> bool:
    """Mark a checked job as running; False if it is not ready (or already started)."""
    started = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.VALIDATED, ImportJob.Status.FAILED],
    ).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), finished_at=None,
             processed_rows=0)
    if started:
        job.refresh_from_db()
        set_progress(job, rows_done=0)
    return bool(started)


def set_progress(job: ImportJob, *, rows_done: int) -> None:
    # The progress bar is a nicety: with the cache (Redis) away, the import goes on.
    try:
        cache.set(progress_key(job), rows_done, PROGRESS_TTL)
    except Exception as exc:  # the cache backend's errors vary
        logger.warning("Import progress not stored: %s", exc)


def _write(job, kind, context, parsed):
    """Check again and write, all or nothing; the result (with errors: nothing written)."""
    with transaction.atomic():
        checked = _check(kind, context, parsed)
        if checked.result.errors:
            transaction.set_rollback(True)
        else:
            kind.write(context, checked, progress=lambda done: set_progress(job, rows_done=done))
            events.emit("import.completed", tenant=job.tenant, records=[{"import": {
                "id": job.pk, "kind": job.kind, "file_name": job.original_filename,
                "rows": len(parsed.rows), "created": checked.result.created,
                "updated": checked.result.updated}}])
    return checked.result


def _stopped(job, exc):
    if isinstance(exc, DatabaseError):
        logger.warning("Import job %s failed: %s", job.pk, exc)
        return RowError(None, "", messages.message(gettext_lazy(
            "The data changed while the file was imported, so nothing was written. Try "
            "again. (%(reason)s)"), reason=str(exc)))
    logger.exception("Import job %s stopped", job.pk)
    return RowError(None, "", messages.message(gettext_lazy(
        "The import stopped with an unexpected error, so nothing was written. Try again, "
        "or ask your administrator to check the logs.")))


def commit_job(job: ImportJob) -> ImportJob:
    """Write a running job's rows in one transaction; DONE, or FAILED with the errors and
    nothing written. Safe to repeat: a job that is not running is left alone."""
    if job.status != ImportJob.Status.RUNNING:
        return job
    kind, context = kinds.get(job.kind), _context(job)
    try:
        parsed = kind.read(bytes(job.content), job.file_format, context.options)
    except files.ImportFileError as exc:
        return _fail(job, ImportJob.Status.FAILED, [RowError(exc.row, exc.column, exc.message)])
    job.total_rows = len(parsed.rows)
    try:
        # The rows' history names the import and whoever uploaded it.
        with changes.change_context(changes.Source.IMPORT, user=job.created_by,
                                    reference=job.pk):
            result = _write(job, kind, context, parsed)
    except Exception as exc:  # a time limit or a bug too: the job must not stay "running"
        return _fail(job, ImportJob.Status.FAILED, [_stopped(job, exc)])
    try:
        cache.delete(progress_key(job))
    except Exception as exc:  # it expires on its own
        logger.warning("Import progress not cleared: %s", exc)
    if result.errors:
        return _fail(job, ImportJob.Status.FAILED, result.errors, processed_rows=0)
    job.status = ImportJob.Status.DONE
    job.processed_rows = job.total_rows
    job.created_count, job.updated_count = result.created, result.updated
    job.errors, job.error_count = [], 0
    job.finished_at = timezone.now()
    job.preview = {**(job.preview or {}), **kind.committed(result)}
    job.save()
    return job
