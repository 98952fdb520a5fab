"""Read use cases for satisfaction pages, reports, exports and the API.

Each function runs a fixed number of queries however many rows it returns; the index
and NPS come from `satisfaction.index`, the OPL flags from `satisfaction.opl`. A
campaign's figures per customer (index, the quarter before's, trend), its heatmap cells
and its movers are computed here once, for the report pages, the monthly report and the
dashboard alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q

from customers.models import Customer, Department
from kam.periods import Quarter

from . import index, opl
from .models import (
    Answer,
    Campaign,
    Dimension,
    Invitation,
    OplItem,
    OplProposal,
    OplUpdate,
    Response,
    SatisfactionSettings,
    Survey,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime, tzinfo

    from django.db.models import QuerySet

    from accounts.models import User

TREND_QUARTERS = 8
MOVERS = 5  # customers listed as rising and as falling most


# --- campaigns and surveys -------------------------------------------------------------

def first_free_quarter(*, today: date) -> tuple[int, int]:
    """(year, quarter) of the first quarter from `today`'s on that has no campaign yet:
    what a new campaign is for, unless said otherwise."""
    quarter = Quarter.of(today)
    taken = set(Campaign.objects.filter(year__gte=quarter.year).values_list("year", "quarter"))
    while (quarter.year, quarter.number) in taken:
        quarter += 1
    return quarter.year, quarter.number


def campaigns_with_counts(queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    queryset = Campaign.objects.all() if queryset is None else queryset
    return queryset.select_related("template").annotate(
        n_customers=Count("inclusions", distinct=True),
        n_surveys=Count("surveys", distinct=True),
        n_invitations=Count("surveys__invitations", distinct=True),
        n_answered=Count("surveys__invitations", distinct=True,
                         filter=Q(surveys__invitations__responded_at__isnull=False)),
    )


def campaign_index(campaign: Campaign) -> Decimal | None:
    return index.total(Answer.objects.filter(response__survey__campaign=campaign))


def survey_figures(survey_ids: Iterable[int]) -> dict[int, dict]:
    """{survey id: {"index", "nps", "responses"}} for the given surveys, in two queries."""
    survey_ids = list(survey_ids)
    indices = index.grouped(Answer.objects.filter(response__survey_id__in=survey_ids),
                            "response__survey_id")
    rows = (Response.objects.filter(survey_id__in=survey_ids).order_by()
            .values("survey_id").annotate(n=Count("pk"), **index.nps_annotations()))
    counts = {row["survey_id"]: row for row in rows}
    return {pk: {"index": indices.get(pk), "nps": index.nps_from_counts(counts.get(pk, {})),
                 "responses": counts.get(pk, {}).get("n", 0)} for pk in survey_ids}


def attach_survey_figures(surveys: Iterable[Survey]) -> list[Survey]:
    """Set `.index`, `.nps` and `.n_responses` on each survey of a list; returns it."""
    surveys = list(surveys)
    figures = survey_figures(s.pk for s in surveys)
    for survey in surveys:
        row = figures[survey.pk]
        survey.index, survey.nps, survey.n_responses = row["index"], row["nps"], row["responses"]
    return surveys


def campaign_surveys(campaign: Campaign) -> list[Survey]:
    surveys = (Survey.objects.filter(campaign=campaign).select_related("customer")
               .annotate(n_invitations=Count("invitations", distinct=True),
                         n_answered=Count("invitations", distinct=True,
                                          filter=Q(invitations__responded_at__isnull=False)))
               .order_by("customer__name", "pk"))
    return attach_survey_figures(surveys)


def survey_detail(survey: Survey) -> dict:
    """Invitations, responses with answers, index by department and dimension, NPS."""
    answers = Answer.objects.filter(response__survey=survey)
    responses = list(Response.objects.filter(survey=survey).select_related("entered_by")
                     .prefetch_related(Prefetch("answers", queryset=Answer.objects
                                                .select_related("question")))
                     .order_by("department"))
    return {
        "invitations": list(Invitation.objects.filter(survey=survey)
                            .select_related("contact").order_by("department")),
        "responses": responses,
        "index": index.total(answers),
        "by_department": index.grouped(answers, "response__department"),
        "by_dimension": index.grouped(answers, "dimension"),
        "nps": index.nps([r.recommend for r in responses]),
    }


# --- reports ---------------------------------------------------------------------------

def previous_campaign(campaign: Campaign) -> Campaign | None:
    before = Quarter(campaign.year, campaign.quarter) - 1
    return Campaign.objects.filter(year=before.year, quarter=before.number).first()


def reportable_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("-year", "-quarter")


@dataclass(frozen=True)
class Coverage:
    """How far a survey round is answered: departments answered of those invited."""

    answered: int
    invited: int

    @property
    def share(self):
        return Decimal(self.answered) / self.invited if self.invited else Decimal(0)

    def as_dict(self):
        return {"answered": self.answered, "invited": self.invited}


def interim_share() -> Decimal:
    """The tenant's share of answered invitations from which an open campaign counts."""
    row = SatisfactionSettings.objects.first()
    return row.interim_share if row else SatisfactionSettings.DEFAULT_INTERIM_SHARE


def counted_campaigns() -> tuple[list[Campaign], list[Campaign]]:
    """The campaigns whose answers count (on the dashboard, in health, for movers), newest
    first: every closed one, and an open one once its share of answered invitations has
    reached the tenant's interim share. Each carries `coverage` and `interim` (open).
    Also the newer open campaigns left out, with their coverage: [(campaign, …)], newest
    first. One query, two with an open campaign."""
    rows = list(reportable_campaigns().annotate(
        n_invited=Count("surveys__invitations", distinct=True),
        n_answered=Count("surveys__invitations", distinct=True,
                         filter=Q(surveys__invitations__responded_at__isnull=False))))
    share = interim_share() if any(c.status == Campaign.Status.OPEN for c in rows) else None
    counted, waiting = [], []
    for campaign in rows:
        campaign.coverage = Coverage(answered=campaign.n_answered, invited=campaign.n_invited)
        campaign.interim = campaign.status == Campaign.Status.OPEN
        if not campaign.interim or (campaign.coverage.invited
                                    and campaign.coverage.share >= share):
            counted.append(campaign)
        elif not counted:  # newer than every counted one
            waiting.append(campaign)
    return counted, waiting


def reported_campaign() -> tuple[Campaign | None, list[Campaign]]:
    """(campaign, waiting): the campaign that stands for the portfolio's satisfaction now
    (the newest counted one, or None) and the newer open ones not counted yet."""
    counted, waiting = counted_campaigns()
    return (counted[0] if counted else None), waiting


def survey_coverage(campaign_ids: Iterable[int], customer_ids: Iterable[int] | None = None,
                    ) -> dict[tuple[int, int], Coverage]:
    """{(campaign id, customer id): Coverage} of the surveys of those campaigns (and
    customers): one grouped query."""
    campaign_ids = list(campaign_ids)
    if not campaign_ids:
        return {}
    surveys = Survey.objects.filter(campaign_id__in=campaign_ids)
    if customer_ids is not None:
        surveys = surveys.filter(customer_id__in=customer_ids)
    rows = (surveys.order_by().values_list("campaign_id", "customer_id")
            .annotate(invited=Count("invitations"),
                      answered=Count("invitations", filter=Q(
                          invitations__responded_at__isnull=False))))
    return {(campaign, customer): Coverage(answered=answered, invited=invited)
            for campaign, customer, invited, answered in rows}


@dataclass(frozen=True)
class CustomerIndex:
    """A customer's index in a campaign and in the quarter before, and the change."""

    customer_id: int
    name: str
    code: str
    tier: str
    answered: bool  # has answers in the campaign (not only in the quarter before)
    index: Decimal | None
    previous: Decimal | None
    trend: Decimal | None


@dataclass(frozen=True)
class CampaignIndices:
    """A campaign's index per customer and for all of them together, against the
    quarter before."""

    customers: list[CustomerIndex]  # whoever answered either campaign, by name
    index: Decimal | None
    previous_index: Decimal | None
    trend: Decimal | None


def campaign_indices(*, campaign: Campaign, previous: Campaign | None = None,
                     customers: QuerySet[Customer] | None = None) -> CampaignIndices:
    """Each customer's index in `campaign` and in `previous` (the quarter before), its
    trend, and the index of all of them together, over the customers of `customers`
    (every customer when None): one grouped query. The portfolio's index is the ratio of
    the summed sums (satisfaction.index), never a mean of the customers' indices."""
    campaigns = [campaign] if previous is None else [campaign, previous]
    answers = Answer.objects.filter(response__survey__campaign__in=campaigns)
    if customers is not None:
        answers = answers.filter(
            response__survey__customer__in=customers.order_by().values("pk"))
    sums = index.index_annotations(filter=Q(response__survey__campaign=campaign))
    if previous is not None:
        sums.update(index.index_annotations(filter=Q(response__survey__campaign=previous),
                                            suffix="_before"))
    rows = (answers.order_by()
            .values("response__survey__customer_id", "response__survey__customer__name",
                    "response__survey__customer__code", "response__survey__customer__tier")
            .annotate(**sums))
    found, totals = [], [0.0, 0.0, 0.0, 0.0]
    for row in rows:
        figures = (row["_iw"], row["_w"], row.get("_iw_before"), row.get("_w_before"))
        totals = [total + (figure or 0) for total, figure in zip(totals, figures, strict=True)]
        value, before = index.from_totals(*figures[:2]), index.from_totals(*figures[2:])
        found.append(CustomerIndex(
            customer_id=row["response__survey__customer_id"],
            name=row["response__survey__customer__name"],
            code=row["response__survey__customer__code"],
            tier=row["response__survey__customer__tier"],
            answered=row["_w"] is not None, index=value, previous=before,
            trend=index.trend(value, before)))
    found.sort(key=lambda c: (c.name, c.customer_id))
    total = index.from_totals(*totals[:2])
    total_before = index.from_totals(*totals[2:]) if previous is not None else None
    return CampaignIndices(customers=found, index=total, previous_index=total_before,
                           trend=index.trend(total, total_before))


def movers(customers: Iterable[CustomerIndex], *,
           limit: int = MOVERS) -> tuple[list[CustomerIndex], list[CustomerIndex]]:
    """(up, down): the `limit` customers whose index rose most since the quarter before,
    and the `limit` whose index fell most; the largest change first, ties by name."""
    moved = sorted((c for c in customers if c.trend is not None),
                   key=lambda c: (c.name, c.customer_id))
    up = sorted((c for c in moved if c.trend > 0), key=lambda c: -c.trend)[:limit]
    down = sorted((c for c in moved if c.trend < 0), key=lambda c: c.trend)[:limit]
    return up, down


def department_indices(
        *, campaign: Campaign,
        customer_ids: Iterable[int] | None = None) -> dict[tuple[int, str], Decimal | None]:
    """{(customer id, department): index} of `campaign`'s answers, of the given
    customers (every customer when None): the heatmap's cells, one grouped query."""
    answers = Answer.objects.filter(response__survey__campaign=campaign)
    if customer_ids is not None:
        answers = answers.filter(response__survey__customer_id__in=list(customer_ids))
    return index.grouped(answers, "response__survey__customer_id", "response__department")


def portfolio_report(campaign: Campaign | None) -> dict | None:
    """The heatmap (customer × department), each customer's index and trend, movers up
    and down, dimension and portfolio figures, for `campaign` against the quarter before:
    every customer surveyed in it."""
    previous = previous_campaign(campaign) if campaign else None
    if campaign is None:
        return None
    answers = Answer.objects.filter(response__survey__campaign=campaign)
    figures = campaign_indices(campaign=campaign, previous=previous)
    by_customer = {c.customer_id: c for c in figures.customers}
    cells = department_indices(campaign=campaign)
    before_dimensions = {}
    if previous is not None:
        before_dimensions = index.grouped(
            Answer.objects.filter(response__survey__campaign=previous), "dimension")
    customers = list(Customer.objects.filter(surveys__campaign=campaign)
                     .order_by("name", "pk").only("pk", "name", "code", "tier", "owner_id"))
    coverage = survey_coverage([campaign.pk])
    no_coverage = Coverage(answered=0, invited=0)
    departments = [d for d in Department.values
                   if any(key[1] == d for key in cells)] or list(Department.values[:4])
    rows = {}
    for customer in customers:
        found = by_customer.get(customer.pk)
        value = found.index if found else None
        rows[customer.pk] = {
            "customer": customer,
            "cells": [{"department": d, "index": cells.get((customer.pk, d)),
                       "colour": index.colour(cells.get((customer.pk, d)))}
                      for d in departments],
            "index": value, "colour": index.colour(value),
            "coverage": coverage.get((campaign.pk, customer.pk), no_coverage),
            "previous": found.previous if found else None,
            "trend": found.trend if found else None,
        }
    up, down = movers(figures.customers)
    dimensions = index.grouped(answers, "dimension")
    department_totals = index.grouped(answers, "response__department")
    nps = index.grouped_nps(Response.objects.filter(survey__campaign=campaign),
                            "survey__campaign_id").get(campaign.pk)
    campaign_coverage = Coverage(answered=sum(c.answered for c in coverage.values()),
                                 invited=sum(c.invited for c in coverage.values()))
    return {
        "campaign": campaign, "previous": previous, "departments": departments,
        "coverage": campaign_coverage, "interim": campaign.status == Campaign.Status.OPEN,
        "colour": index.colour(figures.index),
        "department_labels": [Department(d).label for d in departments],
        "department_totals": [{"index": department_totals.get(d),
                               "colour": index.colour(department_totals.get(d))}
                              for d in departments],
        "rows": list(rows.values()), "index": figures.index,
        "previous_index": figures.previous_index, "trend": figures.trend, "nps": nps,
        "dimensions": [{"dimension": key, "label": label, "index": dimensions.get(key),
                        "trend": index.trend(dimensions.get(key), before_dimensions.get(key)),
                        "colour": index.colour(dimensions.get(key))}
                       for key, label in Dimension.choices],
        "movers_up": [rows[c.customer_id] for c in up if c.customer_id in rows],
        "movers_down": [rows[c.customer_id] for c in down if c.customer_id in rows],
    }


def customer_report(customer: Customer, quarters: int = TREND_QUARTERS) -> dict:
    """One customer over its last `quarters` surveyed quarters: index, NPS, department and
    dimension scores per quarter (latest first in `quarters`), trend, comments."""
    campaigns = list(Campaign.objects.filter(surveys__customer=customer)
                     .exclude(status=Campaign.Status.DRAFT)
                     .order_by("-year", "-quarter")[:quarters])
    ids = [c.pk for c in campaigns]
    answers = Answer.objects.filter(response__survey__customer=customer,
                                    response__survey__campaign_id__in=ids)
    totals = index.grouped(answers, "response__survey__campaign_id")
    by_department = index.grouped(answers, "response__survey__campaign_id",
                                  "response__department")
    by_dimension = index.grouped(answers, "response__survey__campaign_id", "dimension")
    nps = index.grouped_nps(Response.objects.filter(survey__customer=customer,
                                                    survey__campaign_id__in=ids),
                            "survey__campaign_id")
    departments = [d for d in Department.values if any(k[1] == d for k in by_department)]
    coverage = survey_coverage(ids, [customer.pk])

    history = []
    for position, campaign in enumerate(campaigns):
        prior = campaigns[position + 1] if position + 1 < len(campaigns) else None
        consecutive = prior is not None and (
            prior.period_index + 1 == campaign.period_index)
        value = totals.get(campaign.pk)
        history.append({
            "campaign": campaign, "index": value, "colour": index.colour(value),
            "coverage": coverage.get((campaign.pk, customer.pk)),
            "interim": campaign.status == Campaign.Status.OPEN,
            "nps": nps.get(campaign.pk),
            "trend": index.trend(value, totals.get(prior.pk)) if consecutive else None,
            "departments": [{"department": d, "index": by_department.get((campaign.pk, d)),
                             "colour": index.colour(by_department.get((campaign.pk, d)))}
                            for d in departments],
            "dimensions": [{"dimension": key,
                            "index": by_dimension.get((campaign.pk, key)),
                            "colour": index.colour(by_dimension.get((campaign.pk, key)))}
                           for key, _label in Dimension.choices],
        })
    comments = list(Response.objects.filter(survey__customer=customer,
                                            survey__campaign_id__in=ids[:2])
                    .exclude(comment="").select_related("survey__campaign")
                    .order_by("-survey__campaign__year", "-survey__campaign__quarter",
                              "department"))
    answer_comments = list(answers.filter(response__survey__campaign_id__in=ids[:2])
                           .exclude(comment="")
                           .select_related("question", "response__survey__campaign")
                           .order_by("-response__survey__campaign__year",
                                     "-response__survey__campaign__quarter", "score"))
    return {
        "customer": customer, "history": history,
        "latest": history[0] if history else None,
        "departments": departments,
        "department_labels": [Department(d).label for d in departments],
        "dimension_labels": [label for _key, label in Dimension.choices],
        "comments": comments, "answer_comments": answer_comments,
    }


def customer_panel(customer: Customer, *, today: date, limit: int = 5) -> dict:
    """The latest index and trend and the open OPL items of a customer (for its 360 page)."""
    report = customer_report(customer, quarters=2)
    items = open_items_of_customer(customer, today=today)
    return {"latest": report["latest"], "opl_items": items[:limit],
            "opl_open_count": len(items),
            "opl_overdue_count": sum(1 for i in items if i.is_overdue),
            "opl_stale_count": sum(1 for i in items if i.is_stale)}


# --- the OPL ---------------------------------------------------------------------------

def opl_items(*, today: date, now: datetime | None = None) -> QuerySet[OplItem]:
    """OPL items with `is_overdue` and `is_stale` and what a list row shows."""
    return opl.annotate_flags(
        OplItem.objects.select_related("customer", "owner", "accountable"),
        today=today, now=now)


def filter_items(queryset: QuerySet[OplItem], *, today: date, customer: Customer | None = None,
                 owner: User | None = None, status: str | None = None,
                 source: str | None = None, priority: str | None = None,
                 overdue: bool | None = None, stale: bool | None = None,
                 mine_for: User | None = None, q: str | None = None,
                 now: datetime | None = None) -> QuerySet[OplItem]:
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if status:
        if status == "active":
            queryset = queryset.filter(status__in=opl.ACTIVE)
        else:
            queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if priority:
        queryset = queryset.filter(priority=priority)
    if overdue is not None:
        queryset = queryset.filter(opl.overdue_q(today)) if overdue else queryset.exclude(
            opl.overdue_q(today))
    if stale is not None:
        queryset = queryset.filter(opl.stale_q(now)) if stale else queryset.exclude(
            opl.stale_q(now))
    if mine_for is not None:
        queryset = queryset.filter(Q(owner=mine_for) | Q(accountable=mine_for))
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return queryset


def open_items_of_customer(customer: Customer, *, today: date) -> list[OplItem]:
    return list(opl_items(today=today).filter(customer=customer, status__in=opl.ACTIVE)
                .order_by("due_date", "pk"))


def item_log(item: OplItem) -> list[OplUpdate]:
    return list(OplUpdate.objects.filter(item=item).select_related("author")
                .order_by("-created_at", "-id"))


def pending_proposals() -> QuerySet[OplProposal]:
    return (OplProposal.objects.filter(status=OplProposal.Status.PENDING)
            .select_related("customer", "answer__response__survey__campaign",
                            "answer__question")
            .order_by("answer__score", "-created_at", "pk"))


def opl_summary(*, today: date, user: User | None = None) -> dict[str, int]:
    """Counts for dashboards: active, overdue, stale (and the user's own)."""
    base = OplItem.objects.filter(status__in=opl.ACTIVE)
    counts = base.aggregate(active=Count("pk"), overdue=Count("pk", filter=opl.overdue_q(today)),
                            stale=Count("pk", filter=opl.stale_q()))
    if user is not None:
        counts["mine"] = base.filter(Q(owner=user) | Q(accountable=user)).count()
    return counts


def opl_quarter_counts(customer: Customer, *, start: date, end: date,
                       tz: tzinfo) -> dict[str, int]:
    """A customer's OPL items opened and closed between `start` and `end` (a quarter, days
    in the tenant's time zone `tz`), and those overdue at its end (due before it and not
    closed by then): one query."""
    return OplItem.objects.filter(customer=customer).aggregate(
        opened=Count("pk", filter=Q(opened_on__gte=start, opened_on__lte=end)),
        closed=Count("pk", filter=opl.closed_q(since=start, until=end, tz=tz)),
        overdue=Count("pk", filter=Q(due_date__lt=end, opened_on__lte=end)
                      & ~opl.closed_q(until=end, tz=tz)))
