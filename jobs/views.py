"""Pages of the scheduled jobs: the job overview with each job's last runs and "Run
now" (administrators), a run's problems, and the monthly management reports (executives
and administrators)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import admin_required

from . import registry, selectors, services
from .models import JobRun


class RunNowForm(forms.Form):
    name = forms.ChoiceField(label=gettext_lazy("Job"),
                             choices=[(job.name, job.label) for job in registry.JOBS.values()])


@admin_required
def job_list(request):
    return render(request, "jobs/job_list.html", selectors.job_overview(request.tenant))


@admin_required
def job_run(request, pk):
    try:
        run = selectors.job_run(pk)
    except JobRun.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "jobs/job_run.html", {"run": run})


@require_POST
@admin_required
def job_run_now(request):
    form = RunNowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a job to run."))
        return redirect("job_list")
    job = registry.get(form.cleaned_data["name"])
    # Through the outbox: if the queue is away, the run waits for it instead of failing.
    run = services.run_now(job.name, tenant=request.tenant)
    if run is None:
        messages.success(request, _("“%(job)s” is queued; its run appears below once a "
                                    "worker has taken it.") % {"job": job.label})
    else:
        messages.success(request, _("“%(job)s” ran: %(outcome)s.") % {
            "job": job.label, "outcome": run.get_status_display()})
    return redirect("job_list")
