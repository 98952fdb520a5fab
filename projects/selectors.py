"""Read use cases for programmes: lists with their RAG, the programme page, the portfolio
timeline, histories, the risk matrix and the PPAP package.

RAG is computed by `projects.rag` in Python over milestones fetched in one query per list
(never one per row), so every function runs a fixed number of queries whatever the data.
The worst colour per programme and per customer, and the counts by colour, are here for
every other app (health, the dashboard, the monthly report): they call these rather than
fold milestone colours themselves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Prefetch

from . import rag
from .models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    PpapElement,
    PpapElementStatus,
    PpapRequirement,
    Programme,
    Risk,
    RiskStatus,
    Stage,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import Tenant
    from customers.models import Customer

OPEN_MILESTONE_FIELDS = ("id", "programme_id", "kind", "name", "planned_date",
                         "forecast_date", "actual_date", "status")


def context_for(tenant: Tenant, on: date | None = None) -> tuple[date, rag.RagPolicy]:
    """(date to judge on, RAG policy) for `tenant`: today in its time zone by default."""
    return (on or tenant.today()), rag.policy_for(tenant)


def programmes() -> QuerySet[Programme]:
    return Programme.objects.select_related("customer", "project_manager")


def open_milestones(programme_ids: Iterable[int]) -> QuerySet[Milestone]:
    """Open (not done) milestones of the given programmes, by planned date: one query."""
    return (Milestone.objects.filter(programme_id__in=programme_ids)
            .exclude(status=MilestoneStatus.DONE)
            .only(*OPEN_MILESTONE_FIELDS).order_by("planned_date", "id"))


def attach_programme_rag(programme_list: Iterable[Programme], on: date,
                         policy: rag.RagPolicy) -> list[Programme]:
    """Set `rag`, `rag_reason` (of the worst open milestone), `next_milestone` and
    `open_milestones` on each programme of `programme_list`; one query in all."""
    programme_list = list(programme_list)
    by_programme = defaultdict(list)
    for milestone in open_milestones([p.pk for p in programme_list]):
        by_programme[milestone.programme_id].append(milestone)
    for programme in programme_list:
        milestones = by_programme.get(programme.pk, [])
        attach_milestone_rag(milestones, on, policy)
        programme.open_milestones = milestones
        programme.next_milestone = milestones[0] if milestones else None
        worst = rag.worst_of(milestones, _rag_of) if programme.is_open else None
        programme.rag = worst.rag if worst else None
        programme.rag_reason = worst.rag_reason if worst else ""
        programme.rag_milestone = worst
    return programme_list


def _rag_of(milestone):
    return milestone.rag


def attach_milestone_rag(milestones: list[Milestone], on: date,
                         policy: rag.RagPolicy) -> list[Milestone]:
    """Set `rag` and `rag_reason` on each milestone (no queries)."""
    for milestone in milestones:
        verdict = rag.milestone_rag(milestone, on, policy)
        milestone.rag, milestone.rag_reason = verdict.rag, verdict.reason
    return milestones


def filter_programmes_by_rag(queryset: QuerySet[Programme], colour: str, on: date,
                             policy: rag.RagPolicy) -> QuerySet[Programme]:
    """Programmes of `queryset` whose RAG is `colour` ("none": no colour): one query for
    the milestones, the result stays a queryset."""
    colours = worst_rag_by_programme(programmes=queryset, on=on, policy=policy)
    if colour == "none":
        return queryset.exclude(pk__in=list(colours))
    return queryset.filter(pk__in=[pk for pk, found in colours.items() if found == colour])


def filter_milestones_by_rag(queryset: QuerySet[Milestone], colour: str, on: date,
                             policy: rag.RagPolicy) -> QuerySet[Milestone]:
    """Milestones of `queryset` whose RAG on `on` is `colour`: one query, still a queryset."""
    rows = queryset.order_by().values_list("pk", "planned_date", "forecast_date",
                                           "actual_date", "status")
    wanted = [
        pk for pk, planned, forecast, actual, status in rows
        if rag.colour(planned=planned, forecast=forecast, actual=actual, status=status, on=on,
                      policy=policy) == colour
    ]
    return queryset.filter(pk__in=wanted)


def programme_for_page(pk: int) -> Programme:
    return programmes().get(pk=pk)


def programme_milestones(programme: Programme, on: date,
                         policy: rag.RagPolicy) -> list[Milestone]:
    milestones = list(programme.milestones.select_related("owner").order_by("planned_date",
                                                                             "id"))
    attach_milestone_rag(milestones, on, policy)
    return milestones


def programme_rag_of(milestones: Iterable[Milestone],
                     programme: Programme) -> tuple[rag.Rag | None, Milestone | None]:
    """The programme's colour and the worst open milestone, from milestones with `rag`."""
    worst_milestone = (rag.worst_of((m for m in milestones if not m.is_done), _rag_of)
                       if programme.is_open else None)
    return (worst_milestone.rag if worst_milestone else None), worst_milestone


def milestone_history(milestone: Milestone) -> QuerySet[MilestoneChange]:
    return milestone.changes.select_related("changed_by").order_by("-changed_at", "-id")


def programme_history(programme: Programme, limit: int = 30) -> list[MilestoneChange]:
    return list(MilestoneChange.objects.filter(milestone__programme=programme)
                .select_related("changed_by", "milestone").order_by("-changed_at", "-id")
                [:limit])


def programme_risks(programme: Programme) -> list[Risk]:
    return list(programme.risks.select_related("owner"))


def risk_matrix(risks: Iterable[Risk]) -> list[dict]:
    """A 5 × 5 grid, impact down the rows (5 at the top), probability across; each cell
    holds its open risks (closed ones are left out) and its score."""
    cells = defaultdict(list)
    for risk in risks:
        if risk.status != RiskStatus.CLOSED:
            cells[(risk.impact, risk.probability)].append(risk)
    return [
        {"impact": impact,
         "cells": [{"probability": p, "score": impact * p, "risks": cells[(impact, p)],
                    "level": _level(impact * p)} for p in range(1, 6)]}
        for impact in range(5, 0, -1)
    ]


def _level(score):
    from .models import risk_level

    return risk_level(score)


def ppap_elements(programme: Programme) -> list[PpapElement]:
    """The programme's PPAP elements with `requirement`; counts of what is submitted."""
    elements = list(programme.ppap_elements.select_related("owner").order_by("element"))
    for element in elements:
        element.programme = programme  # `requirement` reads the level without a query
    return elements


def ppap_summary(elements: Iterable[PpapElement]) -> dict[str, int]:
    to_submit = [e for e in elements if e.requirement == PpapRequirement.SUBMIT
                 and e.status != PpapElementStatus.NOT_APPLICABLE]
    done = [e for e in to_submit
            if e.status in (PpapElementStatus.SUBMITTED, PpapElementStatus.APPROVED)]
    return {"to_submit": len(to_submit), "submitted": len(done)}


def portfolio(queryset: QuerySet[Programme], on: date,
              policy: rag.RagPolicy) -> list[Programme]:
    """Open programmes with their open milestones and RAG, by their next milestone's date
    (those with none last): the portfolio timeline."""
    rows = attach_programme_rag(queryset.exclude(stage__in=[Stage.LOST, Stage.CLOSED]), on,
                                policy)
    return sorted(rows, key=lambda p: (p.next_milestone is None,
                                       p.next_milestone.planned_date if p.next_milestone
                                       else p.sop_date, p.code))


def customer_programmes(customer: Customer, on: date,
                        policy: rag.RagPolicy) -> list[Programme]:
    """A customer's programmes (open first, by SOP) with their RAG: the 360 panel."""
    rows = attach_programme_rag(programmes().filter(customer=customer), on, policy)
    return sorted(rows, key=lambda p: (not p.is_open, p.sop_date, p.code))


# --- worst RAG, set-based: for health, the dashboard and the monthly report ----------------

RAG_KEYS = ("red", "amber", "green", "none")


def _worst_by(milestones, group, on, policy):
    """{`group` value: the worst colour} of the open milestones of open programmes among
    `milestones`: one query; the colours by projects.rag."""
    rows = (milestones.filter(programme__stage__in=OPEN_STAGES)
            .exclude(status=MilestoneStatus.DONE).order_by()
            .values_list(group, "planned_date", "forecast_date", "actual_date", "status"))
    colours = defaultdict(list)
    for key, planned, forecast, actual, status in rows:
        colours[key].append(rag.colour(planned=planned, forecast=forecast, actual=actual,
                                       status=status, on=on, policy=policy))
    return {key: rag.worst(found) for key, found in colours.items()}


def worst_rag_by_programme(*, programmes: QuerySet[Programme], on: date,
                           policy: rag.RagPolicy) -> dict[int, rag.Rag]:
    """{programme id: its RAG on `on`} of the open programmes of `programmes` that have an
    open milestone (the others have no colour): one query."""
    return _worst_by(Milestone.objects.filter(programme__in=programmes.order_by().values("pk")),
                     "programme_id", on, policy)


def worst_rag_by_customer(*, customers: QuerySet[Customer], on: date,
                          policy: rag.RagPolicy) -> dict[int, rag.Rag]:
    """{customer id: the worst RAG of its open programmes on `on`} of the customers of
    `customers` that have one (the worst colour of their open milestones): one query."""
    return _worst_by(Milestone.objects.filter(
        programme__customer__in=customers.order_by().values("pk")),
        "programme__customer_id", on, policy)


def count_by_rag(colours: Iterable[str | None]) -> dict[str, int]:
    """{"red", "amber", "green", "none"}: how many of `colours` are each (None: "none")."""
    counts = dict.fromkeys(RAG_KEYS, 0)
    for colour in colours:
        counts[colour or "none"] += 1
    return counts


def rag_counts(programme_list: Iterable[Programme]) -> dict[str, int]:
    """The programmes of a list with `rag` attached (`attach_programme_rag`) by colour."""
    return count_by_rag(programme.rag for programme in programme_list)


def programme_rag_counts(*, programmes: QuerySet[Programme], on: date,
                         policy: rag.RagPolicy) -> dict[str, int]:
    """The open programmes of `programmes` by RAG on `on` ("none": no open milestone):
    two queries."""
    open_ids = list(programmes.exclude(stage__in=CLOSED_STAGES).order_by()
                    .values_list("pk", flat=True))
    colours = worst_rag_by_programme(programmes=programmes, on=on, policy=policy)
    return count_by_rag(colours.get(pk) for pk in open_ids)


def risks_for_list() -> QuerySet[Risk]:
    return Risk.objects.select_related("programme", "owner")


def milestones_for_list() -> QuerySet[Milestone]:
    return Milestone.objects.select_related("programme", "owner")


def ppap_elements_for_list() -> QuerySet[PpapElement]:
    return PpapElement.objects.select_related("programme", "owner")


def prefetch_open_milestones() -> Prefetch:
    return Prefetch("milestones", queryset=Milestone.objects.exclude(
        status=MilestoneStatus.DONE).order_by("planned_date", "id"), to_attr="open_list")
