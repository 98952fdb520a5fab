"""The executive dashboard page: every panel's chart, with its numbers in a table one
click away ("Show the numbers") and a link to the page behind it; and the account
manager's home. Figures come from `dashboards.selectors`, the same functions the
dashboard API serves."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts.permissions import tenant_required
from jobs import selectors as job_selectors
from jobs.models import ManagementReport

from . import derived, health, report, selectors
from .charts import chart_labels
from .filters import DashboardFilter

report_required = tenant_required("read_reports")


def style_filter_form(form):
    form.fields["region"].empty_label = _("All regions")
    form.fields["owner"].empty_label = _("All owners")
    # django-filter puts the empty label in when the choices are set: set both.
    tier = form.fields["tier"]
    choices = [choice for choice in tier.choices if choice[0] != ""]
    tier.empty_label = _("All tiers")
    tier.choices = choices
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-select form-select-sm"
    return form


@tenant_required("read_dashboard")
def dashboard(request):
    filterset = DashboardFilter(request.GET or None, queryset=selectors.base_customers(),
                                request=request)
    style_filter_form(filterset.form)
    scope = selectors.scope_for(request.tenant, filterset)
    data, computed_at = derived.dashboard(scope, refresh="refresh" in request.GET)
    query = request.GET.urlencode() if scope.filters else ""
    params = request.GET.copy()
    params.pop("refresh", None)
    params["refresh"] = "1"
    return render(request, "dashboards/dashboard.html", {
        "form": filterset.form, "filtered": bool(scope.filters), "data": data,
        "scope": scope, "labels": chart_labels(), "today": scope.today, "query": query,
        "health_parts": [(key, label) for key, (label, _weight) in health.PARTS.items()],
        "chart_data": data, "computed_at": computed_at, "refresh_query": params.urlencode(),
    })


@tenant_required()
def home(request):
    """The account manager's home: my accounts, my reminders, what is due in 14 days."""
    return render(request, "dashboards/home.html", selectors.home(request.user, request.tenant))


@report_required
def report_list(request):
    page = Paginator(job_selectors.reports(), 24).get_page(request.GET.get("page"))
    for item in page:
        item.month_label = report.month_label(item)
    return render(request, "dashboards/report_list.html", {"page": page})


@report_required
def report_detail(request, pk):
    item = get_object_or_404(ManagementReport, pk=pk)
    return render(request, "dashboards/report_detail.html", {
        "item": item, "report": report.present(item.data), "base_url": ""})
