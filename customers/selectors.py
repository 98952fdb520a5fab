"""Read use cases for the customer pages: lists, the account 360 page, scoring pages.

Every function runs a fixed number of queries whatever the number of rows it returns;
tenant scoping comes from the models' default managers.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from . import relationships, scoring
from .models import (
    AccountPlan,
    Contact,
    Customer,
    Initiative,
    Interaction,
    LifecycleStage,
    PeriodFigure,
    ScoringPolicy,
    ScoringRun,
    ServiceStandard,
    TierAssessment,
    TierOverride,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import date

    from django.db.models import Choices, QuerySet
    from django.utils.functional import Promise

    from accounts.models import Tenant

# Labels of the scoring criteria, in the order scoring.CRITERIA lists them.
CRITERION_LABELS = {
    "revenue": _("Revenue"),
    "supply_share": _("Supply share %"),
    "gross_margin": _("Gross margin %"),
    "payment_days": _("Payment terms (days)"),
    "cost_to_serve": _("Cost to serve (share of revenue, %)"),
    "on_time_delivery": _("On-time delivery %"),
    "quality_ppm": _("Quality PPM"),
    "market_influence": _("Market influence (1–5)"),
    "loyalty": _("Loyalty (1–5)"),
    "strategic_fit": _("Strategic region fit (1–5)"),
}


def criterion_label(name: str) -> str | Promise:
    return CRITERION_LABELS.get(name, name)


# --- customer list -------------------------------------------------------------------

def _stage_order():
    return Case(*(When(lifecycle_stage=value, then=Value(i))
                  for i, value in enumerate(LifecycleStage.values)),
                default=Value(len(LifecycleStage.values)), output_field=IntegerField())


# Sort keys the list accepts (anything else falls back to the name).
CUSTOMER_SORTS = {
    "name": lambda: [F("name")],
    "code": lambda: [F("code")],
    "tier": lambda: [NullIf("tier", Value(""))],
    "score": lambda: [F("score")],
    "stage": lambda: [_stage_order()],
    "region": lambda: [F("region__name")],
    "owner": lambda: [Coalesce(NullIf("owner__full_name", Value("")), "owner__email")],
}
DEFAULT_CUSTOMER_SORT = "name"


def parse_sort(value: str | None, allowed: Mapping[str, Callable] = CUSTOMER_SORTS,
               default: str = DEFAULT_CUSTOMER_SORT) -> tuple[str, bool]:
    """("name", False) for "name", ("score", True) for "-score"; unknown keys → default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in allowed:
        return default, False
    return key, descending


def customer_list(queryset: QuerySet[Customer], sort: str = DEFAULT_CUSTOMER_SORT,
                  descending: bool = False) -> QuerySet[Customer]:
    """The customers of `queryset` (already filtered) in the chosen order; empty values
    (no tier, no score, no region) come last in both directions."""
    expressions = CUSTOMER_SORTS[sort]()
    ordering = [e.desc(nulls_last=True) if descending else e.asc(nulls_last=True)
                for e in expressions]
    return (queryset.select_related("region", "owner")
            .order_by(*ordering, "name", "pk"))


# --- the account 360 page ------------------------------------------------------------

def customers_for_detail() -> QuerySet[Customer]:
    """The queryset the account page looks its customer up in."""
    return Customer.objects.select_related("region", "owner", "parent")


def choice_labels(values: Iterable[str] | None,
                  choices: type[Choices]) -> list[str | Promise]:
    """Labels of the stored choice values (a customer's technology roadmap, pain points)."""
    labels = dict(choices.choices)
    return [labels[value] for value in values or [] if value in labels]


def customer_children(customer: Customer) -> QuerySet[Customer]:
    return Customer.objects.filter(parent=customer).order_by("name").only("pk", "name", "code")


def latest_figures(customer: Customer, limit: int = 8) -> list[PeriodFigure]:
    return list(PeriodFigure.objects.filter(customer=customer).order_by("-period")[:limit])


def figures_chart(figures: Sequence[PeriodFigure]) -> list[dict]:
    """The account page's figures chart data, oldest quarter first (plain numbers)."""
    def number(value):
        return None if value is None else float(value)

    return [{"period": f.period, "revenue": number(f.revenue),
             "gross_margin": number(f.gross_margin),
             "on_time_delivery": number(f.on_time_delivery)} for f in reversed(figures)]


def latest_assessment(customer: Customer) -> TierAssessment | None:
    return (TierAssessment.objects.filter(customer=customer).select_related("run")
            .order_by("-run__started_at", "-run_id").first())


def tier_explanation(assessment: TierAssessment | None) -> dict | None:
    """What the account page says about "why this tier", from an assessment's breakdown."""
    if assessment is None:
        return None
    breakdown = scoring.breakdown_of(assessment)
    criteria = [
        {"name": name, "label": criterion_label(name), **values}
        for name, values in (breakdown.get("criteria") or {}).items()
    ]
    criteria.sort(key=lambda row: -(row.get("contribution") or 0))
    total_weight = sum(row.get("weight") or 0 for row in criteria)
    for row in criteria:
        row["weight_share"] = (row["weight"] / total_weight * 100) if total_weight else 0
    return {
        "assessment": assessment,
        "run": assessment.run,
        "scored": assessment.score is not None,
        "criteria": criteria,
        "method": breakdown.get("method"),
        "rank": breakdown.get("rank"),
        "n": breakdown.get("n"),
        "n_a": breakdown.get("n_a"),
        "n_b": breakdown.get("n_b"),
        "a_cutoff": _percent(breakdown.get("a_cutoff")),
        "b_cutoff": _percent(breakdown.get("b_cutoff")),
        "cumulative_share_before": _percent(breakdown.get("cumulative_share_before")),
    }


def _percent(fraction):
    return None if fraction is None else float(fraction) * 100


def override_in_force(customer: Customer, today: date) -> TierOverride | None:
    return (TierOverride.objects.filter(customer=customer, ended_at__isnull=True,
                                        expires_on__gte=today)
            .select_related("created_by").order_by("-created_at", "-id").first())


def tier_history(customer: Customer, tenant: Tenant, limit: int = 20) -> list[dict]:
    """Tier changes across scoring runs plus overrides set, ended and expired, newest first.

    Each entry: {"at": datetime, "kind": "run"|"override_set"|"override_ended"|
    "override_expired", "object": …}.
    """
    today = tenant.today()
    changes = (TierAssessment.objects.filter(customer=customer)
               .exclude(tier=F("previous_tier")).select_related("run")
               .order_by("-run__started_at", "-run_id")[:limit])
    overrides = (TierOverride.objects.filter(customer=customer)
                 .select_related("created_by", "ended_by").order_by("-created_at")[:limit])
    entries = [{"at": a.run.started_at, "kind": "run", "object": a} for a in changes]
    for override in overrides:
        entries.append({"at": override.created_at, "kind": "override_set", "object": override})
        if override.ended_at:
            entries.append({"at": override.ended_at, "kind": "override_ended",
                            "object": override})
        elif override.expires_on < today:
            lapsed = datetime.combine(override.expires_on + timedelta(days=1), time.min,
                                      tzinfo=tenant.tzinfo)
            entries.append({"at": lapsed, "kind": "override_expired", "object": override})
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries[:limit]


def relationship_grid(customer: Customer) -> dict:
    """relationships.relationship_map reshaped for a table: one row per department with a
    cell (list of contacts) per level, in the order of the level columns."""
    result = relationships.relationship_map(customer)
    levels = result["levels"]
    rows = [{"label": row["label"], "cells": [row["levels"][value] for value, _l in levels]}
            for row in result["rows"]]
    return {"levels": levels, "rows": rows, "gaps": result["gaps"],
            "count": sum(len(cell) for row in rows for cell in row["cells"])}


def recent_interactions(customer: Customer, limit: int = 10) -> list[Interaction]:
    return list(Interaction.objects.filter(customer=customer)
                .select_related("created_by")
                .prefetch_related("our_people", "contacts")
                .order_by("-occurred_on", "-id")[:limit])


def account_plans(customer: Customer) -> list[AccountPlan]:
    initiatives = Initiative.objects.select_related("owner").order_by(
        F("due_on").asc(nulls_last=True), "id")
    return list(AccountPlan.objects.filter(customer=customer).order_by("-year")
                .prefetch_related(Prefetch("initiatives", queryset=initiatives)))


def customer_contacts(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("-is_active", "name")


# --- scoring pages -------------------------------------------------------------------

def current_policy_or_default() -> tuple[ScoringPolicy, bool]:
    """(policy, saved): the newest policy version, or an unsaved one with the defaults."""
    policy = ScoringPolicy.objects.select_related("created_by").order_by("-version").first()
    if policy is None:
        return ScoringPolicy(version=1), False
    return policy, True


def policy_versions(limit: int = 10) -> list[ScoringPolicy]:
    return list(ScoringPolicy.objects.select_related("created_by")
                .order_by("-version")[:limit])


def weight_rows(weights: Mapping[str, float]) -> list[dict]:
    """One row per criterion: label, weight, share of the total weight, direction."""
    total = sum(w for w in weights.values() if isinstance(w, (int, float)) and w > 0)
    rows = []
    for name, (_how, higher) in scoring.CRITERIA.items():
        weight = weights.get(name, 0) or 0
        rows.append({"name": name, "label": criterion_label(name), "weight": weight,
                     "share": weight / total * 100 if total else 0,
                     "higher_is_better": higher})
    return rows


def scoring_runs() -> QuerySet[ScoringRun]:
    return ScoringRun.objects.select_related("triggered_by", "policy").order_by(
        "-started_at", "-id")


def latest_run() -> ScoringRun | None:
    return ScoringRun.objects.order_by("-started_at", "-id").first()


def run_assessments(run: ScoringRun) -> QuerySet[TierAssessment]:
    share_pct = ExpressionWrapper(F("revenue_share") * 100,
                                  output_field=DecimalField(max_digits=9, decimal_places=4))
    return (TierAssessment.objects.filter(run=run).select_related("customer")
            .annotate(share_pct=share_pct)
            .order_by(F("rank").asc(nulls_last=True), "customer__name", "pk"))


def unscored_assessments(run: ScoringRun) -> QuerySet[TierAssessment]:
    """The run's customers that had no figures in its window, so no computed tier."""
    return (TierAssessment.objects.filter(run=run, score__isnull=True)
            .select_related("customer", "customer__owner", "customer__region")
            .order_by("customer__name", "pk"))


def customers_by_id(ids: Iterable[int]) -> dict[int, Customer]:
    return Customer.objects.select_related("owner").in_bulk(ids)


# --- service standards ---------------------------------------------------------------

def service_standards() -> dict[tuple[str, str], int]:
    """{(tier, kind): max_days} of the saved standards."""
    return {(s.tier, s.kind): s.max_days for s in ServiceStandard.objects.all()}
