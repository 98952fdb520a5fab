"""Benchmark of the scoring run against a hand-written SQL floor (`make bench-scoring`).

Builds (or reuses) the tenant `bench` with N customers × Q quarters of random figures,
times `customers.scoring.run_scoring` and counts its queries, then computes the same
scores and ranks with one SQL statement on the same data: the floor. The run should
stay under 2 s for 10,000 customers on PostgreSQL and within 3× of the floor.
"""

import random
import time
from decimal import Decimal
from statistics import median

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Tenant
from customers import scoring
from customers.models import (
    Customer,
    Normalisation,
    PeriodFigure,
    ScoringRun,
    TierAssessment,
    TierOverride,
)
from kam import periods
from kam.tenancy import tenant_context

BENCH_SLUG = "bench"
TOP = 10

# criterion -> SQL aggregate over the window rows `w` (the brief's "Default scoring").
AGGREGATES = {
    "revenue": "SUM(w.revenue)",
    "supply_share": "AVG(w.supply_share)",
    "gross_margin": "AVG(w.gross_margin)",
    "payment_days": "AVG(w.payment_days)",
    "cost_to_serve": ("CASE WHEN SUM(w.revenue) = 0 THEN NULL "
                      "ELSE SUM(w.cost_to_serve) * 100 / SUM(w.revenue) END"),
    "on_time_delivery": "AVG(w.on_time_delivery)",
    "quality_ppm": "AVG(w.quality_ppm)",
    "market_influence": "MAX(w.latest_market_influence)",
    "loyalty": "MAX(w.latest_loyalty)",
    "strategic_fit": "MAX(w.latest_strategic_fit)",
}
QUARTER_NUMBER = "(CAST(SUBSTR({0}, 1, 4) AS INTEGER) * 4 + CAST(SUBSTR({0}, 6, 1) AS INTEGER))"


def floor_sql(policy):
    """One statement: the window, per-customer aggregates, min–max normalisation with
    MIN() OVER () / MAX() OVER (), the weighted sum and ROW_NUMBER() ranks. Parameters:
    tenant id (twice), the weights, their sum. Only names of scoring.CRITERIA and an
    integer are written into the text; every value is a parameter."""
    used = [(name, w) for name, w in policy.weights.items()
            if name in scoring.CRITERIA and w and w > 0]
    latest_columns = "".join(
        f""",
               FIRST_VALUE(f.{name}) OVER (
                   PARTITION BY f.customer_id
                   ORDER BY CASE WHEN f.{name} IS NULL THEN 1 ELSE 0 END, f.period DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
               ) AS latest_{name}"""
        for name, (how, _higher) in scoring.CRITERIA.items() if how == "latest"
    )
    aggregates = ",\n               ".join(f"{AGGREGATES[name]} AS x_{name}"
                                           for name, _w in used)
    bounds = ",\n               ".join(
        f"MIN(x_{name}) OVER () AS lo_{name}, MAX(x_{name}) OVER () AS hi_{name}"
        for name, _w in used)
    terms = []
    for name, _w in used:
        higher = scoring.CRITERIA[name][1]
        distance = f"x_{name} - lo_{name}" if higher else f"hi_{name} - x_{name}"
        terms.append(f"%s * CASE WHEN x_{name} IS NULL OR hi_{name} = lo_{name} THEN 0 "
                     f"ELSE ({distance}) * 1.0 / (hi_{name} - lo_{name}) END")
    weighted = "\n                 + ".join(terms)
    weights = [Decimal(str(w)) for _name, w in used]
    sql = f"""
        WITH latest AS (
            SELECT MAX(f.period) AS period
            FROM customers_periodfigure f
            JOIN customers_customer c ON c.id = f.customer_id
            WHERE f.tenant_id = %s AND c.is_active
        ),
        w AS (
            SELECT f.*{latest_columns}
            FROM customers_periodfigure f
            JOIN customers_customer c ON c.id = f.customer_id
            CROSS JOIN latest
            WHERE f.tenant_id = %s AND c.is_active
              AND {QUARTER_NUMBER.format("f.period")}
                  > {QUARTER_NUMBER.format("latest.period")} - {int(policy.lookback_quarters)}
        ),
        per_customer AS (
            SELECT w.customer_id, SUM(w.revenue) AS revenue,
               {aggregates}
            FROM w
            GROUP BY w.customer_id
        ),
        bounded AS (
            SELECT per_customer.*,
               {bounds}
            FROM per_customer
        ),
        scored AS (
            SELECT customer_id, revenue,
                   ROUND(100 * ({weighted}) / %s, 4) AS score
            FROM bounded
        )
        SELECT c.code, s.score, s.revenue,
               ROW_NUMBER() OVER (ORDER BY s.score DESC, s.revenue DESC, c.code) AS rank
        FROM scored s
        JOIN customers_customer c ON c.id = s.customer_id
        ORDER BY rank
    """  # noqa: S608 -- see the docstring
    return sql, [*weights, sum(weights)]


def quarters_ending(latest, count):
    return periods.window_periods(latest, count)


class Command(BaseCommand):
    help = ("Time a scoring run for a tenant of N customers × Q quarters against the same "
            "scoring done by one SQL statement (the floor).")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--quarters", type=int, default=4)
        parser.add_argument("--seed", type=int, default=20260101)
        parser.add_argument("--rebuild", action="store_true",
                            help="Rebuild the bench tenant's data even if it fits.")
        parser.add_argument("--repeat", type=int, default=5,
                            help="Time this many runs and floors; the medians are compared.")

    def handle(self, *args, customers, quarters, seed, rebuild, repeat, **options):
        if customers < 1 or quarters < 1 or repeat < 1:
            raise CommandError("--customers, --quarters and --repeat must be at least 1.")
        tenant, _created = Tenant.objects.get_or_create(
            slug=BENCH_SLUG, defaults={"name": "Scoring benchmark"})
        with tenant_context(tenant):
            self.prepare(tenant, customers, quarters, seed, rebuild)
            policy = scoring.current_policy(tenant)
            sql, params = floor_sql(policy)
            run_times, floor_times = [], []
            for _attempt in range(repeat):
                # Old runs only make the tables bigger; the bench tenant keeps none.
                TierAssessment.objects.all().delete()
                ScoringRun.objects.all().delete()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    run = scoring.run_scoring(tenant)
                run_times.append(time.perf_counter() - started)

                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, [tenant.pk, tenant.pk, *params])
                    floor = cursor.fetchall()
                floor_times.append(time.perf_counter() - started)

            run_ranks = dict(TierAssessment.objects.filter(run=run, rank__isnull=False)
                             .values_list("customer__code", "rank"))

        floor_top = [row[0] for row in floor[:TOP]]
        run_top = sorted((code for code, rank in run_ranks.items() if rank <= TOP),
                         key=run_ranks.get)
        same_rank = sum(1 for code, _score, _revenue, rank in floor if run_ranks.get(code) == rank)
        self.stdout.write(
            f"bench tenant: {customers} customers × {quarters} quarters "
            f"({customers * quarters} figure rows), database: {connection.vendor}")
        run_seconds, floor_seconds = median(run_times), median(floor_times)
        self.stdout.write(
            f"scoring run:  {run_seconds:.3f} s wall, median of {repeat} "
            f"({min(run_times):.3f}–{max(run_times):.3f}), {len(queries)} queries, "
            f"{run.customers_scored} scored")
        self.stdout.write(
            f"SQL floor:    {floor_seconds:.3f} s wall, median of {repeat} "
            f"({min(floor_times):.3f}–{max(floor_times):.3f}), 1 statement, {len(floor)} ranked")
        ratio = run_seconds / floor_seconds if floor_seconds else float("inf")
        self.stdout.write(f"run / floor:  {ratio:.1f}× (target: ≤ 3×, and < 2 s on PostgreSQL)")
        self.stdout.write("the last run, statement by statement (ms):")
        for query in queries.captured_queries:
            statement = " ".join(query["sql"].split())[:70]
            self.stdout.write(f"  {float(query['time']) * 1000:7.1f}  {statement}")
        if policy.normalisation != Normalisation.MINMAX:
            self.stdout.write("note: the policy normalises by percentile; the floor uses min–max")
        if run_top == floor_top:
            self.stdout.write(self.style.SUCCESS(f"top-{TOP} check: OK"))
        else:
            self.stdout.write(self.style.ERROR(
                f"top-{TOP} check: MISMATCH\n  run:   {run_top}\n  floor: {floor_top}"))
        self.stdout.write(f"same rank in run and floor: {same_rank} of {len(floor)} customers")

    def prepare(self, tenant, customers, quarters, seed, rebuild):
        """Reuse the bench data when it has the requested shape, else build it afresh."""
        figures = PeriodFigure.objects.count()
        stored_quarters = PeriodFigure.objects.values("period").distinct().count()
        if (not rebuild and Customer.objects.count() == customers
                and stored_quarters == quarters
                and figures == customers * quarters):
            self.stdout.write("reusing the bench tenant's data")
            return
        self.stdout.write(f"building {customers} customers × {quarters} quarters …")
        started = time.perf_counter()
        rng = random.Random(seed)
        # Quarters up to the last one that is over: the run scores complete quarters only.
        latest = str(periods.Quarter.of(tenant.today()) - 1)
        window = quarters_ending(latest, quarters)
        with transaction.atomic():
            TierAssessment.objects.all().delete()
            ScoringRun.objects.all().delete()
            TierOverride.objects.all().delete()
            PeriodFigure.objects.all().delete()
            Customer.objects.all().delete()
            made = Customer.objects.bulk_create(
                (Customer(tenant=tenant, code=f"B{n:06d}", name=f"Bench carmaker {n}")
                 for n in range(1, customers + 1)), batch_size=2000)
            if made[0].pk is None:  # a backend that returns no ids from bulk inserts
                made = list(Customer.objects.order_by("code"))
            PeriodFigure.objects.bulk_create(
                (self.random_figure(rng, tenant, customer, period)
                 for customer in made for period in window), batch_size=2000)
        self.stdout.write(f"built in {time.perf_counter() - started:.1f} s")

    @staticmethod
    def random_figure(rng, tenant, customer, period):
        revenue = Decimal(str(round(rng.lognormvariate(14, 1.2), 2)))
        return PeriodFigure(
            tenant=tenant, customer=customer, period=period, revenue=revenue,
            volume=rng.randint(0, 200_000),
            supply_share=None if rng.random() < 0.02 else Decimal(str(round(
                rng.uniform(2, 80), 2))),
            gross_margin=Decimal(str(round(rng.uniform(3, 35), 2))),
            payment_days=rng.choice([30, 45, 60, 90, 120]),
            cost_to_serve=(revenue * Decimal(str(round(rng.uniform(0.005, 0.06), 4))))
            .quantize(Decimal("0.01")),
            quality_ppm=Decimal(str(round(rng.uniform(0, 800), 1))),
            on_time_delivery=Decimal(str(round(rng.uniform(82, 100), 2))),
            market_influence=rng.randint(1, 5), loyalty=rng.randint(1, 5),
            strategic_fit=rng.randint(1, 5),
        )
