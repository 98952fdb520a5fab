"""Account health, 0–100 per customer: the one place its rule lives.

Health is the weighted mean of up to six parts, each scored 0–100. A part that does not
apply to a customer is left out and the others' weights are scaled up to fill its place.

- **satisfaction** (weight 25): the satisfaction index of the customer's latest answered
  survey (satisfaction.index). Applies once a survey of it has answers.
- **OPL** (15): 100 − 20 per overdue and − 10 per stale open item (an item both overdue
  and stale costs 30), at least 0 (satisfaction.opl). Always applies.
- **programmes** (15): the worst RAG of its open programmes, green 100, amber 50, red 0
  (projects.rag). Applies when an open programme has an open milestone.
- **relationships** (15): the share of the five coverage checks met: a decision maker who
  is a supporter, and an active contact in purchasing, engineering, logistics and quality
  (customers.relationships). Always applies.
- **cadence** (15): the share of its tier's service standards met (customers.cadence).
  Applies when it has a tier with saved standards.
- **scorecard** (15): the customer's own supplier scorecard in the latest quarter that has
  one: on-time delivery 80 % → 0 … 100 % → 100, quality 1,000 PPM → 0 … 0 PPM → 100, the
  mean of the two (or the one entered). Applies when a quarter has either figure.

    health = Σ weight × score / Σ weight (over the parts that apply), rounded to a whole number

and each part's **contribution** is weight × score / Σ weight: the contributions add up to
the health. Bands: **good** from 75, **watch** from 50, **at risk** below 50.

`compute()` works on a whole queryset of customers at once with a fixed number of
queries (grouped aggregates, never one query per customer). What pages and the API read
is the stored health (`AccountHealth`): `current()` returns it, first recomputing, in
those same few queries, the customers whose stored value is missing, marked stale by a
write to one of its parts (dashboards.signals) or from an earlier day. The nightly
`account-health` job refreshes every customer, so on most requests nothing is
recomputed. `explain()` is the same for one customer.
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
    Customer,
    DecisionRole,
    Interaction,
    PeriodFigure,
    ServiceStandard,
)
from customers.relationships import SERVED_DEPARTMENTS
from kam.tenancy import tenant_context
from projects import rag
from projects.models import OPEN_STAGES, Milestone, MilestoneStatus
from satisfaction import index, opl
from satisfaction.models import Answer, Campaign, OplItem

from .models import AccountHealth

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

GOOD, WATCH, AT_RISK = "good", "watch", "at_risk"
BANDS = {GOOD: _("Good"), WATCH: _("Watch"), AT_RISK: _("At risk")}
GOOD_FROM, WATCH_FROM = 75, 50


def band(value):
    """The band of a health value (None stays None)."""
    if value is None:
        return None
    return GOOD if value >= GOOD_FROM else WATCH if value >= WATCH_FROM else AT_RISK


def band_range(key):
    """(lowest, highest) health of a band, both inclusive."""
    return {GOOD: (GOOD_FROM, 100), WATCH: (WATCH_FROM, GOOD_FROM - 1),
            AT_RISK: (0, WATCH_FROM - 1)}[key]


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
    None where a part does not apply)."""
    applying = [(w, score) for w, score in zip(WEIGHTS, scores, strict=True)
                if score is not None]
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
        self.value = (stored[0] if stored is not None
                      else round_half_up(weighted_mean(scores)))

    @property
    def cadence_counts(self):
        """(service standards met, standards that apply) without building the facts."""
        if self._raw is not None:
            standards, overdue_kinds = self._raw[7], self._raw[8]
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
        return BANDS[self.band]

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

def opl_score(overdue, stale):
    return float(max(0, 100 - OVERDUE_PENALTY * overdue - STALE_PENALTY * stale))


def programmes_score(worst):
    return None if worst is None else float(RAG_SCORES[rag.Rag(worst)])


COVERAGE_NAMES = ("decision_maker", *SERVED_DEPARTMENTS)
COVERAGE_CHECKS = len(COVERAGE_NAMES)


def relationships_score(checks_met, checks=COVERAGE_CHECKS):
    return 100.0 * checks_met / checks


def cadence_score(met, standards):
    return None if not standards else 100.0 * met / standards


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
    """{customer id: (open, overdue, stale)} of its open items."""
    rows = (OplItem.objects.filter(customer__in=_ids(customers), status__in=opl.ACTIVE)
            .order_by().values_list("customer_id")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=opl.overdue_q(today)),
                      stale=Count("pk", filter=opl.stale_q(now))))
    return {pk: (open_, overdue, stale) for pk, open_, overdue, stale in rows}


def _worst_rag(customers, today, policy):
    """{customer id: worst colour of its open programmes' open milestones}."""
    rows = (Milestone.objects.filter(programme__customer__in=_ids(customers),
                                     programme__stage__in=OPEN_STAGES)
            .exclude(status=MilestoneStatus.DONE).order_by()
            .values_list("programme__customer_id", "planned_date", "forecast_date",
                         "actual_date", "status"))
    worst = {}
    for customer_id, planned, forecast, actual, status in rows:
        colour = rag.colour(planned=planned, forecast=forecast, actual=actual, status=status,
                            on=today, policy=policy)
        current = worst.get(customer_id)
        if current is None or rag.SEVERITY[colour] > rag.SEVERITY[current]:
            worst[customer_id] = colour
    return worst


def _coverage(customers):
    """{customer id: (supportive decision makers, contacts in each served department…)}
    over active contacts, in COVERAGE_NAMES order."""
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
    """{customer id: (period, index)} of each customer's latest answered survey."""
    rows = (Answer.objects.filter(response__survey__customer__in=_ids(customers))
            .exclude(response__survey__campaign__status=Campaign.Status.DRAFT)
            .order_by()
            .values("response__survey__customer_id", "response__survey__campaign__year",
                    "response__survey__campaign__quarter")
            .annotate(**index.index_annotations()))
    latest = {}
    for row in rows:
        value = index.from_sums(row)
        if value is None:
            continue
        key = (row["response__survey__campaign__year"],
               row["response__survey__campaign__quarter"])
        customer_id = row["response__survey__customer_id"]
        if customer_id not in latest or key > latest[customer_id][0]:
            latest[customer_id] = (key, value)
    return {pk: (f"{year}Q{quarter}", value) for pk, ((year, quarter), value) in latest.items()}


# --- health --------------------------------------------------------------------------------

def compute(customers, *, tenant, today=None, now=None):
    """{customer id: Health} for every customer of the `customers` queryset, in a fixed
    number of queries (eight) whatever their number: grouped aggregates in SQL, the rule
    applied in one pass over their rows."""
    today = today or tenant.today()
    now = now or timezone.now()
    rows = _customer_rows(customers)
    if not rows:
        return {}
    policy = rag.policy_for(tenant)
    opl_counts = _opl_counts(customers, today, now)
    worst = _worst_rag(customers, today, policy)
    coverage = _coverage(customers)
    last = _last_interactions(customers)
    standards = _standards()
    satisfaction = _latest_satisfaction(customers)

    no_opl, no_cover, no_interactions = (0, 0, 0), (0,) * COVERAGE_CHECKS, {}
    result = {}
    for pk, code, name, tier, scorecard in rows:
        period, index_value = satisfaction.get(pk, (None, None))
        open_, overdue, stale = opl_counts.get(pk, no_opl)
        colour = worst.get(pk)
        cover = coverage.get(pk, no_cover)
        tier_standards = standards.get(tier, ()) if tier else ()
        last_of = last.get(pk, no_interactions)
        overdue_kinds = [kind for kind, days in tier_standards
                         if cadence.is_overdue(last_of.get(kind), days, today)]
        scorecard = _scorecard(scorecard)
        on_time, ppm = scorecard.get("on_time"), scorecard.get("ppm")
        scores = (
            None if index_value is None else float(index_value),
            opl_score(overdue, stale),
            None if colour is None else RAG_SCORES[colour],
            relationships_score(sum(1 for count in cover if count)),
            cadence_score(len(tier_standards) - len(overdue_kinds), len(tier_standards)),
            scorecard_score(on_time, ppm),
        )
        result[pk] = Health(pk, scores, customer={"id": pk, "code": code, "name": name,
                                                  "tier": tier},
                            raw=(period, index_value, open_, overdue, stale, colour, cover,
                                 len(tier_standards), overdue_kinds, scorecard))
    return result


def _inputs_of(period, index_value, open_, overdue, stale, colour, cover, standards,
               overdue_kinds, scorecard):
    """The facts each part was scored from (for the explanation and the lists)."""
    return {
        "satisfaction": {"index": _round1(index_value), "period": period},
        "opl": {"open": open_, "overdue": overdue, "stale": stale},
        "programmes": {"worst_rag": str(colour) if colour else None},
        "relationships": {"met": sum(1 for count in cover if count),
                          "checks": COVERAGE_CHECKS,
                          "missing": [check for check, count in zip(COVERAGE_NAMES, cover,
                                                                    strict=True) if not count]},
        "cadence": {"met": standards - len(overdue_kinds), "standards": standards,
                    "overdue": overdue_kinds},
        "scorecard": {"period": scorecard.get("period"),
                      "on_time_delivery": _round1(scorecard.get("on_time")),
                      "quality_ppm": _round1(scorecard.get("ppm"))},
    }


# --- stored health ---------------------------------------------------------------------------

STORED_FIELDS = ["value", "scores", "facts", "cadence_met", "cadence_standards",
                 "computed_on", "computed_at", "stale"]


def store(found, *, today, now):
    """Save each computed Health as its customer's AccountHealth (one upsert, in customer
    order, so that two requests storing the same customers lock them in the same order
    and cannot deadlock)."""
    AccountHealth.objects.bulk_create(
        [AccountHealth(customer_id=pk, value=h.value, scores=orjson.dumps(h.scores).decode(),
                       facts=orjson.dumps(h.inputs).decode(),
                       cadence_met=h.cadence_counts[0], cadence_standards=h.cadence_counts[1],
                       computed_on=today, computed_at=now, stale=False)
         for pk, h in sorted(found.items())],
        update_conflicts=True, unique_fields=["customer"], update_fields=STORED_FIELDS)


def outdated(customers, today):
    """The customers of `customers` whose stored health is missing, stale or older than
    `today`."""
    # A left join on the one-to-one key rather than NOT EXISTS: right after the nightly
    # refresh moves every row to a new day, statistics still say no row is of `today`,
    # and the planner's anti-join then compares every customer with every row.
    return customers.filter(Q(health_record__isnull=True) | Q(health_record__stale=True)
                            | Q(health_record__computed_on__lt=today)
                            | Q(health_record__computed_on__gt=today))


def refresh(customers, *, tenant, today=None, now=None, everything=False):
    """Recompute and store the health of the outdated customers of `customers` (of all
    of them with `everything`); returns {customer id: Health} of those recomputed."""
    today = today or tenant.today()
    now = now or timezone.now()
    found = compute(customers if everything else outdated(customers, today), tenant=tenant,
                    today=today, now=now)
    if found:
        store(found, today=today, now=now)
    return found


def current(customers, *, tenant, today=None, now=None):
    """{customer id: Health} of every customer of `customers`, from the stored rows, the
    outdated ones recomputed first. A fixed number of queries: two when all is fresh."""
    today = today or tenant.today()
    found = refresh(customers, tenant=tenant, today=today, now=now)
    stored = (AccountHealth.objects.filter(customer__in=_ids(customers), computed_on=today)
              .order_by().values_list("customer_id", "customer__code", "customer__name",
                                      "customer__tier", "scores", "value", "cadence_met",
                                      "cadence_standards", "facts"))
    for pk, code, name, tier, scores, *rest in stored:
        if pk not in found:
            found[pk] = Health(pk, tuple(orjson.loads(scores)), stored=rest,
                               customer={"id": pk, "code": code, "name": name, "tier": tier})
    return found


def mark_stale(tenant, customers=None):
    """Flag the stored health of `customers` of `tenant` (ids, or a queryset of them;
    None: every customer) for recomputation on its next read. Called from model signals,
    which may fire outside a request, so the tenant is set here."""
    with tenant_context(tenant):
        rows = AccountHealth.objects.filter(stale=False)
        if customers is not None:
            rows = rows.filter(customer__in=customers)
        rows.update(stale=True)


def explain(customer, *, tenant, today=None, now=None):
    """The Health of one customer, with its parts (for the account page)."""
    return current(Customer.objects.filter(pk=customer.pk), tenant=tenant, today=today,
                   now=now).get(customer.pk)


def in_band(customers, key, *, tenant, today=None):
    """`customers` narrowed to those whose health is in band `key` (a queryset: the
    outdated ones are recomputed first, then the stored values filter in SQL)."""
    today = today or tenant.today()
    refresh(customers, tenant=tenant, today=today)
    low, high = band_range(key)
    return customers.filter(health_record__value__gte=low, health_record__value__lte=high,
                            health_record__computed_on=today)
