"""Account health, 0–100 per customer: the one place its rule lives.

Health is the weighted mean of up to six parts, each scored 0–100. A part with no data
for a customer (a new account with no contacts yet) is shown as "no data" and left out:
the others' weights are scaled up to fill its place. No data is not failure, so it never
scores 0. A customer with no data in any part has no health ("no data"), not a low one.

- **satisfaction** (weight 25): the satisfaction index of the customer's latest answered
  survey (satisfaction.index) in a campaign that counts: a closed one, or an open one once
  the tenant's share of its invitations is answered (satisfaction.selectors
  .counted_campaigns); the facts say how many departments answered and mark an open
  campaign's index as interim. Applies once such a survey of it has answers.
- **OPL** (15): 100 − 20 per overdue and − 10 per stale open item (an item both overdue
  and stale costs 30), at least 0 (satisfaction.opl). Applies once the customer has had an
  OPL item.
- **programmes** (15): the worst RAG of its open programmes, green 100, amber 50, red 0
  (projects.rag). Applies when an open programme has an open milestone.
- **relationships** (15): the share of the five coverage checks met: a decision maker who
  is a supporter, and an active contact in purchasing, engineering, logistics and quality
  (customers.relationships). Applies once the customer has an active contact.
- **cadence** (15): the share of its tier's service standards met (customers.cadence).
  Applies when it has a tier with saved standards and at least one interaction logged.
- **scorecard** (15): the customer's own supplier scorecard in the latest quarter that has
  one: on-time delivery 80 % → 0 … 100 % → 100, quality 1,000 PPM → 0 … 0 PPM → 100, the
  mean of the two (or the one entered). Applies when a quarter has either figure.

    health = Σ weight × score / Σ weight (over the parts that apply), rounded to a whole number

and each part's **contribution** is weight × score / Σ weight: the contributions add up to
the health. Bands: **good** from 75, **watch** from 50, **at risk** below 50.

`compute()` works on a whole queryset of customers at once with a fixed number of
queries (grouped aggregates, never one query per customer). What pages and the API read
is the stored health (`AccountHealth`), kept by dashboards.derived.
"""

from collections import defaultdict
from dataclasses import dataclass

import orjson
from django.db.models import (
    CharField,
    Count,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import cadence
from customers.models import (
    Attitude,
    Contact,
    DecisionRole,
    Interaction,
    PeriodFigure,
    ServiceStandard,
)
from customers.relationships import SERVED_DEPARTMENTS
from projects import rag
from projects import selectors as programme_selectors
from satisfaction import index, opl
from satisfaction import selectors as satisfaction_selectors
from satisfaction.models import Answer, OplItem

# part key -> (label, weight)
PARTS = {
    "satisfaction": (_("Satisfaction"), 25),
    "opl": (_("OPL"), 15),
    "programmes": (_("Programmes"), 15),
    "relationships": (_("Relationship coverage"), 15),
    "cadence": (_("Service standards"), 15),
    "scorecard": (_("Supplier scorecard"), 15),
}
# Where each part is shown on the account 360 page.
PART_PANELS = {
    "satisfaction": "panel-satisfaction", "opl": "panel-satisfaction",
    "programmes": "panel-programmes", "relationships": "panel-relationships",
    "cadence": "panel-cadence", "scorecard": "panel-figures",
}

OVERDUE_PENALTY = 20
STALE_PENALTY = 10
RAG_SCORES = {rag.Rag.GREEN: 100, rag.Rag.AMBER: 50, rag.Rag.RED: 0}
OTD_ZERO, OTD_FULL = 80.0, 100.0  # on-time delivery % scored 0 and 100
PPM_ZERO = 1000.0  # quality PPM scored 0 (0 PPM scores 100)

GOOD, WATCH, AT_RISK, NO_DATA = "good", "watch", "at_risk", "no_data"
BANDS = {GOOD: _("Good"), WATCH: _("Watch"), AT_RISK: _("At risk")}
# The bands plus "no data" (no part has data): what lists filter and panels count by.
ALL_BANDS = {**BANDS, NO_DATA: _("No data")}
GOOD_FROM, WATCH_FROM = 75, 50


# Worst first: a move to a lower rank is a drop (the weekly snapshots propose an OPL
# item on one). "No data" has no rank: it is neither better nor worse than a band.
BAND_ORDER = (AT_RISK, WATCH, GOOD)


def is_drop(before, after):
    """Whether band `after` is worse than band `before` (False if either is no data)."""
    if before not in BAND_ORDER or after not in BAND_ORDER:
        return False
    return BAND_ORDER.index(after) < BAND_ORDER.index(before)


def band(value):
    """The band of a health value; NO_DATA for None (no part has data)."""
    if value is None:
        return NO_DATA
    return GOOD if value >= GOOD_FROM else WATCH if value >= WATCH_FROM else AT_RISK


def band_range(key):
    """(lowest, highest) health of a band, both inclusive."""
    return {GOOD: (GOOD_FROM, 100), WATCH: (WATCH_FROM, GOOD_FROM - 1),
            AT_RISK: (0, WATCH_FROM - 1)}[key]


def band_q(key, prefix=""):
    """Q for stored health rows (at `prefix`, e.g. "health_record__") in band `key`."""
    if key == NO_DATA:
        return Q(**{f"{prefix}value__isnull": True})
    low, high = band_range(key)
    return Q(**{f"{prefix}value__gte": low, f"{prefix}value__lte": high})


PART_KEYS = tuple(PARTS)
WEIGHTS = tuple(weight for _label, weight in PARTS.values())


@dataclass(slots=True)
class Part:
    """One part of a customer's health, for the explanation."""

    key: str
    score: float | None  # 0–100, None when the part does not apply
    facts: dict  # the inputs it was scored from
    weight: int
    weight_share: float | None  # % of the weights that apply
    contribution: float | None  # points of the health

    @property
    def label(self):
        return PARTS[self.key][0]

    @property
    def applies(self):
        return self.score is not None

    @property
    def panel(self):
        return PART_PANELS[self.key]


def _round1(value):
    return None if value is None else round(float(value), 1)


def weighted_mean(scores):
    """Σ weight × score / Σ weight over the parts that apply (scores in PART_KEYS order,
    None where a part has no data); None when none applies."""
    applying = [(w, score) for w, score in zip(WEIGHTS, scores, strict=True)
                if score is not None]
    if not applying:
        return None
    return sum(w * score for w, score in applying) / sum(w for w, _score in applying)


def round_half_up(value):
    return int(value + 0.5 + 1e-9)


class Health:
    """A customer's health: its value, band and part scores; `parts` explains them."""

    __slots__ = ("customer_id", "customer", "scores", "value", "_inputs", "_raw", "_stored")

    def __init__(self, customer_id, scores, inputs=None, customer=None, raw=None,
                 stored=None):
        self.customer_id = customer_id
        self.customer = customer or {}  # id, code, name, tier
        self.scores = scores  # in PART_KEYS order
        self._inputs = inputs  # part key -> the facts it was scored from (or built from raw)
        self._raw = raw
        # Read back from storage: (value, cadence met, cadence standards, facts as JSON
        # text, parsed when first asked for).
        self._stored = stored
        mean = None if stored is not None else weighted_mean(scores)
        self.value = (stored[0] if stored is not None
                      else None if mean is None else round_half_up(mean))

    @property
    def cadence_counts(self):
        """(service standards met, standards that apply) without building the facts."""
        if self._raw is not None:
            standards, overdue_kinds = self._raw[4], self._raw[5]
            return standards - len(overdue_kinds), standards
        if self._stored is not None:
            return self._stored[1], self._stored[2]
        facts = self.inputs["cadence"]
        return facts["met"], facts["standards"]

    @property
    def inputs(self):
        if self._inputs is None:
            self._inputs = (orjson.loads(self._stored[3]) if self._stored is not None
                            else _inputs_of(*self._raw))
        return self._inputs

    @property
    def band(self):
        return band(self.value)

    @property
    def band_label(self):
        return ALL_BANDS[self.band]

    def part(self, key):
        index = PART_KEYS.index(key)
        score, weight = self.scores[index], WEIGHTS[index]
        total = sum(w for w, s in zip(WEIGHTS, self.scores, strict=True) if s is not None)
        applies = score is not None
        return Part(key=key, score=score, facts=self.inputs[key], weight=weight,
                    weight_share=100 * weight / total if applies else None,
                    contribution=weight * score / total if applies else None)

    @property
    def parts(self):
        return [self.part(key) for key in PART_KEYS]

    def score(self, key):
        return self.scores[PART_KEYS.index(key)]


# --- the pure rule ------------------------------------------------------------------------

def opl_score(overdue, stale, items=1):
    """None for a customer that has never had an OPL item (`items` of any status)."""
    if not items:
        return None
    return float(max(0, 100 - OVERDUE_PENALTY * overdue - STALE_PENALTY * stale))


def programmes_score(worst):
    return None if worst is None else float(RAG_SCORES[rag.Rag(worst)])


COVERAGE_NAMES = ("decision_maker", *SERVED_DEPARTMENTS)
COVERAGE_CHECKS = len(COVERAGE_NAMES)


def relationships_score(checks_met, checks=COVERAGE_CHECKS, contacts=1):
    """None for a customer with no active contact yet."""
    if not contacts:
        return None
    return 100.0 * checks_met / checks


def cadence_score(met, standards, interactions=1):
    """None without standards for the tier, or before the first interaction is logged."""
    return None if not standards or not interactions else 100.0 * met / standards


def _share(value, zero, full):
    return min(1.0, max(0.0, (value - zero) / (full - zero))) * 100


def scorecard_score(on_time, ppm):
    scores = []
    if on_time is not None:
        scores.append(_share(float(on_time), OTD_ZERO, OTD_FULL))
    if ppm is not None:
        scores.append(_share(float(ppm), PPM_ZERO, 0.0))
    return sum(scores) / len(scores) if scores else None


# --- set-based inputs ----------------------------------------------------------------------

def _ids(customers):
    return customers.order_by().values("pk")


def _as_text(field_name):
    return Coalesce(Cast(field_name, CharField()), Value(""))


def _customer_rows(customers):
    """(id, code, name, tier, scorecard) of each customer, the scorecard being its latest
    quarter with on-time delivery or quality PPM as "period|on-time|ppm" (one correlated
    subquery on the figures' (customer, period) index; text, because one column is three
    times cheaper than three subqueries or JSON): one query."""
    latest = (PeriodFigure.objects.filter(customer=OuterRef("pk"))
              .filter(Q(on_time_delivery__isnull=False) | Q(quality_ppm__isnull=False))
              .order_by("-period")
              .values(scorecard=Concat("period", Value("|"), _as_text("on_time_delivery"),
                                       Value("|"), _as_text("quality_ppm"),
                                       output_field=CharField()))[:1])
    return list(customers.order_by().values_list("pk", "code", "name", "tier")
                .annotate(scorecard=Subquery(latest)))


def _scorecard(text):
    """{"period", "on_time", "ppm"} from the text `_customer_rows` gives (or {})."""
    if not text:
        return {}
    period, on_time, ppm = text.split("|")
    return {"period": period, "on_time": float(on_time) if on_time else None,
            "ppm": float(ppm) if ppm else None}


def _opl_counts(customers, today, now):
    """{customer id: (open, overdue, stale, items of any status)}."""
    active = Q(status__in=opl.ACTIVE)
    rows = (OplItem.objects.filter(customer__in=_ids(customers))
            .order_by().values_list("customer_id")
            .annotate(open=Count("pk", filter=active),
                      overdue=Count("pk", filter=active & opl.overdue_q(today)),
                      stale=Count("pk", filter=active & opl.stale_q(now)),
                      items=Count("pk")))
    return {pk: counts for pk, *counts in rows}


def _coverage(customers):
    """{customer id: (supportive decision makers, contacts in each served department…)}
    over active contacts, in COVERAGE_NAMES order; customers with no active contact are
    left out."""
    counts = {f"dept_{d}": Count("pk", filter=Q(department=d)) for d in SERVED_DEPARTMENTS}
    rows = (Contact.objects.filter(customer__in=_ids(customers), is_active=True)
            .order_by().values_list("customer_id")
            .annotate(decision_maker=Count("pk", filter=Q(
                decision_role=DecisionRole.DECISION_MAKER, attitude=Attitude.SUPPORTER)),
                **counts))
    return {row[0]: row[1:] for row in rows}


def _last_interactions(customers):
    """{customer id: {kind: last date}}."""
    rows = (Interaction.objects.filter(customer__in=_ids(customers)).order_by()
            .values_list("customer_id", "kind").annotate(last=Max("occurred_on")))
    result = defaultdict(dict)
    for customer_id, kind, last in rows:
        result[customer_id][kind] = last
    return result


def _standards():
    """{tier: [(kind, max days)]} of the saved service standards."""
    result = defaultdict(list)
    for tier, kind, max_days in (ServiceStandard.objects.order_by("tier", "kind")
                                 .values_list("tier", "kind", "max_days")):
        result[tier].append((kind, max_days))
    return result


def _latest_satisfaction(customers):
    """{customer id: (period, index, answered, invited, interim)} of each customer's
    latest answered survey in a campaign that counts (satisfaction.selectors
    .counted_campaigns): answered and invited are its departments, interim marks an open
    campaign. Three queries."""
    counted, _waiting = satisfaction_selectors.counted_campaigns()
    campaigns = {campaign.pk: campaign for campaign in counted}
    rows = (Answer.objects.filter(response__survey__customer__in=_ids(customers),
                                  response__survey__campaign_id__in=list(campaigns))
            .order_by()
            .values("response__survey__customer_id", "response__survey__campaign_id")
            .annotate(**index.index_annotations()))
    latest = {}
    for row in rows:
        value = index.from_sums(row)
        if value is None:
            continue
        campaign = campaigns[row["response__survey__campaign_id"]]
        customer_id = row["response__survey__customer_id"]
        if (customer_id not in latest
                or campaign.period_index > latest[customer_id][0].period_index):
            latest[customer_id] = (campaign, value)
    coverage = satisfaction_selectors.survey_coverage(
        {campaign.pk for campaign, _value in latest.values()}, list(latest))
    result = {}
    for pk, (campaign, value) in latest.items():
        answered = coverage.get((campaign.pk, pk))
        result[pk] = (campaign.period, value, answered.answered if answered else 0,
                      answered.invited if answered else 0, campaign.interim)
    return result


# --- health --------------------------------------------------------------------------------

def compute(customers, *, tenant, today=None, now=None):
    """{customer id: Health} for every customer of the `customers` queryset, in a fixed
    number of queries (nine; ten with an open campaign or an answered survey) whatever
    their number: grouped aggregates in SQL, the rule
    applied in one pass over their rows."""
    today = today or tenant.today()
    now = now or timezone.now()
    rows = _customer_rows(customers)
    if not rows:
        return {}
    policy = rag.policy_for(tenant)
    opl_counts = _opl_counts(customers, today, now)
    worst = programme_selectors.worst_rag_by_customer(customers=customers, on=today,
                                                      policy=policy)
    coverage = _coverage(customers)
    last = _last_interactions(customers)
    standards = _standards()
    satisfaction = _latest_satisfaction(customers)

    no_opl, no_interactions = (0, 0, 0, 0), {}
    no_satisfaction = (None, None, 0, 0, False)
    result = {}
    for pk, code, name, tier, scorecard in rows:
        survey = satisfaction.get(pk, no_satisfaction)
        index_value = survey[1]
        open_, overdue, stale, items = opl_counts.get(pk, no_opl)
        colour = worst.get(pk)
        cover = coverage.get(pk)  # None: no active contact
        tier_standards = standards.get(tier, ()) if tier else ()
        last_of = last.get(pk, no_interactions)
        overdue_kinds = [kind for kind, days in tier_standards
                         if cadence.is_overdue(last_of.get(kind), days, today)]
        scorecard = _scorecard(scorecard)
        on_time, ppm = scorecard.get("on_time"), scorecard.get("ppm")
        scores = (
            None if index_value is None else float(index_value),
            opl_score(overdue, stale, items),
            None if colour is None else RAG_SCORES[colour],
            None if cover is None else relationships_score(sum(1 for count in cover if count)),
            cadence_score(len(tier_standards) - len(overdue_kinds), len(tier_standards),
                          len(last_of)),
            scorecard_score(on_time, ppm),
        )
        result[pk] = Health(pk, scores, customer={"id": pk, "code": code, "name": name,
                                                  "tier": tier},
                            raw=(survey, (open_, overdue, stale, items), colour, cover,
                                 len(tier_standards), overdue_kinds, bool(last_of),
                                 scorecard))
    return result


def _inputs_of(survey, opl_counts, colour, cover, standards, overdue_kinds, interactions,
               scorecard):
    """The facts each part was scored from (for the explanation and the lists)."""
    period, index_value, answered, invited, interim = survey
    open_, overdue, stale, items = opl_counts
    return {
        "satisfaction": {"index": _round1(index_value), "period": period,
                         "answered": answered, "invited": invited, "interim": interim},
        "opl": {"open": open_, "overdue": overdue, "stale": stale, "items": items},
        "programmes": {"worst_rag": str(colour) if colour else None},
        "relationships": {"met": sum(1 for count in cover if count) if cover else 0,
                          "checks": COVERAGE_CHECKS, "contacts": cover is not None,
                          "missing": [check for check, count in zip(
                              COVERAGE_NAMES, cover or (0,) * COVERAGE_CHECKS, strict=True)
                              if not count]},
        "cadence": {"met": standards - len(overdue_kinds), "standards": standards,
                    "overdue": overdue_kinds, "interactions": interactions},
        "scorecard": {"period": scorecard.get("period"),
                      "on_time_delivery": _round1(scorecard.get("on_time")),
                      "quality_ppm": _round1(scorecard.get("ppm"))},
    }
