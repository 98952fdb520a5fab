"""The QBR pack of one account and quarter: figures vs plan, tier and why, health and the
scorecard trend, satisfaction by department and dimension, OPL, programmes with RAG and
slips, top risks and next quarter's objectives, as a PDF (WeasyPrint) and as XLSX.

It composes every app's side of the account from the selectors the account 360 page
uses, so it lives here. A pack is a list of sections (`BUILDERS`, in print order); each
is a table (columns and rows) with optional facts and a chart, so the PDF and the XLSX
render any section the same way. A later section (agreements, price-downs,
give-and-get) is one more builder.

The customer-facing variant leaves out what is internal: one rule, `INTERNAL_SECTIONS`
and `INTERNAL_FIELDS`, applied in `customer_facing`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from customers import scoring
from customers import selectors as customer_selectors
from customers.models import Initiative, PeriodFigure
from kam.periods import Quarter, current_period, read_quarter, validate_period
from projects import selectors as project_selectors
from projects.models import RiskStatus
from satisfaction import selectors as satisfaction_selectors

from . import derived, health, pdf, selectors, svg

INTERNAL = "internal"
CUSTOMER = "customer"
VARIANTS = {INTERNAL: gettext_lazy("Internal"), CUSTOMER: gettext_lazy("Customer-facing")}
PDF, XLSX = "pdf", "xlsx"
FORMATS = {PDF: "application/pdf",
           XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# What the customer must not see: whole sections (tier and score, health, the ledger once
# it exists) and fields of any section (margins and cost to serve).
INTERNAL_SECTIONS = frozenset({"tier", "health", "ledger"})
INTERNAL_FIELDS = frozenset({"gross_margin", "cost_to_serve", "score", "tier", "health",
                             "band"})

TREND_QUARTERS = 8
HEALTH_WEEKS = 13  # a quarter
TOP_RISKS = 5


@dataclass
class Section:
    key: str
    title: str
    columns: list  # [(key, label)]
    rows: list  # [{column key: value}]
    facts: list = field(default_factory=list)  # [(key, label, value)]
    chart: str = ""  # inline SVG
    note: str = ""


@dataclass
class Pack:
    customer: object
    quarter: Quarter
    variant: str
    generated_at: object
    sections: list

    @property
    def title(self):
        return _("Quarterly business review %(quarter)s") % {"quarter": self.quarter}

    @property
    def variant_label(self):
        return VARIANTS[self.variant]


class PackError(ValueError):
    """A request for a pack the rules refuse: {field: message}."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


# --- what a request asks for ----------------------------------------------------------------

def last_complete_quarter(tenant, *, today=None):
    """The quarter a pack is for unless said otherwise: the scoring window's end (the
    newest quarter that is over and reported), else the quarter before today's."""
    today = today or tenant.today()
    policy, _saved = customer_selectors.current_policy_or_default()
    window = scoring.window_status(policy, today=today)
    if window.end is not None:
        return Quarter.parse(window.end.period)
    return Quarter.of(today) - 1


def read_request(params, *, tenant):
    """(quarter, variant, format) from query parameters; PackError naming bad ones."""
    errors = {}
    text = read_quarter(params.get("quarter"))  # 2026Q3, 2026-Q3, Q3 2026, …
    quarter = None
    if not text:
        quarter = last_complete_quarter(tenant)
    elif invalid := _period_error(text):
        errors["quarter"] = invalid
    elif text > current_period(tenant.today()):
        errors["quarter"] = _("%(quarter)s has not started yet.") % {"quarter": text}
    else:
        quarter = Quarter.parse(text)
    variant = params.get("variant") or CUSTOMER
    if variant not in VARIANTS:
        errors["variant"] = _("Choose internal or customer.")
    file_format = params.get("format") or PDF
    if file_format not in FORMATS:
        errors["format"] = _("Choose pdf or xlsx.")
    if errors:
        raise PackError(errors)
    return quarter, variant, file_format


def _period_error(text):
    try:
        validate_period(text)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def quarter_choices(tenant, count=8):
    """The quarters the pickers offer, newest first (the current one included)."""
    now = Quarter.of(tenant.today())
    return [str(now - back) for back in range(count)]


# --- the sections ---------------------------------------------------------------------------

def _number(value):
    return None if value is None else float(value)


def _whole(value):
    return None if value is None else int(round(value))


def _sum(values):
    found = [v for v in values if v is not None]
    return sum(found, Decimal(0)) if found else None


def _mean(values):
    found = [v for v in values if v is not None]
    return sum(found, Decimal(0)) / len(found) if found else None


def figures_section(ctx):
    """The quarter and the year to date against the account plan (its annual revenue
    target, a quarter's share of it straight-line)."""
    quarter = ctx["quarter"]
    periods = [str(Quarter(quarter.year, n)) for n in range(1, quarter.number + 1)]
    figures = {f.period: f for f in PeriodFigure.objects.filter(customer=ctx["customer"],
                                                                period__in=periods)}
    plan = next((p for p in ctx["plans"] if p.year == quarter.year), None)
    target = plan.revenue_target if plan else None
    this = figures.get(str(quarter))
    year = [figures[p] for p in periods if p in figures]
    quarter_plan = target / 4 if target is not None else None
    ytd_plan = target * quarter.number / 4 if target is not None else None

    def row(label, key, actual, planned=None):
        gap = (actual - planned) if actual is not None and planned is not None else None
        # Money in whole units; percentages and PPM as stored.
        number = _whole if key in ("revenue", "cost_to_serve") else _number
        return {"measure": label, "key": key, "actual": number(actual),
                "plan": number(planned), "gap": number(gap)}

    rows = [
        row(_("Revenue, quarter"), "revenue", this.revenue if this else None, quarter_plan),
        row(_("Revenue, year to date"), "revenue", _sum(f.revenue for f in year), ytd_plan),
        row(_("Supply share % (quarter)"), "supply_share", this.supply_share if this else None,
            plan.share_target if plan else None),
        row(_("On-time delivery % (quarter)"), "on_time_delivery",
            this.on_time_delivery if this else None),
        row(_("Quality PPM (quarter)"), "quality_ppm", this.quality_ppm if this else None),
        row(_("Gross margin % (quarter)"), "gross_margin", this.gross_margin if this else None),
        row(_("Gross margin %, year to date"), "gross_margin",
            _mean(f.gross_margin for f in year)),
        row(_("Cost to serve (quarter)"), "cost_to_serve", this.cost_to_serve if this else None),
    ]
    chart = svg.bar_chart(
        periods, [(_("Revenue"), [_number(figures[p].revenue) if p in figures else None
                                  for p in periods]),
                  (_("Plan"), [_number(quarter_plan)] * len(periods))],
        title=_("Revenue by quarter against plan"))
    return Section("figures", _("Figures against plan"),
                   [("measure", _("Measure")), ("actual", _("Actual")), ("plan", _("Plan")),
                    ("gap", _("Gap"))], rows, chart=chart,
                   note="" if plan else _("No account plan for %(year)s.") % {
                       "year": quarter.year})


def tier_section(ctx):
    why = customer_selectors.tier_explanation(ctx["assessment"])
    customer = ctx["customer"]
    facts = [("tier", _("Tier"), customer.tier or _("No tier")),
             ("score", _("Score"), None if customer.score is None
              else round(float(customer.score), 2))]
    rows = []
    if why:
        facts.append(("rank", _("Rank"), f"{why['rank']} / {why['n']}" if why["rank"] else ""))
        rows = [{"criterion": str(c["label"]), "value": _number(c.get("value")),
                 "weight": _number(c.get("weight")),
                 "contribution": _number(c.get("contribution"))} for c in why["criteria"]]
    return Section("tier", _("Tier and why"),
                   [("criterion", _("Criterion")), ("value", _("Value")),
                    ("weight", _("Weight")), ("contribution", _("Contribution"))],
                   rows, facts=facts)


def health_section(ctx):
    """Account health now, and week by week over the quarter (the weekly snapshots)."""
    found = derived.explain(ctx["customer"], tenant=ctx["tenant"], today=ctx["today"])
    facts = [("health", _("Health"), found.value if found else None),
             ("band", _("Band"), str(found.band_label) if found else "")]
    weeks = selectors.health_trend(ctx["customer"], weeks=HEALTH_WEEKS,
                                   until=min(ctx["quarter"].end, ctx["today"]))
    rows = [{"week": s.week.isoformat(), "health": s.value,
             "band": str(health.ALL_BANDS.get(s.band, s.band))} for s in weeks]
    chart = svg.line_chart([r["week"][5:] for r in rows],
                           [(_("Health"), [r["health"] for r in rows])],
                           title=_("Health by week")) if rows else ""
    return Section("health", _("Account health by week"),
                   [("week", _("Week")), ("health", _("Health")), ("band", _("Band"))],
                   rows, facts=facts, chart=chart,
                   note="" if rows else _("No weekly health snapshots in this quarter."))


def scorecard_section(ctx):
    """On-time delivery and quality over the last quarters up to the pack's."""
    periods = [str(ctx["quarter"] - back) for back in range(TREND_QUARTERS - 1, -1, -1)]
    figures = {f.period: f for f in PeriodFigure.objects.filter(customer=ctx["customer"],
                                                                period__in=periods)}
    rows = [{"quarter": p, "on_time_delivery": _number(figures[p].on_time_delivery),
             "quality_ppm": _number(figures[p].quality_ppm),
             "gross_margin": _number(figures[p].gross_margin)}
            for p in periods if p in figures]
    chart = svg.line_chart(
        [r["quarter"] for r in rows],
        [(_("On-time delivery %"), [r["on_time_delivery"] for r in rows])],
        title=_("On-time delivery by quarter")) if rows else ""
    return Section("scorecard", _("Scorecard trend"),
                   [("quarter", _("Quarter")), ("on_time_delivery", _("On-time delivery %")),
                    ("quality_ppm", _("Quality PPM")), ("gross_margin", _("Gross margin %"))],
                   rows, chart=chart)


def satisfaction_section(ctx):
    """The survey of the pack's quarter (or the latest before it): index by department
    and by dimension."""
    report = satisfaction_selectors.customer_report(ctx["customer"])
    quarter = ctx["quarter"]
    entry = next((h for h in report["history"]
                  if (h["campaign"].year, h["campaign"].quarter) <= (quarter.year,
                                                                     quarter.number)), None)
    if entry is None:
        return Section("satisfaction", _("Satisfaction"), [], [],
                       note=_("No survey answered up to this quarter."))
    labels = dict(zip(report["departments"], report["department_labels"], strict=True))
    rows = [{"group": _("Department"), "name": str(labels[d["department"]]),
             "index": _number(d["index"])} for d in entry["departments"]]
    dimension_labels = report["dimension_labels"]
    rows += [{"group": _("Dimension"), "name": str(label), "index": _number(d["index"])}
             for d, label in zip(entry["dimensions"], dimension_labels, strict=True)]
    campaign = entry["campaign"]
    facts = [("campaign", _("Survey"), f"{campaign.year}Q{campaign.quarter}"),
             ("index", _("Index"), _number(entry["index"])),
             ("nps", _("NPS"), _number(entry["nps"]))]
    chart = svg.bar_chart([r["name"] for r in rows if r["group"] == _("Department")],
                          [(_("Index"), [r["index"] for r in rows
                                         if r["group"] == _("Department")])],
                          title=_("Index by department"))
    return Section("satisfaction", _("Satisfaction by department and dimension"),
                   [("group", ""), ("name", _("Name")), ("index", _("Index"))], rows,
                   facts=facts, chart=chart)


def opl_section(ctx):
    quarter = ctx["quarter"]
    counts = satisfaction_selectors.opl_quarter_counts(ctx["customer"], start=quarter.start,
                                                       end=min(quarter.end, ctx["today"]),
                                                       tz=ctx["tenant"].tzinfo)
    rows = [{"measure": _("Opened in the quarter"), "count": counts["opened"]},
            {"measure": _("Closed in the quarter"), "count": counts["closed"]},
            {"measure": _("Overdue at the quarter's end"), "count": counts["overdue"]}]
    return Section("opl", _("Open points (OPL)"),
                   [("measure", _("Measure")), ("count", _("Items"))], rows)


def programmes_section(ctx):
    programmes = ctx["programmes"]
    rows, slips = [], []
    for p in programmes:
        rows.append({"programme": f"{p.code} {p.name}", "stage": str(p.get_stage_display()),
                     "sop": p.sop_date.isoformat() if p.sop_date else "",
                     "rag": str(p.rag.label) if p.rag else "",
                     "next": p.next_milestone.label if p.next_milestone else ""})
        for m in p.open_milestones:
            if m.forecast_date and m.forecast_date > m.planned_date:
                slips.append(f"{p.code} {m.label}: {m.planned_date.isoformat()} → "
                             f"{m.forecast_date.isoformat()} "
                             f"(+{(m.forecast_date - m.planned_date).days} d)")
    for row, p in zip(rows, programmes, strict=True):
        row["slips"] = sum(1 for m in p.open_milestones
                           if m.forecast_date and m.forecast_date > m.planned_date)
    return Section("programmes", _("Programmes with RAG and slips"),
                   [("programme", _("Programme")), ("stage", _("Stage")), ("sop", _("SOP")),
                    ("rag", _("RAG")), ("next", _("Next milestone")), ("slips", _("Slips"))],
                   rows, note="; ".join(slips))


def risks_section(ctx):
    risks = (project_selectors.risks_for_list()
             .filter(programme__customer=ctx["customer"]).exclude(status=RiskStatus.CLOSED)
             .order_by("-score", "pk")[:TOP_RISKS])
    rows = [{"risk": r.title, "programme": r.programme.code, "level": r.score,
             "mitigation": r.mitigation, "owner": str(r.owner) if r.owner else ""}
            for r in risks]
    return Section("risks", _("Top risks"),
                   [("risk", _("Risk")), ("programme", _("Programme")),
                    ("level", _("Probability × impact")), ("mitigation", _("Mitigation")),
                    ("owner", _("Owner"))], rows)


def objectives_section(ctx):
    """Next quarter's objectives: the open initiatives of the account plans due by its
    end (or undated), and the plan's strategy."""
    following = ctx["quarter"] + 1
    rows, strategy = [], ""
    for plan in ctx["plans"]:
        if plan.year == following.year:
            strategy = plan.strategy
        for item in plan.initiatives.all():
            if item.status in (Initiative.Status.DONE, Initiative.Status.DROPPED):
                continue
            if item.due_on is not None and not (ctx["quarter"].end < item.due_on
                                                <= following.end):
                continue
            rows.append({"objective": item.title, "owner": str(item.owner or ""),
                         "due": item.due_on.isoformat() if item.due_on else "",
                         "status": str(item.get_status_display())})
    return Section("objectives", _("Objectives for %(quarter)s") % {"quarter": following},
                   [("objective", _("Objective")), ("owner", _("Owner")), ("due", _("Due")),
                    ("status", _("Status"))], rows, note=strategy)


# (section key, builder) in print order. Agreements, price-downs and give-and-get join
# here once they exist.
BUILDERS = [("figures", figures_section), ("tier", tier_section), ("health", health_section),
            ("scorecard", scorecard_section), ("satisfaction", satisfaction_section),
            ("opl", opl_section), ("programmes", programmes_section), ("risks", risks_section),
            ("objectives", objectives_section)]


def customer_facing(sections):
    """The sections without what is internal (the one rule of what the customer sees)."""
    shown = []
    for section in sections:
        if section.key in INTERNAL_SECTIONS:
            continue
        columns = [c for c in section.columns if c[0] not in INTERNAL_FIELDS]
        keys = {c[0] for c in columns}
        rows = [{k: v for k, v in row.items() if k in keys or k == "key"} for row in section.rows
                if row.get("key") not in INTERNAL_FIELDS]
        facts = [f for f in section.facts if f[0] not in INTERNAL_FIELDS]
        shown.append(replace(section, columns=columns, rows=rows, facts=facts))
    return shown


def build(customer, *, quarter, variant, tenant):
    """The Pack of `customer` for `quarter` in `variant` (the current language)."""
    today = tenant.today()
    on, policy = project_selectors.context_for(tenant)
    ctx = {
        "customer": customer, "quarter": quarter, "tenant": tenant, "today": today,
        "plans": customer_selectors.account_plans(customer),
        "assessment": customer_selectors.latest_assessment(customer),
        "programmes": project_selectors.customer_programmes(customer, on, policy),
    }
    # Internal sections are not even computed for the customer's pack.
    sections = [builder(ctx) for key, builder in BUILDERS
                if variant == INTERNAL or key not in INTERNAL_SECTIONS]
    if variant != INTERNAL:
        sections = customer_facing(sections)
    return Pack(customer=customer, quarter=quarter, variant=variant,
                generated_at=timezone.now(), sections=sections)


# --- files -----------------------------------------------------------------------------------

def filename(pack, file_format):
    return f"QBR-{pack.customer.code}-{pack.quarter}-{pack.variant}.{file_format}"


def render_html(pack):
    return render_to_string("dashboards/qbr/pack.html", {
        "pack": pack, "LANGUAGE_CODE": get_language()})


def render_pdf(pack):
    return pdf.render(render_html(pack), css=pdf.print_css())


def render_xlsx(pack):
    """One sheet per section: its facts, then its table (the same data as the PDF)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for section in pack.sections:
        sheet = book.create_sheet(section.key)
        sheet.append([section.title])
        for _key, label, value in section.facts:
            sheet.append([str(label), value])
        if section.facts:
            sheet.append([])
        if section.columns:
            sheet.append([str(label) for _key, label in section.columns])
            for row in section.rows:
                sheet.append([row.get(key) for key, _label in section.columns])
        if section.note:
            sheet.append([])
            sheet.append([section.note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(pack, file_format):
    """(bytes, content type, file name); pdf.PdfUnavailable when PDFs cannot be made."""
    content = render_pdf(pack) if file_format == PDF else render_xlsx(pack)
    return content, FORMATS[file_format], filename(pack, file_format)
