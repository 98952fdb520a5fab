"""ABC tiering: the one place where customers are scored, ranked and tiered.

The rules are the brief's "Default scoring, exactly", so anyone can recompute a tier
by hand:

1. Window: the policy's last k quarters ending with the latest *complete* quarter of the
   tenant (`window_status`): a quarter is complete once it is over on the tenant's
   calendar and reported for at least the policy's coverage share (default 80 %) of the
   customers that had figures the quarter before. A run may name `as_of` instead. A
   customer is scored if it has at least one figure row in the window.
2. Per customer over the window: revenue = sum; supply share, gross margin, payment days,
   on-time delivery and quality PPM = mean of the quarters present; cost to serve =
   sum of cost ÷ sum of revenue × 100 (lower is better; zero revenue counts as the
   worst); the 1–5 ratings = the latest quarter's value.
3. Each weighted criterion is normalised over the scored customers: min–max
   y = (x − min)/(max − min), or (max − x)/(max − min) when lower is better; a constant
   column gives y = 0. (Percentile policies use the share of the other customers that
   do worse.) A customer with no value for a criterion gets y = 0 for it.
4. score = 100 × Σ wⱼ·yⱼ / Σ wⱼ, kept to 4 decimals.
5. Rank by score descending; ties by window revenue descending, then code ascending.
6. count_share: n_A = ceil(n·a), n_B = ceil(n·(a + b)) − n_A, the rest C.
   value_share: walking down the customers by revenue, one is A while the cumulative
   revenue share before it is below the A cut-off, B while below the B cut-off, else C.
7. An active override replaces the computed tier; the computed one is kept beside it.

A run is set-based: `scoring_statement` turns the policy into one statement that applies rules
1–7 in the database and inserts every active customer's assessment, so a run is a fixed
number of queries whatever the number of customers, and no customer travels through Python.
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import events
from kam.periods import PERIOD_RE, current_period, shift_period, window_periods
from records import history

from .models import (
    Customer,
    PeriodFigure,
    ScoringPolicy,
    ScoringRun,
    TierAssessment,
    TieringMethod,
    TierOverride,
)
from .signals import customers_changed

# name -> (how it is aggregated over the window, True if higher is better)
CRITERIA = {
    "revenue": ("sum", True),
    "supply_share": ("mean", True),
    "gross_margin": ("mean", True),
    "payment_days": ("mean", False),
    "cost_to_serve": ("ratio", False),
    "on_time_delivery": ("mean", True),
    "quality_ppm": ("mean", False),
    "market_influence": ("latest", True),
    "loyalty": ("latest", True),
    "strategic_fit": ("latest", True),
}


# Weights are relative (a run divides by their sum); beyond this they are a typing error,
# and a float near its limit would overflow the sum.
MAX_WEIGHT = 1000


def weight_errors(weights):
    """Messages for a weights mapping that cannot be used; empty when it is fine."""
    if not isinstance(weights, dict):
        return [_("Weights must be a mapping of criterion to number.")]
    errors = []
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        errors.append(_("Unknown criteria: %(names)s.") % {"names": ", ".join(unknown)})
    for name, value in weights.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            errors.append(_("The weight of %(name)s must be a number ≥ 0.") % {"name": name})
        elif value > MAX_WEIGHT:
            errors.append(_("The weight of %(name)s must be at most %(max)s.")
                          % {"name": name, "max": MAX_WEIGHT})
    if not errors and not any(weights.get(name, 0) > 0 for name in CRITERIA):
        errors.append(_("At least one criterion needs a weight above 0."))
    return errors


# --- periods -----------------------------------------------------------------------

def current_policy(tenant):
    """The tenant's newest policy version, created with the defaults if it has none."""
    policy = ScoringPolicy.objects.order_by("-version").first()
    if policy is None:
        policy = ScoringPolicy.objects.create(tenant=tenant, version=1)
    return policy


def policy_snapshot(policy):
    return {
        "version": policy.version,
        "weights": policy.weights,
        "normalisation": policy.normalisation,
        "lookback_quarters": policy.lookback_quarters,
        "method": policy.method,
        "a_share": str(policy.a_share),
        "b_share": str(policy.b_share),
        "a_revenue_cutoff": str(policy.a_revenue_cutoff),
        "b_revenue_cutoff": str(policy.b_revenue_cutoff),
        "coverage_share": str(policy.coverage_share),
    }


# --- aggregation (SQL) -------------------------------------------------------------

def window_figures(policy, *, today):
    """(window, rows): one row per customer with figures in the window, aggregated in SQL."""
    window = scoring_window(policy, today=today)
    if not window:
        return [], []
    figures = PeriodFigure.objects.filter(period__in=window, customer__is_active=True)
    annotations = {
        "revenue": Sum("revenue"),
        "cost_sum": Sum("cost_to_serve"),
        "quarters": Count("id"),
    }
    for name, (how, _higher) in CRITERIA.items():
        if how == "mean":
            annotations[name] = Avg(name)
        elif how == "latest" and policy.weights.get(name, 0) > 0:
            latest_row = PeriodFigure.objects.filter(
                customer=OuterRef("customer_id"), period__in=window, **{f"{name}__isnull": False}
            ).order_by("-period")
            annotations[name] = Subquery(latest_row.values(name)[:1])
    rows = list(figures.values("customer_id").annotate(**annotations).order_by())
    return window, rows


# --- the run: one statement ----------------------------------------------------------

# What differs between the two databases the product runs on: JSON builders, and the
# collation that orders codes by code point (Python's order, whatever the database locale).
DIALECTS = {
    "postgresql": {"object": "jsonb_build_object", "array": "jsonb_build_array",
                   "by_code_point": 'COLLATE "C"'},
    "sqlite": {"object": "json_object", "array": "json_array", "by_code_point": ""},
}


def weighted_criteria(weights):
    """The criteria with a weight above 0, in CRITERIA order: the order of a stored
    breakdown's lists."""
    return [name for name in CRITERIA if weights.get(name, 0) > 0]


def window_value_sql(name):
    """Rule 2: criterion `name` aggregated over a customer's window rows (CTE `figures`)."""
    how = CRITERIA[name][0]
    if how == "sum":
        return "COALESCE(SUM(revenue), 0)"
    if how == "ratio":  # × 1.0 first: integer sums would divide as integers
        return ("CASE WHEN COALESCE(SUM(revenue), 0) = 0 THEN NULL "
                "ELSE SUM(cost_to_serve) * 100.0 / SUM(revenue) END")
    if how == "mean":
        return f"AVG({name})"
    return f"MAX(latest_{name})"  # the same on every row of the customer


def normalised_sql(name, method):
    """Rule 3: y of criterion `name` from its window value x_<name> (CTE `per_customer`)."""
    x, higher = f"x_{name}", CRITERIA[name][1]
    if method == "percentile":
        # PERCENT_RANK = (peers strictly before) / (present values − 1), 0 for one value.
        order = "ASC" if higher else "DESC"
        return (f"CASE WHEN {x} IS NULL THEN 0 ELSE CAST(PERCENT_RANK() OVER ("
                f"PARTITION BY {x} IS NULL ORDER BY {x} {order}) AS NUMERIC) END")
    low, high = f"MIN({x}) OVER ()", f"MAX({x}) OVER ()"
    distance = f"{x} - {low}" if higher else f"{high} - {x}"
    return (f"CASE WHEN {x} IS NULL OR {high} = {low} THEN 0 "
            f"ELSE ({distance}) * 1.0 / ({high} - {low}) END")


def tier_sql(policy):
    """Rule 6 as a CASE over the ranked rows (CTE `ranked`), and its parameters."""
    if policy.method == TieringMethod.VALUE_SHARE:
        # before < cut-off, without dividing: revenue_before < cut-off × total.
        return ("CASE WHEN total > 0 AND revenue_before < %(a_cut)s * total THEN 'A' "
                "WHEN total > 0 AND revenue_before < %(b_cut)s * total THEN 'B' ELSE 'C' END",
                {"a_cut": policy.a_revenue_cutoff, "b_cut": policy.b_revenue_cutoff})
    # rank ≤ ceil(n·s) ⇔ rank − 1 < n·s ⇔ (rank − 1)·q < n·p for s = p/q: exact in
    # integers, where a database computing in floats would find 30 × 0.1 > 3.
    a_p, a_q = Decimal(policy.a_share).as_integer_ratio()
    ab_p, ab_q = (Decimal(policy.a_share) + Decimal(policy.b_share)).as_integer_ratio()
    return ("CASE WHEN (rank - 1) * %(a_q)s < n * %(a_p)s THEN 'A' "
            "WHEN (rank - 1) * %(ab_q)s < n * %(ab_p)s THEN 'B' ELSE 'C' END",
            {"a_p": a_p, "a_q": a_q, "ab_p": ab_p, "ab_q": ab_q})


def scoring_statement(policy, window, dialect, *, tenant, run, today):
    """(sql, params): the statement that scores, ranks and tiers every active customer and stores an
    assessment for each (rules 1–7) — in the database, as the run writes a row per
    customer: moving them through Python cost several times the database's own work.

    Values are parameters by name: tenant, run, today, the window's periods p0…, the
    weights w_… and their sum, and the tier cut's. Only names from CRITERIA, this
    module's CASEs and the models' table names are written into the text."""
    names = weighted_criteria(policy.weights)
    latest = [name for name in names if CRITERIA[name][0] == "latest"]
    columns = sorted({"revenue", "cost_to_serve", *(n for n in names if CRITERIA[n][0] == "mean")})
    latest_columns = "".join(
        f", FIRST_VALUE(f.{name}) OVER (PARTITION BY f.customer_id "
        f"ORDER BY CASE WHEN f.{name} IS NULL THEN 1 ELSE 0 END, f.period DESC "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS latest_{name}"
        for name in latest)
    tier_case, cut_params = tier_sql(policy)
    value_share = policy.method == TieringMethod.VALUE_SHARE
    weighted_sum = " + ".join(f"%(w_{name})s * y_{name}" for name in names)
    json_object, json_array = DIALECTS[dialect]["object"], DIALECTS[dialect]["array"]
    # Values to 4 places and normalised values to 10, as the explanation shows them
    # (`breakdown_of`): exact enough that each contribution adds up to the score.
    breakdown = (
        f"{json_object}('values', {json_array}("
        + ", ".join(f"ROUND(t.x_{name}, 4)" for name in names)
        + f"), 'normalised', {json_array}("
        + ", ".join(f"ROUND(t.y_{name}, 10)" for name in names) + ")"
        + (", 'cumulative_share_before', CASE WHEN t.total > 0 "
           "THEN ROUND(t.revenue_before * 1.0 / t.total, 10) ELSE 1 END"
           if value_share else "")
        + ")")
    by_code = DIALECTS[dialect]["by_code_point"]
    revenue_before = (
        f", COALESCE(SUM(revenue) OVER (ORDER BY revenue DESC, code {by_code} "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS revenue_before"
        if value_share else "")
    periods = ", ".join(f"%(p{i})s" for i in range(len(window)))
    customer, figure = Customer._meta.db_table, PeriodFigure._meta.db_table
    override, assessment = TierOverride._meta.db_table, TierAssessment._meta.db_table
    sql = f"""
        WITH figures AS (
            SELECT f.customer_id, c.code, {", ".join(f"f.{c}" for c in columns)}{latest_columns}
            FROM {figure} f JOIN {customer} c ON c.id = f.customer_id
            WHERE f.tenant_id = %(tenant)s AND c.tenant_id = %(tenant)s AND c.is_active
              AND f.period IN ({periods})
        ),
        per_customer AS (
            SELECT customer_id, code, COALESCE(SUM(revenue), 0) AS revenue,
                   {", ".join(f"{window_value_sql(n)} AS x_{n}" for n in names)}
            FROM figures GROUP BY customer_id, code
        ),
        normalised AS (
            SELECT per_customer.*, COUNT(*) OVER () AS n, SUM(revenue) OVER () AS total,
                   {", ".join(f"{normalised_sql(n, policy.normalisation)} AS y_{n}"
                              for n in names)}
            FROM per_customer
        ),
        scored AS (
            SELECT normalised.*, ROUND(100 * ({weighted_sum}) / %(weight_sum)s, 4) AS score
            FROM normalised
        ),
        ranked AS (
            SELECT scored.*,
                   ROW_NUMBER() OVER (
                       ORDER BY score DESC, revenue DESC, code {by_code}) AS rank
                   {revenue_before}
            FROM scored
        ),
        tiered AS (
            SELECT ranked.*, {tier_case} AS computed_tier FROM ranked
        ),
        overrides AS (
            SELECT customer_id, tier, ROW_NUMBER() OVER (
                       PARTITION BY customer_id ORDER BY created_at DESC, id DESC) AS newest
            FROM {override}
            WHERE tenant_id = %(tenant)s AND ended_at IS NULL AND expires_on >= %(today)s
        )
        INSERT INTO {assessment} (tenant_id, run_id, customer_id, score, rank, computed_tier,
            tier, tier_source, previous_tier, revenue, revenue_share, breakdown, updated_at)
        SELECT %(tenant)s, %(run)s, c.id, t.score, t.rank, COALESCE(t.computed_tier, ''),
               COALESCE(o.tier, t.computed_tier, ''),
               CASE WHEN o.tier IS NOT NULL THEN 'override'
                    WHEN t.computed_tier IS NOT NULL THEN 'computed' ELSE '' END,
               c.tier, COALESCE(t.revenue, 0),
               CASE WHEN t.total > 0 THEN ROUND(t.revenue * 1.0 / t.total, 6) ELSE 0 END,
               CASE WHEN t.customer_id IS NULL THEN '{{}}' ELSE {breakdown} END,
               %(now)s
        FROM {customer} c
        LEFT JOIN tiered t ON t.customer_id = c.id
        LEFT JOIN overrides o ON o.customer_id = c.id AND o.newest = 1
        WHERE c.tenant_id = %(tenant)s AND c.is_active
    """  # noqa: S608 -- see the docstring
    weights = {f"w_{name}": Decimal(str(policy.weights[name])) for name in names}
    params = {"tenant": tenant.pk, "run": run.pk, "today": today,
              "now": connection.ops.adapt_datetimefield_value(timezone.now()),
              **{f"p{i}": period for i, period in enumerate(window)},
              **weights, "weight_sum": sum(weights.values()), **cut_params}
    return sql, params


def breakdown_of(assessment):
    """The explanation of an assessment's score and tier: {"criteria": {name: {value,
    normalised, weight, contribution}}, "rank", the run's cut facts (method, n, n_a, n_b
    or a_cutoff, b_cutoff) and, for value_share, cumulative_share_before}. {} when the
    customer was not scored. Reads `assessment.run` (select it with the assessment)."""
    stored = assessment.breakdown or {}
    if not stored or "criteria" in stored:  # not scored, or written in full by older runs
        return stored
    run = assessment.run
    weights = run.policy_snapshot.get("weights", {})
    names = weighted_criteria(weights)
    total = sum(weights[name] for name in names)
    criteria = {}
    for name, value, normalised in zip(names, stored["values"], stored["normalised"],
                                       strict=True):
        criteria[name] = {
            "value": None if value is None else round(value, 4),
            "normalised": round(normalised, 6),
            "weight": weights[name],
            "contribution": round(100 * weights[name] * normalised / total, 4),
        }
    result = {"criteria": criteria, "rank": assessment.rank, **run.cut}
    if "cumulative_share_before" in stored:
        result["cumulative_share_before"] = round(stored["cumulative_share_before"], 6)
    return result


@dataclass(frozen=True)
class QuarterCoverage:
    """How far a quarter is reported: `reported` of the `expected` customers (those with
    figures the quarter before) have figures in it; `closed` once it is over."""

    period: str
    reported: int
    expected: int
    closed: bool
    complete: bool

    def as_dict(self):
        return {"period": self.period, "reported": self.reported, "expected": self.expected,
                "closed": self.closed, "complete": self.complete}


@dataclass(frozen=True)
class Window:
    """A scoring window and why it ends where it does."""

    periods: list  # oldest first; [] when there are no figures
    as_of: str  # the quarter a run named, or ""
    end: QuarterCoverage | None  # the window's last quarter
    skipped: list  # newer quarters with figures, not used (yet), newest first

    def as_dict(self):
        return {"periods": self.periods, "as_of": self.as_of,
                "end": self.end.as_dict() if self.end else None,
                "skipped": [quarter.as_dict() for quarter in self.skipped]}


# How many quarters back from the newest one with figures a window's end is looked for.
WINDOW_SEARCH_QUARTERS = 8


def _coverage(period, counts, closed, share):
    """The QuarterCoverage of `period`, `counts` being {period: customers with figures}."""
    previous = shift_period(period, -1)
    expected = counts.get(previous, 0)
    if not expected:
        reported = counts.get(period, 0)
    else:
        # Of the customers reported the quarter before, those reported in this one too.
        reported = (PeriodFigure.objects.filter(period=period, customer__is_active=True)
                    .filter(customer_id__in=PeriodFigure.objects.filter(period=previous)
                            .values("customer_id")).count())
    complete = closed and (not expected or reported >= share * expected)
    return QuarterCoverage(period=period, reported=reported, expected=expected,
                           closed=closed, complete=complete)


def window_status(policy, *, today, as_of=""):
    """Rule 1 with its reasons: the Window of `policy` on the tenant's `today`.

    It ends with `as_of` when given; otherwise with the newest quarter that is over and
    reported for the policy's coverage share of the customers reported the quarter
    before. Newer quarters with figures are listed as skipped, with their coverage (what
    the pages show as "2026Q4: 2 of 40 reported — not used yet"). When none of the last
    WINDOW_SEARCH_QUARTERS quarters with figures is complete, the newest one that is over
    ends the window. A few queries whatever the number of customers."""
    now = current_period(today)
    share = Decimal(policy.coverage_share)
    # Customers with figures per quarter (one row per customer and quarter), newest
    # first, from the (tenant, period) index.
    counts = dict(PeriodFigure.objects.filter(customer__is_active=True)
                  .values_list("period").annotate(n=Count("id")).order_by("-period")
                  [:WINDOW_SEARCH_QUARTERS + 12 + policy.lookback_quarters])
    if as_of:
        end = _coverage(as_of, counts, as_of < now, share)
        return Window(periods=window_periods(as_of, policy.lookback_quarters), as_of=as_of,
                      end=end, skipped=[])
    skipped, fallback = [], None
    for period in sorted(counts, reverse=True)[:WINDOW_SEARCH_QUARTERS]:
        quarter = _coverage(period, counts, period < now, share)
        if quarter.complete:
            return Window(periods=window_periods(period, policy.lookback_quarters),
                          as_of="", end=quarter, skipped=skipped)
        if quarter.closed and fallback is None:
            fallback = quarter
        skipped.append(quarter)
    if fallback is None:
        return Window(periods=[], as_of="", end=None, skipped=skipped)
    return Window(periods=window_periods(fallback.period, policy.lookback_quarters),
                  as_of="", end=fallback, skipped=[q for q in skipped
                                                   if q.period > fallback.period])


def scoring_window(policy, *, today):
    """Rule 1: the quarters of the window (see `window_status`), oldest first; []."""
    return window_status(policy, today=today).periods


def as_of_errors(period, *, today):
    """Messages for an `as_of` quarter a run cannot use; empty when it is fine."""
    if not PERIOD_RE.match(period or ""):
        return [_("Enter a quarter like 2026Q3 (year, the letter Q, quarter 1–4).")]
    if period >= current_period(today):
        return [_("%(period)s is not over yet: score up to a quarter that has ended.")
                % {"period": period}]
    return []


@transaction.atomic
def run_scoring(tenant, *, trigger=ScoringRun.Trigger.MANUAL, user=None, as_of=""):
    """Recompute every active customer's tier for `tenant` over the window ending with the
    latest complete quarter (or `as_of`); returns the ScoringRun. A fixed number of
    statements whatever the number of customers."""
    started = time.monotonic()
    today = tenant.today()
    if as_of:
        errors = as_of_errors(as_of, today=today)
        if errors:
            raise ValidationError({"as_of": errors})
    policy = current_policy(tenant)
    status = window_status(policy, today=today, as_of=as_of)
    window = status.periods
    run = ScoringRun.objects.create(
        tenant=tenant, policy=policy, policy_snapshot=policy_snapshot(policy), cut={},
        trigger=trigger, triggered_by=user, window_start=window[0] if window else "",
        window_end=window[-1] if window else "", as_of=as_of, coverage=status.as_dict(),
        started_at=timezone.now(),
    )
    periods = window or [""]  # no figures at all: no period matches, nobody is scored
    with connection.cursor() as cursor:
        cursor.execute(*scoring_statement(policy, periods, connection.vendor, tenant=tenant,
                                          run=run, today=today))
    apply_run_to_customers(run)

    assessments = TierAssessment.objects.filter(run=run)
    counts, computed = {"A": 0, "B": 0, "C": 0, "none": 0}, {}
    for row in assessments.values("tier", "computed_tier").annotate(count=Count("id")):
        counts[row["tier"] or "none"] += row["count"]
        computed[row["computed_tier"]] = computed.get(row["computed_tier"], 0) + row["count"]
    changed = list(assessments.exclude(tier=F("previous_tier"))
                   .values_list("customer_id", flat=True))
    customers_changed.send(sender=ScoringRun, tenant=tenant, customer_ids=changed)
    # One event per changed tier, read (one query) only if some webhook wants them.
    events.emit("customer.tier_changed", tenant=tenant, records=(
        tier_change(row, cause="scoring_run", run=run)
        for row in assessments.exclude(tier=F("previous_tier")).values(
            "customer_id", "customer__code", "customer__name", "previous_tier", "tier",
            "tier_source", "score")))

    scored = sum(count for tier, count in computed.items() if tier)
    if policy.method == TieringMethod.VALUE_SHARE:
        cut = {"method": policy.method, "n": scored,
               "a_cutoff": str(policy.a_revenue_cutoff),
               "b_cutoff": str(policy.b_revenue_cutoff)}
    else:
        cut = {"method": policy.method, "n": scored, "n_a": computed.get("A", 0),
               "n_b": computed.get("B", 0)}
    run.cut = cut
    run.customers_total = sum(counts.values())
    run.customers_scored = scored
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.tier_counts = counts
    run.changes = len(changed)
    run.save(update_fields=["cut", "customers_total", "customers_scored", "finished_at",
                            "duration_ms", "tier_counts", "changes"])
    events.emit("scoring_run.completed", tenant=tenant, records=[{"scoring_run": {
        "id": run.pk, "trigger": run.trigger, "as_of": run.as_of or None,
        "window_start": run.window_start or None, "window_end": run.window_end or None,
        "customers_total": run.customers_total, "customers_scored": run.customers_scored,
        "changes": run.changes, "tier_counts": counts}}])
    return run


def tier_change(row, *, cause, run=None):
    """The `customer.tier_changed` record of a customer whose tier moved (`row`: its id,
    code, name, previous tier, tier, tier source and score); `cause`: scoring_run,
    override or override_ended."""
    return {
        "customer": {"id": row["customer_id"], "code": row["customer__code"],
                     "name": row["customer__name"]},
        "tier": {"from": row["previous_tier"] or None, "to": row["tier"] or None},
        "tier_source": row["tier_source"] or None,
        "score": row["score"],
        "cause": cause,
        "scoring_run": run.pk if run is not None else None,
    }


def apply_run_to_customers(run):
    """Copy each active customer's tier, source and score from the run, in one UPDATE,
    touching only the customers whose values change (on a nightly re-run, few do).

    A join (UPDATE … FROM) rather than correlated subqueries: right after the bulk insert
    the planner has no statistics on the new assessment rows and would scan them once per
    customer. Written in SQL, so the tenant is named explicitly."""
    customer, assessment = Customer._meta.db_table, TierAssessment._meta.db_table
    # Raw SQL: `updated_at` is set here, as the tenant querysets set it for update().
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names come from the models, values are parameters.
            f"UPDATE {customer} SET tier = a.tier, tier_source = a.tier_source, "  # noqa: S608
            f"score = a.score, updated_at = %s FROM {assessment} a "
            f"WHERE a.run_id = %s AND a.tenant_id = %s AND a.customer_id = {customer}.id "
            f"AND {customer}.tenant_id = %s AND {customer}.is_active "
            f"AND ({customer}.tier <> a.tier OR {customer}.tier_source <> a.tier_source "
            f"OR ({customer}.score IS NULL) <> (a.score IS NULL) "
            f"OR {customer}.score <> a.score) RETURNING {customer}.id",
            [connection.ops.adapt_datetimefield_value(timezone.now()), run.pk, run.tenant_id,
             run.tenant_id],
        )
        changed = [pk for (pk,) in cursor.fetchall()]
    # The changed customers' history, in bulk (one read and one insert per batch).
    history.record_updates(Customer, pks=changed)


def prune_assessments(tenant, *, today, keep_days):
    """Delete the assessments that changed nothing (tier = previous tier) of the runs
    started more than `keep_days` before `today`, except the latest run's: a nightly run
    stores a row per customer, and the tier history needs only the changes. Two
    statements whatever the number of runs; returns the number of rows deleted."""
    cutoff = datetime.combine(today - timedelta(days=keep_days), dt_time.min,
                              tzinfo=tenant.tzinfo)
    latest = ScoringRun.objects.order_by("-started_at", "-id").values("pk")[:1]
    old_runs = ScoringRun.objects.filter(started_at__lt=cutoff, pruned=False).exclude(
        pk__in=Subquery(latest))
    deleted, _counts = (TierAssessment.objects.filter(run__in=old_runs.values("pk"))
                        .filter(tier=F("previous_tier")).delete())
    old_runs.update(pruned=True)
    return deleted


def latest_computed_tier(customer):
    assessment = (TierAssessment.objects.filter(customer=customer)
                  .order_by("-run__started_at", "-run_id").first())
    return (assessment.computed_tier, assessment.score) if assessment else ("", None)


# --- concentration -----------------------------------------------------------------

def concentration(tenant, policy=None):
    """Each customer's share of the tenant's revenue over the scoring window, and the
    portfolio figures: top-1 share, top-20 % share, Herfindahl–Hirschman index (0–10,000)."""
    # A read: the defaults stand in for a tenant that has saved no policy yet.
    policy = (policy or ScoringPolicy.objects.order_by("-version").first()
              or ScoringPolicy(tenant=tenant, version=1))
    window, rows = window_figures(policy, today=tenant.today())
    return {"window": window,
            **concentration_of(rows, policy.concentration_threshold)}


HHI_PLACES = Decimal("0.1")


def hhi(*, total: Decimal | None, squares: Decimal | None) -> Decimal | None:
    """The Herfindahl–Hirschman index, 0–10,000, from Σ revenue and Σ revenue²: Σ (100 ×
    share)² = 10,000 × Σ r² / (Σ r)², to one decimal; None without revenue. The one
    formula for the window (`concentration_of`) and the quarters (`concentration_trend`)."""
    if not total:
        return None
    return (10_000 * Decimal(squares or 0) / Decimal(total) ** 2).quantize(HHI_PLACES)


def concentration_of(rows, threshold):
    """The concentration figures of `rows` ({"customer_id", "revenue"} each): shares of
    their total, largest first, flagged above `threshold`; top-1 share, top-20 % share
    (the top ceil(20 % of n) customers) and the HHI (`hhi`)."""
    total = sum((Decimal(r["revenue"] or 0) for r in rows), Decimal(0))
    shares = sorted(
        ({"customer_id": r["customer_id"], "revenue": Decimal(r["revenue"] or 0),
          "share": (Decimal(r["revenue"] or 0) / total) if total else Decimal(0)}
         for r in rows),
        key=lambda r: -r["revenue"],
    )
    for row in shares:
        row["flagged"] = row["share"] > threshold
    top_n = math.ceil(len(shares) * 0.2) if shares else 0
    squares = sum((r["revenue"] ** 2 for r in shares), Decimal(0))
    return {
        "total_revenue": total,
        "threshold": threshold,
        "customers": shares,
        "top1_share": shares[0]["share"] if shares else Decimal(0),
        "top20_share": sum((r["share"] for r in shares[:top_n]), Decimal(0)),
        "top20_count": top_n,
        "hhi": hhi(total=total, squares=squares) or Decimal("0.0"),
    }


def concentration_trend(*, periods: list[str]) -> list[dict]:
    """[{period, hhi, top1_share, customers}] of the active customers' revenue in each
    of `periods` (in their order): the HHI (`hhi`; None without revenue), the largest
    customer's share of the quarter's revenue (0–1; None without revenue) and how many
    customers have figures in it. One grouped query, whatever the number of customers."""
    # Exact sums: PostgreSQL adds numerics faster than it converts them to floats.
    rows = (PeriodFigure.objects.filter(customer__is_active=True, period__in=periods)
            .order_by().values("period")
            .annotate(total=Sum("revenue"), squares=Sum(F("revenue") * F("revenue")),
                      top=Max("revenue"), n=Count("pk")))
    by_period = {row["period"]: row for row in rows}
    trend = []
    for period in periods:
        row = by_period.get(period)
        if not row or not row["total"]:
            trend.append({"period": period, "hhi": None, "top1_share": None, "customers": 0})
            continue
        trend.append({"period": period, "hhi": hhi(total=row["total"], squares=row["squares"]),
                      "top1_share": Decimal(row["top"]) / Decimal(row["total"]),
                      "customers": row["n"]})
    return trend
