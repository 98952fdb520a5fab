"""Browser pages of the import pipeline, for every registered kind: upload, templates,
dry-run preview, commit, progress.

Thin glue: the rules are in kam/imports/ and the kinds, the work in import_jobs.py (run
by tasks.py). Other apps show a kind's upload page and templates at their own URLs
through `upload_page` and `template_response`.
"""

import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import tenant_required
from jobs import outbox
from kam.imports import files, kinds, rows, templates

from . import import_jobs, import_selectors, scoring, tasks
from .models import ImportJob, ScoringRun
from .views.common import scoring_required

logger = logging.getLogger(__name__)

ERRORS_PER_PAGE = 50
CHANGES_PER_PAGE = 50
FLAGGED_SHOWN = 50  # the changes to look at twice, listed above the table

import_required = tenant_required("import_data")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8, comma or semicolon separated) or XLSX, at most "
                               "%(limit)d MB.") % {
            "limit": files.MAX_UPLOAD_BYTES // 1024 // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(kind.upload_fields())

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > files.MAX_UPLOAD_BYTES:
            raise ValidationError(files.upload_size_message(upload.size))
        self.content = upload.read()
        files.upload_format(upload.name, self.content)
        return upload


def _kind(name):
    try:
        return kinds.get(name)
    except LookupError as exc:
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


def _scope_query(kind, values):
    """The scope fields of `values` (a query or a job's options), for links to a page of a
    kind with a scope; None for other kinds."""
    if kind.scope_form is None:
        return None
    return {name: values[name] for name in kind.scope_form.base_fields if name in values}


def kind_links(kind, scope=None):
    """The upload page and templates of `kind` (for the scope `scope`, if any)."""
    query = f"?{urlencode(scope)}" if scope else ""
    return {"upload": reverse(f"import_{kind.name}") + query,
            "xlsx": reverse(f"import_{kind.name}_template_xlsx") + query,
            "csv": reverse(f"import_{kind.name}_template_csv") + query}


@import_required
def import_home(request):
    jobs = (ImportJob.objects.defer("content", "errors").select_related("created_by")
            .order_by("-created_at", "-id"))
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(request, "customers/import_home.html", {
        "page": page,
        "kinds": [{"kind": kind, "links": kind_links(kind)} for kind in kinds.all_kinds()],
    })


def _scope(kind, query):
    """(the scope form, the options it gives); the form is None for kinds without a scope,
    the options None while the scope is not chosen."""
    if kind.scope_form is None:
        return None, {}
    form = kind.scope_form(query or None)
    return form, (kind.scope_options(form.cleaned_data) if form.is_valid() else None)


def upload_page(request, kind, query):
    """The upload page of `kind`; `query`: the scope the page is for (a campaign), as the
    scope form reads it. Posting the file stores a job and queues its dry run."""
    scope, options = _scope(kind, query)
    if options is None:
        return render(request, "customers/import_scope.html", {
            "kind": kind, "scope": scope, "action": kind_links(kind)["upload"]})
    form = UploadForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        job = import_jobs.create_job(
            request.tenant, kind=kind.name, name=form.cleaned_data["file"].name,
            content=form.content, user=request.user,
            options={**options, **kind.upload_options(form.cleaned_data)})
        if not _enqueue(tasks.validate_import, job):
            import_jobs.queue_failed(job)
            messages.error(request, _("The file could not be queued for checking."))
        return redirect("import_job", pk=job.pk)
    return render(request, "customers/import_upload.html", {
        "form": form, "kind": kind, "scope_label": kind.scope_label(options),
        "links": kind_links(kind, _scope_query(kind, query or {})),
        "columns": [(c, kind.column_help(c, options)) for c in kind.columns(options)],
    })


@import_required
def import_upload(request, kind):
    return upload_page(request, _kind(kind), request.GET)


def template_response(request, kind, file_format, options):
    """A download of `kind`'s template (CSV or XLSX) for its scope `options`."""
    context = kinds.Context(tenant=request.tenant, user=request.user, options=options)
    columns, template_rows = kind.columns(options), kind.template_rows(context)
    if file_format == "xlsx":
        content = templates.template_xlsx(
            columns, template_rows, title=kind.title(options),
            column_help=lambda column: kind.column_help(column, options),
            replaces_rows=kind.replaces_rows)
    else:
        content = templates.template_csv(columns, template_rows)
    response = HttpResponse(content, content_type=templates.CONTENT_TYPES[file_format])
    name = kind.template_name(options)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@import_required
def import_template(request, kind, file_format):
    kind = _kind(kind)
    _form, options = _scope(kind, request.GET)
    if options is None:
        raise Http404
    return template_response(request, kind, file_format, options)


def _job(pk):
    return get_object_or_404(ImportJob.objects.defer("content").select_related("created_by"),
                             pk=pk)


@import_required
def import_job(request, pk):
    job = _job(pk)
    kind = _kind(job.kind)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    errors.object_list = rows.rendered_errors(errors.object_list)
    review = import_selectors.preview_page(job, request.GET.get("page"),
                                           per_page=CHANGES_PER_PAGE,
                                           flagged_shown=FLAGGED_SHOWN)
    done, percent = import_selectors.progress(job)
    return render(request, "customers/import_job.html", {
        "job": job, "errors": errors, "rows": done, "percent": percent,
        "hidden_errors": max(job.error_count - len(job.errors), 0),
        **review, "page": review["changes"] or errors,
        "upload_url": kind_links(kind, _scope_query(kind, job.options or {}))["upload"],
        "result_link": kind.result_link(job.options or {}),
        "rescoring": import_selectors.rescoring_offer(job),
        "can_rescore": roles.allows(request.role, "run_scoring"),
    })


@import_required
def import_job_progress(request, pk):
    """The polled progress bar; once the job has moved on, htmx reloads the whole page."""
    job = _job(pk)
    if not job.is_busy:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    done, percent = import_selectors.progress(job)
    return render(request, "customers/import_progress.html", {
        "job": job, "rows": done, "percent": percent,
    })


@require_POST
@import_required
def import_job_commit(request, pk):
    job = _job(pk)
    if not import_jobs.start_commit(job):
        messages.warning(request, _("This import is not ready to be committed."))
        return redirect("import_job", pk=job.pk)
    if not _enqueue(tasks.commit_import, job):
        import_jobs.queue_failed(job)
        messages.error(request, _("The import could not be started: the job queue cannot be "
                                  "reached. Try again in a few minutes."))
    return redirect("import_job", pk=job.pk)


@require_POST
@scoring_required
def import_job_rescore(request, pk):
    """Re-score now, from a figures import's result page: the scoring page's run, by the
    roles that start one there; the import page then shows the run's tier changes."""
    job = _job(pk)
    if import_selectors.rescoring_offer(job) is None:
        messages.warning(request, _("This import changed no figures to re-score."))
        return redirect("import_job", pk=job.pk)
    run = scoring.run_scoring(request.tenant, trigger=ScoringRun.Trigger.MANUAL,
                              user=request.user)
    messages.success(request, _(
        "Scoring run finished: %(scored)s customers scored, %(changes)s tier changes."
    ) % {"scored": run.customers_scored, "changes": run.changes})
    return redirect("import_job", pk=job.pk)
