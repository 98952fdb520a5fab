"""The executive dashboard page: every panel's chart, with its numbers in a table one
click away ("Show the numbers") and a link to the page behind it. Figures come from
`dashboards.selectors`, the same functions the dashboard API serves."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import tenant_required

from . import caching, health, selectors
from .charts import chart_labels
from .filters import DashboardFilter

DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})


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


@tenant_required(DASHBOARD_ROLES)
def dashboard(request):
    filterset = DashboardFilter(request.GET or None, queryset=selectors.base_customers(),
                                request=request)
    style_filter_form(filterset.form)
    scope = selectors.scope_for(request.tenant, filterset)
    data, computed_at = caching.dashboard(scope, refresh="refresh" in request.GET)
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
