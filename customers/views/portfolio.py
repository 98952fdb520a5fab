"""Scoring pages (policy, runs, customers without a tier), concentration risk and the
service standards. The rules are customers/scoring.py's and customers/cadence.py's."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import admin_required, tenant_required

from .. import cadence, scoring, selectors, services
from ..forms import ScoringPolicyForm, ServiceStandardsForm
from ..models import InteractionKind, ScoringRun
from .common import add_errors, page, scoring_required

PAGE_SIZE = 25

# The run page's views of its assessments: key -> (label, filter)
RUN_FILTERS = {
    "": (gettext_lazy("All"), {}),
    "A": ("A", {"tier": "A"}),
    "B": ("B", {"tier": "B"}),
    "C": ("C", {"tier": "C"}),
    "none": (gettext_lazy("No tier"), {"tier": ""}),
}


@tenant_required()
def scoring_policy(request):
    policy, saved = selectors.current_policy_or_default()
    return page(request, "customers/scoring/policy.html", {
        "tab": "policy", "policy": policy, "saved": saved,
        "pct": {name: getattr(policy, name) * 100 for name in (
            "a_share", "b_share", "a_revenue_cutoff", "b_revenue_cutoff",
            "concentration_threshold", "coverage_share")},
        "weights": selectors.weight_rows(policy.weights),
        "versions": selectors.policy_versions() if saved else [],
        "latest_run": selectors.latest_run(),
        "window": scoring.window_status(policy, today=request.tenant.today()).as_dict(),
    })


@admin_required
def scoring_policy_edit(request):
    policy, saved = selectors.current_policy_or_default()
    current_version = policy.version
    form = ScoringPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        if saved and not form.has_changed():
            messages.info(request, _("Nothing changed: the policy stays at version %(v)s.")
                          % {"v": current_version})
            return redirect("scoring_policy")
        try:
            new = services.save_policy_version(tenant=request.tenant, user=request.user,
                                               values=form.policy_values())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _(
                "Scoring policy version %(v)s saved. It applies from the next scoring run."
            ) % {"v": new.version})
            return redirect("scoring_policy")
    return page(request, "customers/scoring/policy_form.html", {
        "tab": "policy", "form": form, "current_version": current_version if saved else None,
        "next_version": current_version + 1,
    })


@require_POST
@scoring_required
def scoring_run_start(request):
    as_of = request.POST.get("as_of", "").strip().upper()
    errors = scoring.as_of_errors(as_of, today=request.tenant.today()) if as_of else []
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect("scoring_runs")
    run = scoring.run_scoring(request.tenant, trigger=ScoringRun.Trigger.MANUAL,
                              user=request.user, as_of=as_of)
    if run.customers_scored:
        messages.success(request, _(
            "Scoring run finished: %(scored)s customers scored, %(changes)s tier changes."
        ) % {"scored": run.customers_scored, "changes": run.changes})
    else:
        messages.warning(request, _(
            "Scoring run finished, but no customer has figures yet, so none got a tier. "
            "Add quarterly figures or import them first."))
    return redirect("scoring_run", pk=run.pk)


@tenant_required()
def scoring_runs(request):
    page_obj = Paginator(selectors.scoring_runs(), PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "customers/scoring/runs.html", {"tab": "runs", "page": page_obj})


@tenant_required()
def scoring_run(request, pk):
    run = get_object_or_404(ScoringRun.objects.select_related("policy", "triggered_by"), pk=pk)
    show = request.GET.get("show", "")
    if show not in RUN_FILTERS and show != "changed":
        show = ""
    assessments = selectors.run_assessments(run)
    if show == "changed":
        assessments = assessments.exclude(tier=F("previous_tier"))
    else:
        assessments = assessments.filter(**RUN_FILTERS[show][1])
    page_obj = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = [{"key": key, "label": label} for key, (label, _f) in RUN_FILTERS.items()]
    filters.append({"key": "changed", "label": _("Changed tier")})
    return page(request, "customers/scoring/run.html", {
        "tab": "runs", "run": run, "page": page_obj, "show": show, "filters": filters,
        "snapshot_weights": selectors.weight_rows(run.policy_snapshot.get("weights") or {}),
        "snapshot_pct": {name: float(run.policy_snapshot[name]) * 100 for name in (
            "a_share", "b_share", "a_revenue_cutoff", "b_revenue_cutoff")
            if name in run.policy_snapshot},
    })


@tenant_required()
def scoring_unscored(request):
    run = selectors.latest_run()
    page_obj = None
    if run is not None:
        page_obj = Paginator(selectors.unscored_assessments(run), PAGE_SIZE).get_page(
            request.GET.get("page"))
    return page(request, "customers/scoring/unscored.html", {
        "tab": "unscored", "run": run, "page": page_obj,
    })


@tenant_required()
def scoring_concentration(request):
    policy, _saved = selectors.current_policy_or_default()
    data = scoring.concentration(request.tenant, policy)
    page_obj = Paginator(data["customers"], PAGE_SIZE).get_page(request.GET.get("page"))
    flagged = [row for row in data["customers"] if row["flagged"]]
    names = selectors.customers_by_id(
        {row["customer_id"] for row in [*page_obj.object_list, *flagged]})
    rows = [{**row, "customer": names.get(row["customer_id"]),
             "share_pct": row["share"] * 100} for row in page_obj.object_list]
    flagged = [{**row, "customer": names.get(row["customer_id"]),
                "share_pct": row["share"] * 100} for row in flagged]
    rank_offset = page_obj.start_index() - 1 if data["customers"] else 0
    return page(request, "customers/scoring/concentration.html", {
        "tab": "concentration", "data": data, "page": page_obj, "rows": rows,
        "flagged": flagged, "rank_offset": rank_offset,
        "threshold_pct": data["threshold"] * 100,
        "top1_pct": data["top1_share"] * 100, "top20_pct": data["top20_share"] * 100,
    })


@tenant_required()
def scoring_standards(request):
    """Everyone reads the service standards; administrators change them."""
    standards = selectors.service_standards()
    saved = bool(standards)
    if not saved:
        standards = {(tier, kind): days for tier, kinds in cadence.DEFAULT_STANDARDS.items()
                     for kind, days in kinds.items()}
    if request.method == "POST" and not roles.allows(request.role, "manage_workspace"):
        raise PermissionDenied(_("Only administrators change the service standards."))
    form = ServiceStandardsForm(request.POST or None, standards=standards)
    if request.method == "POST" and form.is_valid():
        if services.set_service_standards(tenant=request.tenant, standards=form.standards()):
            messages.success(request, _("Service standards saved. The account pages check "
                                        "the cadence against them from now on."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("scoring_standards")
    return page(request, "customers/scoring/standards.html", {
        "tab": "standards", "form": form, "saved": saved,
        "kinds": InteractionKind.choices,
    })
