"""File exports of the pages: the QBR pack of an account (from its 360 page) and the
executive dashboard as PDF. Both render server-side (dashboards.pdf) from the selectors
the pages use; a PDF asked for where WeasyPrint cannot load is a page saying what is
missing (the XLSX still works)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.permissions import tenant_required
from customers import selectors as customer_selectors
from customers.views.common import get_customer
from kam.periods import Quarter

from . import derived, pdf, qbr, selectors, svg
from .filters import DashboardFilter


def may_export(request, customer, variant):
    """The internal pack (tier, score, health, margins) goes to those who read the
    dashboard (executives and admins); the customer-facing one also to the account's
    team, who take it to the customer."""
    if roles.allows(request.role, "read_dashboard"):
        return True
    return (variant == qbr.CUSTOMER
            and roles.account_access().on_team(request.user, customer, None))


def qbr_control(request, customer):
    """What the 360 page's "QBR pack" control offers this user (None: nothing)."""
    internal = may_export(request, customer, qbr.INTERNAL)
    if not internal and not may_export(request, customer, qbr.CUSTOMER):
        return None
    return {"quarters": qbr.quarter_choices(request.tenant),
            "default": str(qbr.last_complete_quarter(request.tenant)),
            "variants": [(key, label) for key, label in qbr.VARIANTS.items()
                         if internal or key == qbr.CUSTOMER],
            "pdf_missing": pdf.unavailable()}


def attachment(content, content_type, name):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _refused(request, template_context, status=400):
    return render(request, "dashboards/qbr/refused.html", template_context, status=status)


@tenant_required()
def qbr_pack(request, pk):
    customer = get_customer(pk, customer_selectors.customers_for_detail())
    try:
        quarter, variant, file_format = qbr.read_request(request.GET, tenant=request.tenant)
    except qbr.PackError as exc:
        return _refused(request, {"customer": customer, "errors": exc.errors})
    if not may_export(request, customer, variant):
        return _refused(request, {"customer": customer, "errors": {"variant": _(
            "Only executives, administrators and the account's team export its QBR pack "
            "(the internal one: executives and administrators).")}}, status=403)
    if file_format == qbr.PDF and pdf.unavailable():
        return _refused(request, {"customer": customer, "errors": {"format": pdf.unavailable()}})
    pack = qbr.build(customer, quarter=quarter, variant=variant, tenant=request.tenant)
    return attachment(*qbr.render(pack, file_format))


# --- the executive dashboard ------------------------------------------------------------------

def dashboard_sections(data):
    """The dashboard's panels as pack sections (tables, with a chart where it helps)."""
    tiers = data["tiers"]
    tier_rows = [{"tier": row["tier"], "customers": row["customers"],
                  "revenue": row["revenue"], "revenue_share": row["revenue_share"]}
                 for row in tiers["tiers"]]
    concentration = data["concentration"]
    top1 = concentration.get("top1")
    opl = data["opl"]
    programmes = data["programmes"]
    health_panel = data["health"]
    satisfaction = data["satisfaction"]
    return [
        qbr.Section("tiers", _("Tiers"),
                    [("tier", _("Tier")), ("customers", _("Customers")),
                     ("revenue", _("Revenue")), ("revenue_share", _("Share of revenue %"))],
                    tier_rows,
                    facts=[("window", _("Scoring window"), ", ".join(tiers["window"] or [])),
                           ("total", _("Revenue"), tiers["total_revenue"])],
                    chart=svg.bar_chart([r["tier"] for r in tier_rows],
                                        [(_("Share of revenue %"),
                                          [r["revenue_share"] for r in tier_rows])],
                                        title=_("Revenue by tier"))),
        qbr.Section("concentration", _("Revenue concentration"),
                    [("quarter", _("Quarter")), ("hhi", _("HHI")), ("top1", _("Top-1 %"))],
                    [{"quarter": r.get("period"), "hhi": r.get("hhi"),
                      "top1": r.get("top1_share")} for r in concentration.get("trend", [])],
                    facts=[("top1", _("Top customer"),
                            f"{top1['customer']['name']}: {top1['share']} %" if top1 else ""),
                           ("hhi", _("HHI"), concentration.get("hhi"))]),
        qbr.Section("satisfaction", _("Satisfaction"),
                    [("customer", _("Customer")), ("index", _("Index")),
                     ("trend", _("Change vs previous quarter"))],
                    [{"customer": r["customer"]["name"], "index": r.get("index"),
                      "trend": r.get("trend")} for r in satisfaction.get("rows", [])],
                    facts=[("campaign", _("Survey"), str(satisfaction.get("campaign") or "")),
                           ("index", _("Index"), satisfaction.get("index"))]),
        qbr.Section("opl", _("Open points (OPL)"),
                    [("owner", _("Owner")), ("open", _("Open")), ("overdue", _("Overdue")),
                     ("stale", _("Stale"))],
                    [{"owner": (r["owner"] or {}).get("name") or _("Unassigned"),
                      "open": r["open"], "overdue": r["overdue"], "stale": r["stale"]}
                     for r in opl["by_owner"]],
                    facts=[(key, label, opl["totals"][key]) for key, label in
                           (("open", _("Open")), ("overdue", _("Overdue")),
                            ("stale", _("Stale")))]),
        qbr.Section("programmes", _("APQP programmes"),
                    [("programme", _("Programme")), ("customer", _("Customer")),
                     ("milestone", _("Milestone")), ("days_late", _("Days late"))],
                    [{"programme": r["programme"]["code"], "customer": r["customer"]["name"],
                      "milestone": str(r["milestone"]["label"]), "days_late": r["days_late"]}
                     for r in programmes["slipping"]],
                    facts=[(key, str(label), programmes["rag"].get(key)) for key, label in
                           (("red", _("Red")), ("amber", _("Amber")), ("green", _("Green")))]),
        qbr.Section("health", _("Account health"),
                    [("customer", _("Customer")), ("health", _("Health"))],
                    [{"customer": r["customer"]["name"], "health": r["health"]}
                     for r in health_panel["lowest"]],
                    facts=[(b["band"], str(b["label"]), b["customers"])
                           for b in health_panel["bands"]]),
    ]


@tenant_required("read_dashboard")
def dashboard_pdf(request):
    """The executive dashboard as PDF, as it stood at the end of the chosen quarter (the
    current one: today), with the page's filters."""
    tenant = request.tenant
    text = (request.GET.get("quarter") or "").strip().upper()
    choices = qbr.quarter_choices(tenant)
    if text and text not in choices:
        return _refused(request, {"errors": {"quarter": _(
            "Choose one of the last eight quarters.")}})
    if pdf.unavailable():
        return _refused(request, {"errors": {"format": pdf.unavailable()}})
    quarter = Quarter.parse(text) if text else Quarter.of(tenant.today())
    filterset = DashboardFilter(request.GET or None, queryset=selectors.base_customers(),
                                request=request)
    if filterset.is_bound and not filterset.is_valid():
        return _refused(request, {"errors": {name: "; ".join(errors) for name, errors
                                             in filterset.errors.items()}})
    today = min(quarter.end, tenant.today())
    scope = selectors.scope_for(tenant, filterset, today=today)
    # Today's dashboard comes from the same cache as the page; a past quarter's end is
    # computed afresh.
    data = (derived.dashboard(scope)[0] if today == tenant.today()
            else selectors.dashboard(scope))
    document = qbr.Pack(customer=None, quarter=quarter, variant=qbr.INTERNAL,
                        generated_at=timezone.now(), sections=dashboard_sections(data))
    html = render_to_string("dashboards/qbr/dashboard.html", {
        "pack": document, "as_of": today,
        "filters": scope.filters}, request=request)
    return attachment(pdf.render(html, css=pdf.print_css()), qbr.FORMATS[qbr.PDF],
                      f"dashboard-{tenant.slug}-{quarter}.pdf")
