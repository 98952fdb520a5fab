"""Benchmark of the executive dashboard (`make bench-dashboard`).

Seeds a throwaway tenant (default: 5,000 customers with eight quarters of figures, 10,000
milestones, 20,000 OPL items, plus contacts, visits, teams and two answered survey
quarters for the A and B accounts) with bulk inserts, then times the dashboard's
selectors (every panel, and each one alone), full renders of the page and of the health
list through the test client (computed), the worker's refill of the cached dashboard and
the page served from it, several times each, and prints the median and the minimum with
the number of queries. Target: the page under 300 ms on PostgreSQL. The tenant and its
users are deleted afterwards (`--keep` leaves them).
"""

import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User
from customers.cadence import ensure_default_standards
from customers.models import Contact, Customer, Interaction, PeriodFigure, Region
from dashboards import caching, derived, selectors
from kam import db_roles
from kam import periods as kam_periods
from kam.tenancy import TenantOwnedModel, tenant_context
from projects.models import Milestone, MilestoneKind, Programme
from satisfaction.models import (
    Answer,
    Campaign,
    OplItem,
    Question,
    Response,
    Survey,
    SurveyTemplate,
)
from teams.models import Team, TeamMember

SLUG = "bench-dashboard"
EMAIL_DOMAIN = "bench-dashboard.invalid"
BATCH = 2000
DEPARTMENTS = ["purchasing", "engineering", "logistics", "quality"]
KINDS = [k for k in MilestoneKind.values if k != MilestoneKind.OTHER]


def timed(function, repeat):
    """(seconds of each run, queries of the last run)."""
    seconds = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
    return seconds, len(queries)


def ms(values):
    return f"median {statistics.median(values) * 1000:7.1f} ms, min {min(values) * 1000:7.1f} ms"


class Command(BaseCommand):
    help = ("Seed a throwaway tenant of N customers (figures, milestones, OPL items) and time "
            "the executive dashboard.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5_000)
        parser.add_argument("--quarters", type=int, default=8)
        parser.add_argument("--milestones", type=int, default=10_000)
        parser.add_argument("--opl", type=int, default=20_000)
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--seed", type=int, default=20260801)
        parser.add_argument("--keep", action="store_true",
                            help="Keep the bench tenant (and reuse it on the next run).")

    def handle(self, *args, customers, quarters, milestones, opl, repeat, seed, keep,
               **options):
        if min(customers, quarters, repeat) < 1 or milestones < 0 or opl < 0:
            raise CommandError("--customers, --quarters and --repeat must be at least 1.")
        tenant = Tenant.objects.filter(slug=SLUG).first()
        if tenant is None:
            tenant = Tenant.objects.create(slug=SLUG, name="Dashboard benchmark")
            started = time.perf_counter()
            self.stdout.write(f"seeding {customers} customers × {quarters} quarters, "
                              f"{milestones} milestones, {opl} OPL items …")
            with tenant_context(tenant), transaction.atomic():
                self.seed(tenant, random.Random(seed), customers, quarters, milestones, opl)
            self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s")
            # As autovacuum would soon after a bulk load: plans from statistics of the
            # empty tables would time a database no one runs.
            db_roles.analyze()
        else:
            self.stdout.write("reusing the bench tenant (made with --keep)")
        try:
            with tenant_context(tenant):
                self.measure(tenant, repeat)
        finally:
            if not keep:
                self.clean_up(tenant)

    # --- timing ---------------------------------------------------------------------------

    def measure(self, tenant, repeat):
        with tenant_context(tenant):
            counts = {model.__name__: model.objects.count() for model in (
                Customer, PeriodFigure, Milestone, OplItem, Contact, Interaction, Answer)}
        self.stdout.write("rows: " + ", ".join(f"{n} {name}" for name, n in counts.items())
                          + f"; database: {connection.vendor}")

        # What the nightly `account-health` job does; the day's pages then read it.
        seconds, queries = timed(lambda: derived.refresh(
            Customer.objects.filter(is_active=True), tenant=tenant, everything=True), 1)
        self.stdout.write(f"nightly health refresh:  {seconds[0] * 1000:7.1f} ms, "
                          f"{queries} queries")
        # As autovacuum would after rewriting every customer's health.
        db_roles.analyze("dashboards_accounthealth")

        def all_panels():
            selectors.dashboard(selectors.scope_for(tenant))

        all_panels()  # warm up (connections, caches of the database)
        seconds, queries = timed(all_panels, repeat)
        self.stdout.write(f"selectors, every panel:  {ms(seconds)}, {queries} queries")
        for name, panel in selectors.PANELS.items():
            seconds, queries = timed(lambda panel=panel: panel(selectors.scope_for(tenant)),
                                     repeat)
            self.stdout.write(f"  {name:<22} {ms(seconds)}, {queries} queries")

        region_id = Region.objects.order_by("pk").values_list("pk", flat=True).first()
        executive = Membership.objects.filter(role=Role.EXECUTIVE).select_related("user").first()
        client = Client()
        client.force_login(executive.user)
        for label, url in (("dashboard page", "/dashboard/"),
                           ("page, region filter", f"/dashboard/?region={region_id}"),
                           ("API health list", "/api/v1/dashboard/accounts/"),
                           ("customer list, at risk", "/customers/?health=at_risk")):
            # Computed: every request computes the figures (the dashboard cache is off),
            # reading the stored health.
            with override_settings(ALLOWED_HOSTS=["testserver"], DASHBOARD_CACHE_SECONDS=0):
                def get(url=url):
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                get()
                seconds, queries = timed(get, repeat)
            self.stdout.write(f"{label + ':':<25}{ms(seconds)}, {queries} queries")
        # The first page of a day on which the nightly refresh did not run: every
        # customer's health is recomputed (and stored) on the way.
        with override_settings(ALLOWED_HOSTS=["testserver"], DASHBOARD_CACHE_SECONDS=0):
            def get_outdated():
                derived.mark_stale(tenant)
                response = client.get("/dashboard/")
                assert response.status_code == 200, response.status_code
            seconds, queries = timed(get_outdated, repeat)
        self.stdout.write(f"{'page, health outdated:':<25}{ms(seconds)}, {queries} queries")
        # What the worker does a moment after a write (and the nightly job once a day),
        # and then what an executive opening the dashboard waits: the page from the cache.
        with override_settings(ALLOWED_HOSTS=["testserver"], DASHBOARD_CACHE_SECONDS=600):
            seconds, queries = timed(lambda: caching.refill(tenant), repeat)
            self.stdout.write(f"{'refill by the worker:':<25}{ms(seconds)}, {queries} queries")

            def get_cached():
                response = client.get("/dashboard/")
                assert response.status_code == 200, response.status_code
            seconds, queries = timed(get_cached, repeat)
        self.stdout.write(f"{'dashboard page, cached:':<25}{ms(seconds)}, {queries} queries")
        self.stdout.write("target: the dashboard page under 300 ms on PostgreSQL")

    # --- data -----------------------------------------------------------------------------

    def seed(self, tenant, rng, n_customers, n_quarters, n_milestones, n_opl):
        today = tenant.today()
        User.objects.bulk_create(
            User(email=f"kam{i}@{EMAIL_DOMAIN}", full_name=f"Bench KAM {i}",
                 password=make_password(None))
            for i in range(40))
        users = list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("pk"))
        Membership.objects.bulk_create(
            Membership(tenant=tenant, user=user,
                       role=Role.EXECUTIVE if i == 0 else Role.MANAGER)
            for i, user in enumerate(users))
        kams = users[1:]
        regions = Region.objects.bulk_create(
            Region(tenant=tenant, name=f"Region {i}", code=f"r{i}") for i in range(6))
        ensure_default_standards(tenant)

        n_a, n_b = n_customers // 10, n_customers // 5
        tiers = ["A"] * n_a + ["B"] * n_b + ["C"] * (n_customers - n_a - n_b)
        made = Customer.objects.bulk_create(
            (Customer(tenant=tenant, code=f"D{i:06d}", name=f"Bench carmaker {i:06d}",
                      region=rng.choice(regions), owner=rng.choice(kams), tier=tiers[i],
                      tier_source="computed")
             for i in range(n_customers)), batch_size=BATCH)
        customers = list(Customer.objects.order_by("code")) if made[0].pk is None else made
        key_accounts = [c for c in customers if c.tier in ("A", "B")]

        # Quarters up to the last one that is over: the dashboard reads complete ones.
        latest = str(kam_periods.Quarter.of(today) - 1)
        periods = kam_periods.window_periods(latest, n_quarters)
        base = {c.pk: rng.lognormvariate(14, 1.3) for c in customers}
        PeriodFigure.objects.bulk_create(
            (PeriodFigure(tenant=tenant, customer=c, period=period,
                          revenue=Decimal(str(round(base[c.pk] * rng.uniform(0.8, 1.2), 2))),
                          gross_margin=Decimal(str(round(rng.uniform(5, 30), 2))),
                          on_time_delivery=Decimal(str(round(rng.uniform(85, 100), 2))),
                          quality_ppm=Decimal(str(round(rng.uniform(0, 900), 1))))
             for c in customers for period in periods), batch_size=BATCH)

        Contact.objects.bulk_create(
            (Contact(tenant=tenant, customer=c, name=f"Contact {c.code}",
                     department=rng.choice(DEPARTMENTS), level="middle",
                     decision_role=rng.choice(["decision_maker", "user", "influencer"]),
                     attitude=rng.choice([2, 1, 0, -1]))
             for c in customers), batch_size=BATCH)
        Interaction.objects.bulk_create(
            (Interaction(tenant=tenant, customer=c, kind=rng.choice(
                ["business_review", "executive_visit", "technical_exchange"]),
                occurred_on=today - timedelta(days=rng.randint(0, 200)), summary="Visit")
             for c in key_accounts), batch_size=BATCH)
        teams = Team.objects.bulk_create(Team(tenant=tenant, customer=c) for c in key_accounts)
        TeamMember.objects.bulk_create(
            (TeamMember(tenant=tenant, team=team, user=team.customer.owner, role=role,
                        start_on=today - timedelta(days=400))
             for team in teams for role in (["AR", "SR", "FR"] if rng.random() < 0.8
                                            else ["AR"])), batch_size=BATCH)

        per_programme = 10
        programmes = Programme.objects.bulk_create(
            (Programme(tenant=tenant, customer=rng.choice(key_accounts), code=f"BP{i:05d}",
                       name=f"Bench programme {i}", stage="development",
                       sop_date=today + timedelta(days=rng.randint(-60, 700)))
             for i in range(max(1, n_milestones // per_programme))), batch_size=BATCH)
        rows = []
        for i in range(n_milestones):
            programme = programmes[i % len(programmes)]
            planned = programme.sop_date - timedelta(days=(per_programme - i // len(programmes)
                                                           % per_programme) * 40)
            done = planned < today and rng.random() < 0.8
            rows.append(Milestone(
                tenant=tenant, programme=programme, kind=KINDS[i % len(KINDS)],
                planned_date=planned,
                forecast_date=None if done else planned + timedelta(days=rng.choice(
                    [0, 0, 0, 3, 12])),
                actual_date=planned if done else None, status="done" if done else "not_started",
                progress=100 if done else 0, owner=rng.choice(kams)))
        Milestone.objects.bulk_create(rows, batch_size=BATCH)

        now = timezone.now()
        statuses = ["open"] * 4 + ["in_progress"] * 2 + ["blocked", "done", "verified",
                                                         "cancelled"]
        items = []
        for i in range(n_opl):
            opened = today - timedelta(days=rng.randint(0, 240))
            status = rng.choice(statuses)
            owner = rng.choice(kams)
            items.append(OplItem(
                tenant=tenant, customer=rng.choice(customers), title=f"Open point {i}",
                owner=owner, accountable=owner, opened_on=opened, status=status,
                due_date=opened + timedelta(days=rng.choice([14, 21, 30, 60])),
                closed_on=opened + timedelta(days=rng.randint(1, 60))
                if status in ("done", "verified") else None,
                last_update_at=now - timedelta(days=rng.randint(0, 40))))
        OplItem.objects.bulk_create(items, batch_size=BATCH)

        template = SurveyTemplate.objects.create(tenant=tenant, name="Bench survey")
        questions = [Question.objects.create(tenant=tenant, template=template, code=f"q{i}",
                                             dimension=dim, text_en=f"Question {i}",
                                             departments=DEPARTMENTS)
                     for i, dim in enumerate(["quality", "delivery"])]
        for back in (2, 1):
            quarter = kam_periods.Quarter.of(today) - back
            campaign = Campaign.objects.create(
                tenant=tenant, year=quarter.year, quarter=quarter.number, template=template,
                status="closed", closes_on=today)
            surveys = Survey.objects.bulk_create(
                (Survey(tenant=tenant, campaign=campaign, customer=c, template=template)
                 for c in key_accounts), batch_size=BATCH)
            responses = Response.objects.bulk_create(
                (Response(tenant=tenant, survey=s, department=d, source="agency",
                          submitted_at=now, recommend=rng.randint(4, 10))
                 for s in surveys for d in DEPARTMENTS[:2]), batch_size=BATCH)
            Answer.objects.bulk_create(
                (Answer(tenant=tenant, response=r, question=q, dimension=q.dimension,
                        weight=1, score=rng.randint(2, 5), scale_min=1, scale_max=5)
                 for r in responses for q in questions), batch_size=BATCH)

    def clean_up(self, tenant):
        """Delete every row of the bench tenant (raw deletes per table: the foreign keys are
        checked at commit), then its users and the tenant itself."""
        started = time.perf_counter()
        models = [m for m in apps.get_models() if issubclass(m, TenantOwnedModel)]
        with transaction.atomic(), tenant_context(tenant):
            for model in models:
                model.objects.filter(tenant=tenant)._raw_delete(connection.alias)
            User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
            Tenant.objects.filter(pk=tenant.pk).delete()
        self.stdout.write(f"bench tenant deleted in {time.perf_counter() - started:.1f} s")
