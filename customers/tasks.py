"""Celery tasks of the customers app: the import pipeline's jobs, for every kind (the rules
they run live in kam/imports/ and import_jobs.py)."""

from celery import shared_task

from kam.celery import TenantTask

from . import import_jobs
from .models import ImportJob


class ImportTask(TenantTask):
    """An import job's task: given up after too many deliveries (the file kills the worker,
    say by needing more memory than it has), the job fails with a message saying so."""

    abstract = True

    def gave_up(self, *, deliveries, args, kwargs):
        job = ImportJob.objects.select_related("tenant").filter(pk=kwargs["job_id"]).first()
        if job is None:
            return {"skipped": f"import job {kwargs['job_id']} is gone"}
        return {"status": import_jobs.give_up(job, deliveries=deliveries).status}


@shared_task(base=ImportTask, name="customers.tasks.validate_import")
def validate_import(*, job_id, tenant_id):
    """Dry-run an uploaded import file and record its errors (safe to repeat)."""
    job = ImportJob.objects.select_related("tenant", "created_by").filter(pk=job_id).first()
    if job is None:
        return {"skipped": f"import job {job_id} is gone"}
    return {"status": import_jobs.validate_job(job).status}


@shared_task(base=ImportTask, name="customers.tasks.commit_import")
def commit_import(*, job_id, tenant_id):
    """Write a checked import file, all or nothing (safe to repeat)."""
    job = ImportJob.objects.select_related("tenant", "created_by").filter(pk=job_id).first()
    if job is None:
        return {"skipped": f"import job {job_id} is gone"}
    return {"status": import_jobs.commit_job(job).status}
