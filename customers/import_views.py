"""Browser pages of the import: upload, templates, dry-run preview, commit, progress.

Thin glue: the rules are in customers/importing.py, the work in customers/tasks.py.
"""

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import tenant_required
from jobs import outbox

from . import importing, scoring, tasks
from .models import ImportJob, ScoringRun
from .views.common import SCORING_ROLES, scoring_required

logger = logging.getLogger(__name__)

IMPORT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
ERRORS_PER_PAGE = 50
CHANGES_PER_PAGE = 50
FLAGGED_SHOWN = 50  # the changes to look at twice, listed above the table
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

import_required = tenant_required(IMPORT_ROLES)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8, comma or semicolon separated) or XLSX, at most "
                               "%(limit)d MB.") % {
            "limit": importing.MAX_UPLOAD_BYTES // 1024 // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_UPLOAD_BYTES:
            raise ValidationError(importing.upload_size_message(upload.size))
        self.content = upload.read()
        importing.upload_format(upload.name, self.content)
        return upload


def _kind(kind):
    try:
        return ImportJob.Kind(kind)
    except ValueError as exc:
        raise Http404 from exc


def _enqueue(task, job):
    """Queue `task` for `job` through the outbox: published once the current transaction
    commits, or later if the queue is unreachable now (the job then waits, it is not
    lost). False only if even the outbox could not be written (the caller tells the user)."""
    try:
        outbox.enqueue(task, job_id=job.pk, tenant_id=job.tenant_id)
    except DatabaseError:
        logger.exception("Could not queue %s for import job %s", task.name, job.pk)
        return False
    return True


@import_required
def import_home(request):
    jobs = (ImportJob.objects.defer("content", "errors").select_related("created_by")
            .order_by("-created_at", "-id"))
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(request, "customers/import_home.html", {
        "page": page, "kinds": ImportJob.Kind,
    })


@import_required
def import_upload(request, kind):
    kind = _kind(kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = importing.create_job(request.tenant, kind=kind, name=form.cleaned_data["file"].name,
                                   content=form.content, user=request.user)
        if not _enqueue(tasks.validate_import, job):
            importing.queue_failed(job)
            messages.error(request, _("The file could not be queued for checking."))
        return redirect("import_job", pk=job.pk)
    return render(request, "customers/import_upload.html", {
        "form": form, "kind": kind,
        "columns": [(c, importing.column_help(c)) for c in importing.COLUMNS[kind]],
    })


@import_required
def import_template(request, kind, file_format):
    kind = _kind(kind)
    if file_format == "xlsx":
        content = importing.template_xlsx(kind)
    else:
        content = importing.template_csv(kind)
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="kam-{kind}-template.{file_format}"'
    return response


def _job(pk):
    return get_object_or_404(ImportJob.objects.defer("content").select_related("created_by"),
                             pk=pk)


@import_required
def import_job(request, pk):
    job = _job(pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    errors.object_list = importing.rendered_errors(errors.object_list)
    review = importing.preview_page(job, request.GET.get("page"), per_page=CHANGES_PER_PAGE,
                                    flagged_shown=FLAGGED_SHOWN)
    rows, percent = importing.progress(job)
    return render(request, "customers/import_job.html", {
        "job": job, "errors": errors, "rows": rows, "percent": percent,
        "hidden_errors": max(job.error_count - len(job.errors), 0),
        **review, "page": review["changes"] or errors,
        "rescoring": importing.rescoring_offer(job),
        "can_rescore": request.role in SCORING_ROLES,
    })


@import_required
def import_job_progress(request, pk):
    """The polled progress bar; once the job has moved on, htmx reloads the whole page."""
    job = _job(pk)
    if not job.is_busy:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    rows, percent = importing.progress(job)
    return render(request, "customers/import_progress.html", {
        "job": job, "rows": rows, "percent": percent,
    })


@require_POST
@import_required
def import_job_commit(request, pk):
    job = _job(pk)
    if not importing.start_commit(job):
        messages.warning(request, _("This import is not ready to be committed."))
        return redirect("import_job", pk=job.pk)
    if not _enqueue(tasks.commit_import, job):
        importing.queue_failed(job)
        messages.error(request, _("The import could not be started: the job queue cannot be "
                                  "reached. Try again in a few minutes."))
    return redirect("import_job", pk=job.pk)


@require_POST
@scoring_required
def import_job_rescore(request, pk):
    """Re-score now, from a figures import's result page: the scoring page's run, by the
    roles that start one there; the import page then shows the run's tier changes."""
    job = _job(pk)
    if importing.rescoring_offer(job) is None:
        messages.warning(request, _("This import changed no figures to re-score."))
        return redirect("import_job", pk=job.pk)
    run = scoring.run_scoring(request.tenant, trigger=ScoringRun.Trigger.MANUAL,
                              user=request.user)
    messages.success(request, _(
        "Scoring run finished: %(scored)s customers scored, %(changes)s tier changes."
    ) % {"scored": run.customers_scored, "changes": run.changes})
    return redirect("import_job", pk=job.pk)
