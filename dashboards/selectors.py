"""Every figure of the dashboards: the executive dashboard's panels, the health list and
the account manager's home. One module feeds the pages and the API (`dashboards.api`).

Each panel is a function of a `Scope` (the tenant, the day, and the base customer
queryset narrowed by the filters region / tier / owner) that returns plain data: numbers,
strings, dates, lists and dicts, ready for a template, `json_script` or a serializer.
Every function runs a fixed number of queries whatever the tenant's size: grouped
aggregates in SQL, rules applied in Python over rows fetched in one query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

import orjson
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import scoring
from customers import selectors as customer_selectors
from customers.models import Customer, Department, PeriodFigure, Tier, TieringMethod
from kam import periods as kam_periods
from kam.tenancy import require_tenant
from notifications.selectors import inbox
from projects import rag
from projects import selectors as programme_selectors
from projects.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    Milestone,
    MilestoneKind,
    MilestoneStatus,
    Programme,
)
from satisfaction import index, opl
from satisfaction import selectors as satisfaction_selectors
from satisfaction.models import OplItem
from teams import triangle
from teams.models import TeamMember, TeamRole, active_on

from . import derived, health
from .models import AccountHealth, HealthSnapshot

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from django.db.models import QuerySet

    from accounts.models import Tenant, User
    from notifications.models import Notification

    from .filters import DashboardFilter
    from .health import Health

LIST_LIMIT = 10  # rows of a panel's list (the full list is one click away)
HEATMAP_ROWS = 20
PARETO_POINTS = 200
HHI_QUARTERS = 8
BURNDOWN_WEEKS = 12
SOP_HORIZON_DAYS = 90
HOME_HORIZON_DAYS = 14
AGEING_BUCKETS = [  # (key, label, from days, to days) of an open item's age
    ("0-30", _("≤ 30 days"), 0, 30),
    ("31-60", _("31–60 days"), 31, 60),
    ("61-90", _("61–90 days"), 61, 90),
    ("90+", _("> 90 days"), 91, None),
]
TIER_KEYS = [*Tier.values, "none"]


def pct(part: float | Decimal, whole: float | Decimal, places: int = 1) -> float:
    """100 × part / whole as a float (0 when whole is 0)."""
    if not whole:
        return 0.0
    return round(float(Decimal(part) * 100 / Decimal(whole)), places)


def _number(value):
    """A Decimal figure as the float the pages and the API carry (None stays None)."""
    return None if value is None else float(value)


def customer_ref(pk: int, name: str, code: str = "", tier: str | None = "") -> dict:
    return {"id": pk, "name": name, "code": code, "tier": tier or ""}


def user_ref(pk: int | None, full_name: str, email: str) -> dict | None:
    if pk is None:
        return None
    return {"id": pk, "name": full_name or email}


@dataclass
class Scope:
    """What a dashboard looks at: a tenant on a day, and its active customers narrowed
    by the filters. Shared intermediate results are computed once per scope."""

    tenant: Tenant
    customers: QuerySet[Customer]
    today: date
    now: datetime
    filters: dict = field(default_factory=dict)

    def ids(self):
        return self.customers.order_by().values("pk")

    @cached_property
    def health(self) -> dict[int, Health]:
        return derived.current(self.customers, tenant=self.tenant, today=self.today,
                              now=self.now)

    @cached_property
    def stored_health(self):
        """The AccountHealth rows of the customers in scope, brought up to date first:
        for panels that only need sums and a few rows."""
        derived.refresh(self.customers, tenant=self.tenant, today=self.today, now=self.now)
        return AccountHealth.objects.filter(customer__in=self.ids(), computed_on=self.today)

    @cached_property
    def policy(self):
        return customer_selectors.current_policy_or_default()[0]

    @cached_property
    def window_status(self):
        """The scoring window and its coverage (customers.scoring.Window)."""
        return scoring.window_status(self.policy, today=self.today)

    @cached_property
    def window(self):
        """The scoring window (the policy's last k quarters ending with the tenant's
        latest complete quarter), or []."""
        return self.window_status.periods

    @property
    def filtered(self):
        return bool(self.filters)

    def _window_revenue(self, customers):
        if not self.window:
            return []
        rows = (PeriodFigure.objects.filter(customer__in=customers.order_by().values("pk"),
                                            period__in=self.window)
                .values("customer_id", "customer__tier", "customer__name", "customer__code")
                .annotate(revenue=Coalesce(Sum("revenue"), Decimal(0)))
                .order_by("-revenue", "customer__code"))
        return list(rows)

    @cached_property
    def window_revenue(self):
        """[{customer_id, revenue, tier, name, code}] over the window, largest first."""
        return self._window_revenue(self.customers)

    @cached_property
    def portfolio_window_revenue(self):
        """The same over the whole portfolio, whatever the filters: shares are of the
        whole tenant unless a page says "within the filter"."""
        return self._window_revenue(base_customers()) if self.filtered else self.window_revenue


def base_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(is_active=True)


def scope_for(tenant: Tenant, filterset: DashboardFilter | None = None, *,
              today: date | None = None, now: datetime | None = None) -> Scope:
    """The Scope of `tenant` on `today`, narrowed by a bound `DashboardFilter` (None: the
    whole portfolio)."""
    customers = base_customers()
    filters = {}
    if filterset is not None:
        customers = filterset.filter_queryset(customers) if filterset.is_valid() else customers
        filters = filterset.applied()
    return Scope(tenant=tenant, customers=customers, today=today or tenant.today(),
                 now=now or timezone.now(), filters=filters)


# --- tiers and the Pareto curve ------------------------------------------------------------

def pareto_points(revenues: Sequence[Decimal],
                  max_points: int = PARETO_POINTS) -> list[list[float]]:
    """[[% of customers, % of revenue]] of the cumulative revenue curve, largest customer
    first, from (0, 0); at most `max_points` points plus the origin."""
    n, total = len(revenues), sum(revenues, Decimal(0))
    if not n or not total:
        return []
    step = max(1, math.ceil(n / max_points))
    points, cumulative = [[0.0, 0.0]], Decimal(0)
    for position, revenue in enumerate(revenues, start=1):
        cumulative += revenue
        if position % step == 0 or position == n:
            points.append([pct(position, n, 2), pct(cumulative, total, 2)])
    return points


def tiers(scope: Scope) -> dict:
    """Customers and window revenue by tier; the Pareto curve with the policy's A/B cuts."""
    policy = scope.policy
    counts = dict(scope.customers.order_by().values_list("tier").annotate(n=Count("pk")))
    rows = scope.window_revenue
    total = sum((r["revenue"] or Decimal(0) for r in rows), Decimal(0))
    revenue_by_tier = {}
    for row in rows:
        key = row["customer__tier"] or "none"
        revenue_by_tier[key] = revenue_by_tier.get(key, Decimal(0)) + (row["revenue"] or 0)
    n_customers = sum(counts.values())
    tier_rows = [{
        "tier": key, "customers": counts.get("" if key == "none" else key, 0),
        "customers_share": pct(counts.get("" if key == "none" else key, 0), n_customers),
        "revenue": float(revenue_by_tier.get(key, 0)),
        "revenue_share": pct(revenue_by_tier.get(key, 0), total),
    } for key in TIER_KEYS]

    revenues = [r["revenue"] or Decimal(0) for r in rows]
    if policy.method == TieringMethod.VALUE_SHARE:
        cutoffs = [{"axis": "y", "value": float(policy.a_revenue_cutoff * 100), "tier": "A"},
                   {"axis": "y", "value": float(policy.b_revenue_cutoff * 100), "tier": "B"}]
    else:
        cutoffs = [{"axis": "x", "value": float(policy.a_share * 100), "tier": "A"},
                   {"axis": "x", "value": float((policy.a_share + policy.b_share) * 100),
                    "tier": "B"}]
    deciles = []
    cumulative, taken = Decimal(0), 0
    for tenth in range(1, 11):
        upto = math.ceil(len(revenues) * tenth / 10)
        cumulative += sum(revenues[taken:upto], Decimal(0))
        taken = upto
        deciles.append({"customers_share": tenth * 10, "customers": upto,
                        "revenue_share": pct(cumulative, total)})
    return {
        "window": scope.window, "coverage": scope.window_status.as_dict(),
        "within_filter": scope.filtered,
        "method": policy.method, "currency": scope.tenant.currency,
        "customers": n_customers, "customers_with_revenue": len(rows),
        "total_revenue": float(total), "tiers": tier_rows,
        "pareto": {"points": pareto_points(revenues), "cutoffs": cutoffs},
        "deciles": deciles if rows else [],
    }


# --- concentration -------------------------------------------------------------------------

def concentration(scope: Scope) -> dict:
    """Top-1 share against the threshold, top-20 % share and HHI over the window, and the
    HHI and top-1 share per quarter over the last eight: all of the whole portfolio. A
    filter narrows which customers are named (the top one, those flagged) but not what
    their shares are of, so a region's largest customer is no false alarm; `filter_share`
    says how much of the portfolio's revenue the filter holds."""
    threshold = scope.policy.concentration_threshold
    portfolio = scope.portfolio_window_revenue
    figures = scoring.concentration_of(portfolio, threshold)
    in_scope = {r["customer_id"] for r in scope.window_revenue}
    shares = [r for r in figures["customers"] if r["customer_id"] in in_scope]
    top = shares[0] if shares else None
    # Names only for the customers shown: the top one and those flagged.
    shown = {r["customer_id"] for r in shares if r["flagged"]} | ({top["customer_id"]}
                                                                   if top else set())
    names = {r["customer_id"]: customer_ref(r["customer_id"], r["customer__name"],
                                            r["customer__code"], r["customer__tier"])
             for r in portfolio if r["customer_id"] in shown}
    filter_revenue = sum((r["revenue"] for r in shares), Decimal(0))
    return {
        "window": scope.window,
        "threshold": pct(threshold, 1),
        "within_filter": scope.filtered,
        "filter_share": (pct(filter_revenue, figures["total_revenue"])
                         if scope.filtered else None),
        "top1": {"customer": names[top["customer_id"]], "share": pct(top["share"], 1),
                 "flagged": top["flagged"]} if top else None,
        "top20_share": pct(figures["top20_share"], 1),
        "top20_count": figures["top20_count"],
        "hhi": float(figures["hhi"]),
        "flagged": [{"customer": names[r["customer_id"]], "share": pct(r["share"], 1)}
                    for r in shares if r["flagged"]],
        "trend": hhi_trend(scope),
    }


def hhi_trend(scope: Scope, quarters: int = HHI_QUARTERS) -> list[dict]:
    """[{period, hhi, top1_share (%), customers}] of the whole portfolio for the last
    `quarters` quarters ending with the window's last (so never a quarter that is not
    complete), by customers.scoring."""
    if not scope.window:
        return []
    periods = kam_periods.window_periods(scope.window[-1], quarters)
    return [{"period": row["period"], "hhi": _number(row["hhi"]),
             "top1_share": None if row["top1_share"] is None else pct(row["top1_share"], 1),
             "customers": row["customers"]}
            for row in scoring.concentration_trend(periods=periods)]


# --- satisfaction --------------------------------------------------------------------------

def satisfaction(scope: Scope, limit: int = HEATMAP_ROWS,
                 movers: int = satisfaction_selectors.MOVERS) -> dict:
    """The latest reported campaign's heatmap (customer × department; the lowest index
    first, `limit` rows, in the departments they answered) and the movers since the
    quarter before: the figures are satisfaction.selectors', for the customers in scope."""
    campaign, waiting = satisfaction_selectors.reported_campaign()
    waiting = [{"period": c.period, **c.coverage.as_dict()} for c in waiting]
    if campaign is None:
        return {"campaign": None, "previous": None, "interim": False, "coverage": None,
                "waiting": waiting, "colour_bands": index.chart_bands(),
                "departments": [], "rows": [], "customers": 0, "index": None,
                "trend": None, "movers_up": [], "movers_down": []}
    previous = satisfaction_selectors.previous_campaign(campaign)
    figures = satisfaction_selectors.campaign_indices(campaign=campaign, previous=previous,
                                                      customers=scope.customers)
    rows = sorted((c for c in figures.customers if c.answered),
                  key=lambda c: (c.index is None, c.index or 0, c.name))
    up, down = satisfaction_selectors.movers(rows, limit=movers)
    shown = rows[:limit]
    cells = satisfaction_selectors.department_indices(
        campaign=campaign, customer_ids=[c.customer_id for c in shown])
    present = {department for _customer, department in cells}
    departments = [(key, label) for key, label in Department.choices if key in present]
    coverage = satisfaction_selectors.survey_coverage([campaign.pk],
                                                      [c.customer_id for c in shown])
    no_coverage = satisfaction_selectors.Coverage(answered=0, invited=0)

    def ref(found):
        return customer_ref(found.customer_id, found.name, found.code, found.tier)

    def mover(found):
        return {"customer": ref(found), "index": _number(found.index),
                "previous": _number(found.previous), "trend": _number(found.trend)}

    def heatmap_row(found):
        return {"customer": ref(found),
                "cells": [_number(cells.get((found.customer_id, key)))
                          for key, _label in departments],
                "index": _number(found.index), "trend": _number(found.trend),
                "coverage": coverage.get((campaign.pk, found.customer_id),
                                         no_coverage).as_dict()}

    return {
        "campaign": campaign.period, "previous": previous.period if previous else None,
        "interim": campaign.interim, "coverage": campaign.coverage.as_dict(),
        "waiting": waiting, "colour_bands": index.chart_bands(),
        "departments": [{"key": key, "label": label} for key, label in departments],
        "rows": [heatmap_row(found) for found in shown],
        "customers": len(rows), "index": _number(figures.index),
        "trend": _number(figures.trend),
        "movers_up": [mover(found) for found in up],
        "movers_down": [mover(found) for found in down],
    }


# --- the OPL -------------------------------------------------------------------------------

def _per_day(queryset, field):
    """{date: items} of `queryset` grouped by the date `field` (one query)."""
    return dict(queryset.order_by().values_list(field).annotate(n=Count("pk")))


def opl_panel(scope: Scope) -> dict:
    """Open, overdue and stale items by owner; the open items' ageing; and the burn-down
    of the last twelve weeks: items open at each week's end, opened and closed in it.

    The burn-down starts from the items open when the twelve weeks began and adds the
    items opened and takes away those closed day by day, closed as satisfaction.opl
    defines it (a few grouped queries, however many items)."""
    today, now, tz = scope.today, scope.now, scope.tenant.tzinfo
    items = OplItem.objects.filter(customer__in=scope.ids())

    # One grouped query gives both the owners' rows and, summed, the totals.
    ageing = {}
    for key, _label, low, high in AGEING_BUCKETS:
        condition = Q(status__in=opl.ACTIVE, opened_on__lte=today - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_on__gte=today - timedelta(days=high))
        ageing[key] = Count("pk", filter=condition)
    start = today - timedelta(days=7 * BURNDOWN_WEEKS)
    owners = list(items.order_by().values("owner_id", "owner__full_name", "owner__email").annotate(
        open=Count("pk", filter=Q(status__in=opl.ACTIVE)),
        overdue=Count("pk", filter=opl.overdue_q(today)),
        stale=Count("pk", filter=opl.stale_q(now)),
        open_at_start=Count("pk", filter=Q(opened_on__lte=start)
                            & ~opl.closed_q(until=start, tz=tz)),
        **ageing))
    totals = {key: sum(r[key] for r in owners)
              for key in ("open", "overdue", "stale", "open_at_start", *ageing)}
    by_owner = sorted(
        ({"owner": user_ref(r["owner_id"], r["owner__full_name"], r["owner__email"]),
          "open": r["open"], "overdue": r["overdue"], "stale": r["stale"]}
         for r in owners if r["open"]),
        key=lambda r: (-r["overdue"], -r["open"], r["owner"]["name"] if r["owner"] else ""))

    window = Q(opened_on__gt=start, opened_on__lte=today)
    opened = _per_day(items.filter(window), "opened_on")
    closed = opl.closed_per_day(items, since=start + timedelta(days=1), until=today, tz=tz)

    burndown, open_now, week_start = [], totals["open_at_start"], start
    for week in range(BURNDOWN_WEEKS):
        week_end = start + timedelta(days=7 * (week + 1))
        days = [week_start + timedelta(days=d) for d in range(1, 8)]
        opened_in = sum(opened.get(day, 0) for day in days)
        closed_in = sum(closed.get(day, 0) for day in days)
        open_now += opened_in - closed_in
        burndown.append({"week_ending": week_end, "open": open_now, "opened": opened_in,
                         "closed": closed_in})
        week_start = week_end
    return {
        "totals": {"open": totals["open"], "overdue": totals["overdue"],
                   "stale": totals["stale"]},
        "by_owner": by_owner,
        "ageing": [{"bucket": key, "label": label, "count": totals[key]}
                   for key, label, _low, _high in AGEING_BUCKETS],
        "burndown": burndown,
    }


# --- APQP programmes -----------------------------------------------------------------------

def programmes(scope: Scope, limit: int = LIST_LIMIT) -> dict:
    """Open programmes by RAG (the worst colour of their open milestones, by
    projects.selectors), SOPs in the next 90 days, and slipping milestones (open, forecast
    after the customer date or already past it), the most late first: three queries."""
    on, policy = scope.today, rag.policy_for(scope.tenant)
    in_scope = Programme.objects.filter(customer__in=scope.ids())
    programme_rows = list(
        in_scope.exclude(stage__in=CLOSED_STAGES).order_by("sop_date", "code")
        .values_list("pk", "code", "name", "sop_date", "customer_id", "customer__name",
                     "customer__code", "customer__tier"))
    worst = programme_selectors.worst_rag_by_programme(programmes=in_scope, on=on,
                                                       policy=policy)
    late_milestones = (Milestone.objects
                       .filter(programme__customer__in=scope.ids(),
                               programme__stage__in=OPEN_STAGES)
                       .exclude(status=MilestoneStatus.DONE)
                       .filter(Q(forecast_date__gt=F("planned_date")) | Q(planned_date__lt=on))
                       .order_by()
                       .values_list("pk", "programme_id", "kind", "name", "planned_date",
                                    "forecast_date", "actual_date", "status"))
    slipping = []
    for pk, programme_id, kind, name, planned, forecast, actual, status in late_milestones:
        colour = rag.colour(planned=planned, forecast=forecast, actual=actual, status=status,
                            on=on, policy=policy)
        late = max(((forecast or planned) - planned).days, (on - planned).days)
        slipping.append((late, planned, programme_id, pk, kind, name, forecast, colour))
    slipping.sort(key=lambda entry: (-entry[0], entry[1], entry[2]))

    refs = {}
    counts = programme_selectors.count_by_rag(worst.get(row[0]) for row in programme_rows)
    upcoming = []
    horizon = on + timedelta(days=SOP_HORIZON_DAYS)
    for pk, code, name, sop, customer_id, c_name, c_code, c_tier in programme_rows:
        refs[pk] = ({"id": pk, "code": code, "name": name},
                    customer_ref(customer_id, c_name, c_code, c_tier))
        colour = worst.get(pk)
        if on <= sop <= horizon:
            upcoming.append({"programme": refs[pk][0], "customer": refs[pk][1],
                             "sop_date": sop, "days": (sop - on).days, "rag": colour})
    return {
        "programmes": len(programme_rows),
        "rag": counts,
        "upcoming_sops": upcoming[:limit],
        "upcoming_count": len(upcoming),
        "slipping": [{"milestone": {"id": pk, "label": name or MilestoneKind(kind).label},
                      "programme": refs[programme_id][0], "customer": refs[programme_id][1],
                      "planned_date": planned, "forecast_date": forecast, "days_late": late,
                      "rag": colour}
                     for late, planned, programme_id, pk, kind, name, forecast, colour
                     in slipping[:limit]],
        "slipping_count": len(slipping),
    }


# --- cadence and the iron triangle ---------------------------------------------------------

def cadence(scope: Scope, limit: int = LIST_LIMIT) -> dict:
    """Visit compliance by tier (standards met / standards due, and the customers that
    meet all of theirs) and the A accounts whose iron triangle is incomplete."""
    by_tier = {t: {"tier": t, "customers": 0, "compliant": 0, "standards": 0, "met": 0}
               for t in Tier.values}
    sums = (scope.stored_health.filter(cadence_standards__gt=0, customer__tier__in=Tier.values)
            .order_by().values_list("customer__tier")
            .annotate(customers=Count("pk"), standards=Sum("cadence_standards"),
                      met=Sum("cadence_met"),
                      compliant=Count("pk", filter=Q(cadence_met=F("cadence_standards")))))
    for tier, customers, standards, met, compliant in sums:
        by_tier[tier].update(customers=customers, standards=standards, met=met,
                             compliant=compliant)
    for row in by_tier.values():
        row["compliance"] = pct(row["met"], row["standards"]) if row["standards"] else None
        row["compliant_share"] = (pct(row["compliant"], row["customers"])
                                  if row["customers"] else None)

    incomplete = triangle.incomplete_a_tier(scope.today, scope.customers).order_by("name", "pk")
    listed = list(incomplete.values("pk", "name", "code", "tier", "has_ar", "has_sr",
                                    "has_fr")[:limit])
    return {
        "by_tier": list(by_tier.values()),
        "incomplete_triangles": [
            {"customer": customer_ref(r["pk"], r["name"], r["code"], r["tier"]),
             "missing": [role for role in ("AR", "SR", "FR") if not r[f"has_{role.lower()}"]]}
            for r in listed],
        "incomplete_count": incomplete.count() if len(listed) == limit else len(listed),
    }


# --- health --------------------------------------------------------------------------------

def _parts(scores):
    return {key: (None if score is None else round(score, 1))
            for key, score in zip(health.PART_KEYS, scores, strict=True)}


def health_rows(scope: Scope) -> list[dict]:
    """Every customer in scope with its health, lowest first (ties by name)."""
    rows = sorted(scope.health.values(), key=lambda h: (
        h.value is None, h.value or 0, h.customer["name"], h.customer_id))
    return [{"customer": h.customer, "health": h.value, "band": h.band,
             "parts": _parts(h.scores)} for h in rows]


def health_panel(scope: Scope, limit: int = LIST_LIMIT) -> dict:
    """Customers per health band and the lowest-health accounts: two queries on the
    stored health, whatever the number of customers."""
    stored = scope.stored_health.order_by()
    counts = stored.aggregate(**{key: Count("pk", filter=health.band_q(key))
                                 for key in health.ALL_BANDS})
    # The lowest of those that have a health: "no data" is not low.
    lowest = (stored.filter(value__isnull=False)
              .order_by("value", "customer__name", "customer_id").values_list(
                  "customer_id", "customer__code", "customer__name", "customer__tier",
                  "value", "scores")[:limit])
    return {"customers": sum(counts.values()),
            "bands": [{"band": key, "label": label, "customers": counts[key]}
                      for key, label in health.ALL_BANDS.items()],
            "lowest": [{"customer": customer_ref(pk, name, code, tier), "health": value,
                        "band": health.band(value),
                        "parts": _parts(orjson.loads(scores))}
                       for pk, code, name, tier, value, scores in lowest]}


PANELS = {
    "tiers": tiers,
    "concentration": concentration,
    "satisfaction": satisfaction,
    "opl": opl_panel,
    "programmes": programmes,
    "cadence": cadence,
    "health": health_panel,
}


def dashboard(scope: Scope) -> dict[str, dict]:
    """Every panel of the executive dashboard."""
    return {name: panel(scope) for name, panel in PANELS.items()}


# --- the account manager's home ------------------------------------------------------------

def my_customers(user: User, today: date) -> QuerySet[Customer]:
    """Active customers the user owns or is on the account team of (today)."""
    on_team = TeamMember.objects.filter(active_on(today), team__customer=OuterRef("pk"),
                                        user=user)
    return base_customers().filter(Q(owner=user) | Q(Exists(on_team)))


def my_accounts(user: User, tenant: Tenant, today: date | None = None,
                now: datetime | None = None) -> list[dict]:
    """The user's accounts with tier, health, worst programme RAG, latest satisfaction
    index and overdue counts (OPL items, service standards), lowest health first."""
    today = today or tenant.today()
    customers = my_customers(user, today)
    found = derived.current(customers, tenant=tenant, today=today, now=now)
    roles = dict(TeamMember.objects.filter(active_on(today), user=user,
                                           team__customer__in=customers.values("pk"))
                 .order_by("-role").values_list("team__customer_id", "role"))  # AR last: wins
    arrows = health_arrows(list(found))
    rows = []
    for h in sorted(found.values(), key=lambda h: (h.value is None, h.value or 0,
                                                   h.customer["name"])):
        opl_facts = h.inputs["opl"]
        rows.append({
            "customer": h.customer, "health": h.value, "band": h.band,
            "arrow": arrows.get(h.customer_id),
            "team_role": roles.get(h.customer_id, ""),
            "rag": h.inputs["programmes"]["worst_rag"],
            "satisfaction": h.inputs["satisfaction"]["index"],
            "opl_open": opl_facts["open"], "opl_overdue": opl_facts["overdue"],
            "opl_stale": opl_facts["stale"],
            "visits_overdue": len(h.inputs["cadence"]["overdue"]),
        })
    return rows


def my_milestones(user: User, tenant: Tenant, today: date | None = None,
                  horizon: int = HOME_HORIZON_DAYS) -> list[Milestone]:
    """Open milestones the user owns, of open programmes, due (customer date or
    forecast) within `horizon` days or already late, by date."""
    today = today or tenant.today()
    policy = rag.policy_for(tenant)
    until = today + timedelta(days=horizon)
    milestones = list(
        Milestone.objects.filter(owner=user, programme__stage__in=OPEN_STAGES)
        .exclude(status=MilestoneStatus.DONE)
        .filter(Q(planned_date__lte=until) | Q(forecast_date__lte=until))
        .select_related("programme", "programme__customer")
        .order_by("planned_date", "id"))
    programme_selectors.attach_milestone_rag(milestones, today, policy)
    for m in milestones:
        m.due = min(m.planned_date, m.forecast_date or m.planned_date)
        m.is_late = m.planned_date < today
    return milestones


def my_opl_items(user: User, tenant: Tenant, today: date | None = None,
                 now: datetime | None = None,
                 horizon: int = HOME_HORIZON_DAYS) -> list[OplItem]:
    """Open OPL items the user owns or is accountable for, due within `horizon` days or
    overdue, by due date."""
    today = today or tenant.today()
    until = today + timedelta(days=horizon)
    return list(satisfaction_selectors.opl_items(today=today, now=now)
                .filter(Q(owner=user) | Q(accountable=user), status__in=opl.ACTIVE,
                        due_date__lte=until)
                .order_by("due_date", "pk"))


def my_reminders(user: User, limit: int = 8) -> list[Notification]:
    """The user's notifications, unread first, newest first."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return list(inbox(user).order_by(unread_first, "-created_at", "-id")[:limit])


def home(user: User, tenant: Tenant, today: date | None = None) -> dict:
    today = today or tenant.today()
    return {
        "accounts": my_accounts(user, tenant, today),
        "milestones": my_milestones(user, tenant, today),
        "opl_items": my_opl_items(user, tenant, today),
        "reminders": my_reminders(user),
        "horizon_days": HOME_HORIZON_DAYS,
        "team_roles": dict(TeamRole.choices),
    }


# --- health history (the weekly snapshots) -------------------------------------------------

TREND_WEEKS = 26  # what the account page's trend shows


def health_trend(customer: Customer, *, weeks: int = 13,
                 until: date | None = None) -> list[HealthSnapshot]:
    """The customer's weekly health snapshots of the `weeks` weeks up to `until`'s week
    (default: this week of the tenant), oldest first; a week without a snapshot (before
    the first one, or a week the job did not run) is simply absent. One query. The QBR
    pack's scorecard trend and the account page read it."""
    until = until or require_tenant().today()
    last = kam_periods.period_start(kam_periods.WEEKLY, until)
    first = last - timedelta(weeks=weeks - 1)
    return list(HealthSnapshot.objects.filter(customer=customer, week__gte=first,
                                              week__lte=last).order_by("week"))


def trend_chart(snapshots: Sequence[HealthSnapshot]) -> list[dict]:
    """The trend chart's data (dashboard.js `health_trend`): week, value and band."""
    return [{"week": s.week.isoformat(), "value": s.value, "band": s.band}
            for s in snapshots]


@dataclass(frozen=True, slots=True)
class HealthArrow:
    """How the latest snapshot of a customer compares with the one before."""

    value: int | None
    previous: int | None
    previous_week: date

    @property
    def direction(self) -> str:
        """"up", "down", "same", or "" when either has no data."""
        if self.value is None or self.previous is None:
            return ""
        return ("up" if self.value > self.previous else "down" if self.value < self.previous
                else "same")


def health_arrows(customer_ids: Sequence[int]) -> dict[int, HealthArrow]:
    """{customer id: HealthArrow} of the customers with at least two snapshots: one query
    (the two newest rows of each customer's snapshots), whatever their number."""
    rows = (HealthSnapshot.objects.filter(customer__in=list(customer_ids))
            .annotate(newest=Window(RowNumber(), partition_by=[F("customer_id")],
                                    order_by=[F("week").desc()]))
            .filter(newest__lte=2).order_by().values_list("customer_id", "newest", "week",
                                                          "value"))
    latest, before = {}, {}
    for pk, newest, week, value in rows:
        (latest if newest == 1 else before)[pk] = (week, value)
    return {pk: HealthArrow(value=latest[pk][1], previous=value, previous_week=week)
            for pk, (week, value) in before.items()}
