"""The ABC tiering rules of customers/scoring.py, recomputed by hand where it matters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from customers import scoring, services
from customers.models import Customer, ScoringPolicy, ScoringRun, TierAssessment
from kam import periods
from kam.tenancy import tenant_context
from tests.factories import CustomerFactory, PeriodFigureFactory


def figures(tenant, code, periods=("2026Q3",), **values):
    customer = CustomerFactory(tenant=tenant, code=code, name=f"Customer {code}")
    for period in periods:
        PeriodFigureFactory(tenant=tenant, customer=customer, period=period, **values)
    return customer


def portfolio(tenant, n):
    """n customers whose revenue (and so score) falls with their number."""
    return [figures(tenant, f"K{i:03d}", revenue=1_000_000 - i * 10_000, supply_share=30,
                    gross_margin=20, payment_days=60, cost_to_serve=10_000)
            for i in range(n)]


def revenue_only(tenant, **changes):
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"revenue": 1}
    return ScoringPolicy.objects.create(tenant=tenant, version=2, weights=weights, **changes)


def test_tier_shares_follow_the_policy(in_tenant):
    portfolio(in_tenant, 40)
    run = scoring.run_scoring(in_tenant)
    assert run.tier_counts == {"A": 4, "B": 8, "C": 28, "none": 0}
    assert run.customers_scored == 40
    tiers = dict(Customer.objects.values_list("code", "tier"))
    assert [tiers[f"K{i:03d}"] for i in (0, 3, 4, 11, 12, 39)] == ["A", "A", "B", "B", "C", "C"]


@pytest.mark.parametrize(("n", "n_a", "n_b"), [(1, 1, 0), (10, 1, 2), (11, 2, 2), (30, 3, 6)])
def test_count_share_rounds_up_with_exact_decimals(in_tenant, n, n_a, n_b):
    # 30 × 0.1 is 3.0000000000000004 in floats: exactly 3 A customers, not 4.
    portfolio(in_tenant, n)
    run = scoring.run_scoring(in_tenant)
    assert run.tier_counts == {"A": n_a, "B": n_b, "C": n - n_a - n_b, "none": 0}
    assert (run.cut["n"], run.cut["n_a"], run.cut["n_b"]) == (n, n_a, n_b)


def test_a_higher_score_never_gets_a_lower_tier(in_tenant):
    for i in range(25):
        figures(in_tenant, f"M{i:02d}", revenue=100_000 + (i * 7919) % 1_000_000,
                supply_share=(i * 37) % 100, gross_margin=(i * 13) % 40, payment_days=30 + i,
                cost_to_serve=(i * 1000) % 9000)
    run = scoring.run_scoring(in_tenant)
    rows = list(TierAssessment.objects.filter(run=run).order_by("-score", "rank")
                .values_list("score", "tier"))
    order = {"A": 0, "B": 1, "C": 2}
    for (score_hi, tier_hi), (score_lo, tier_lo) in zip(rows, rows[1:], strict=False):
        assert score_hi >= score_lo
        assert order[tier_hi] <= order[tier_lo]


def test_score_and_breakdown_can_be_recomputed_by_hand(in_tenant):
    # Three customers, two weighted criteria: revenue (0.5) and payment days (0.5, lower better).
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"revenue": 0.5, "payment_days": 0.5}
    ScoringPolicy.objects.create(tenant=in_tenant, version=2, weights=weights)
    figures(in_tenant, "X", revenue=100, payment_days=30)
    figures(in_tenant, "Y", revenue=300, payment_days=90)
    figures(in_tenant, "Z", revenue=200, payment_days=60)
    run = scoring.run_scoring(in_tenant)
    by_code = {a.customer.code: a for a in
               TierAssessment.objects.filter(run=run).select_related("customer")}
    # X: revenue y=0, days y=1 -> 50; Y: 1 and 0 -> 50; Z: 0.5 and 0.5 -> 50.
    assert {code: a.score for code, a in by_code.items()} == {
        "X": Decimal("50.0000"), "Y": Decimal("50.0000"), "Z": Decimal("50.0000")}
    # Equal scores: ranked by window revenue, then code.
    assert [by_code[c].rank for c in ("Y", "Z", "X")] == [1, 2, 3]
    breakdown = scoring.breakdown_of(by_code["Z"])
    assert breakdown["criteria"]["payment_days"] == {"value": 60.0, "normalised": 0.5,
                                                     "weight": 0.5, "contribution": 25.0}
    assert breakdown["rank"] == 2 and breakdown["method"] == "count_share"
    assert breakdown["n"] == 3


def test_percentile_normalisation_counts_the_customers_that_do_worse(in_tenant):
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"revenue": 1, "payment_days": 1}
    ScoringPolicy.objects.create(tenant=in_tenant, version=2, weights=weights,
                                 normalisation="percentile")
    figures(in_tenant, "A", revenue=100, payment_days=30)
    figures(in_tenant, "B", revenue=200, payment_days=60)
    figures(in_tenant, "C", revenue=200, payment_days=60)
    figures(in_tenant, "D", revenue=400, payment_days=None)
    run = scoring.run_scoring(in_tenant)
    by_code = {a.customer.code: a for a in
               TierAssessment.objects.filter(run=run).select_related("customer", "run")}
    # revenue: 0, 1/3, 1/3, 1 of 3 others; days (lower is better, D has none): 1, 0, 0, –.
    assert {code: a.score for code, a in by_code.items()} == {
        "A": Decimal("50.0000"), "B": Decimal("16.6667"), "C": Decimal("16.6667"),
        "D": Decimal("50.0000")}
    assert [by_code[c].rank for c in "DABC"] == [1, 2, 3, 4]
    criteria = scoring.breakdown_of(by_code["B"])["criteria"]
    assert criteria["revenue"]["normalised"] == 0.333333
    assert criteria["payment_days"]["normalised"] == 0.0


def test_ties_are_broken_by_code_in_code_point_order(in_tenant):
    revenue_only(in_tenant)
    for code in ("a-1", "B-2", "b-1"):
        figures(in_tenant, code, revenue=500)
    run = scoring.run_scoring(in_tenant)
    ranks = dict(TierAssessment.objects.filter(run=run).values_list("customer__code", "rank"))
    assert ranks == {"B-2": 1, "a-1": 2, "b-1": 3}


def test_window_is_the_last_quarters_ending_at_the_latest_with_figures(in_tenant):
    policy = revenue_only(in_tenant, lookback_quarters=2)
    old = figures(in_tenant, "OLD", periods=("2025Q4",), revenue=9_000_000)
    figures(in_tenant, "NEW", periods=("2026Q2", "2026Q3"), revenue=100)
    window, rows = scoring.window_figures(policy, today=in_tenant.today())
    assert window == ["2026Q2", "2026Q3"]
    assert [r["customer_id"] for r in rows] != [old.pk]
    run = scoring.run_scoring(in_tenant)
    old.refresh_from_db()
    assert old.tier == "" and run.customers_scored == 1
    assert periods.window_periods("2026Q1", 4) == ["2025Q2", "2025Q3", "2025Q4", "2026Q1"]


def test_customer_without_figures_gets_no_tier(in_tenant):
    portfolio(in_tenant, 3)
    lonely = CustomerFactory(tenant=in_tenant, code="NOFIG")
    run = scoring.run_scoring(in_tenant)
    lonely.refresh_from_db()
    assert lonely.tier == "" and lonely.score is None
    assert run.customers_unscored == 1 and run.tier_counts["none"] == 1
    assessment = TierAssessment.objects.get(run=run, customer=lonely)
    assert assessment.computed_tier == "" and assessment.breakdown == {}


def test_value_share_hands_the_customer_that_crosses_80_percent_tier_a(in_tenant):
    revenue_only(in_tenant, method="value_share")
    # Shares 50 %, 25 %, 15 %, 6 %, 4 %: cumulative before = 0, 50, 75, 90, 96 %.
    for code, revenue in [("V1", 500), ("V2", 250), ("V3", 150), ("V4", 60), ("V5", 40)]:
        figures(in_tenant, code, revenue=revenue)
    scoring.run_scoring(in_tenant)
    tiers = dict(Customer.objects.values_list("code", "tier"))
    assert tiers == {"V1": "A", "V2": "A", "V3": "A", "V4": "B", "V5": "C"}


def test_cost_to_serve_is_a_ratio_and_zero_revenue_is_the_worst(in_tenant):
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"cost_to_serve": 1}
    ScoringPolicy.objects.create(tenant=in_tenant, version=2, weights=weights)
    figures(in_tenant, "CHEAP", revenue=1000, cost_to_serve=10)     # 1 %
    figures(in_tenant, "DEAR", revenue=1000, cost_to_serve=100)     # 10 %
    figures(in_tenant, "ZERO", revenue=0, cost_to_serve=0)          # undefined -> worst
    run = scoring.run_scoring(in_tenant)
    scores = dict(TierAssessment.objects.filter(run=run)
                  .values_list("customer__code", "score"))
    assert scores == {"CHEAP": Decimal("100.0000"), "DEAR": Decimal("0.0000"),
                      "ZERO": Decimal("0.0000")}


def test_constant_column_gives_zero(in_tenant):
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"supply_share": 1}
    ScoringPolicy.objects.create(tenant=in_tenant, version=2, weights=weights)
    portfolio(in_tenant, 3)  # all supply share 30
    run = scoring.run_scoring(in_tenant)
    assert set(TierAssessment.objects.filter(run=run).values_list("score", flat=True)) == {
        Decimal("0.0000")}


def test_override_survives_a_run_and_expiry_falls_back(in_tenant, admin_membership):
    customers = portfolio(in_tenant, 10)
    low = customers[-1]
    services.set_tier_override(low, tier="A", reason="Strategic EV platform",
                               expires_on=in_tenant.today() + timedelta(days=30),
                               user=admin_membership.user, role="executive")
    run = scoring.run_scoring(in_tenant)
    low.refresh_from_db()
    assert (low.tier, low.tier_source) == ("A", "override")
    assessment = TierAssessment.objects.get(run=run, customer=low)
    assert assessment.computed_tier == "C" and assessment.tier == "A"

    low.overrides.update(expires_on=in_tenant.today() - timedelta(days=1))
    scoring.run_scoring(in_tenant)
    low.refresh_from_db()
    assert (low.tier, low.tier_source) == ("C", "computed")


def test_ending_an_override_falls_back_to_the_computed_tier(in_tenant, admin_membership):
    customers = portfolio(in_tenant, 10)
    scoring.run_scoring(in_tenant)
    low = customers[-1]
    services.set_tier_override(low, tier="A", reason="Pinned", user=admin_membership.user,
                               expires_on=in_tenant.today(), role="admin")
    assert Customer.objects.get(pk=low.pk).tier == "A"
    services.end_tier_override(low, user=admin_membership.user)
    assert Customer.objects.get(pk=low.pk).tier == "C"


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_executives_and_admins_pin_tiers(in_tenant, admin_membership, role):
    customer = portfolio(in_tenant, 1)[0]
    with pytest.raises(services.ValidationError):
        services.set_tier_override(customer, tier="A", reason="x", user=admin_membership.user,
                                   expires_on=in_tenant.today(), role=role)


def test_override_needs_reason_and_future_expiry(in_tenant, admin_membership):
    customer = portfolio(in_tenant, 1)[0]
    with pytest.raises(services.ValidationError) as excinfo:
        services.set_tier_override(customer, tier="D", reason=" ", user=admin_membership.user,
                                   expires_on=in_tenant.today() - timedelta(days=1),
                                   role="admin")
    assert set(excinfo.value.message_dict) == {"tier", "reason", "expires_on"}


def test_previous_tier_and_changes_are_recorded(in_tenant):
    customers = portfolio(in_tenant, 10)
    scoring.run_scoring(in_tenant)
    # The last customer jumps to the top.
    customers[-1].figures.update(revenue=10_000_000)
    run = scoring.run_scoring(in_tenant)
    jumped = TierAssessment.objects.get(run=run, customer=customers[-1])
    assert (jumped.previous_tier, jumped.tier) == ("C", "A")
    # It went C -> A; the former A went to B and the last B to C.
    assert run.changes == 3


def test_run_is_set_based(in_tenant, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    portfolio(in_tenant, 8)
    with CaptureQueriesContext(connection) as small:
        scoring.run_scoring(in_tenant)
    portfolio_codes = [f"L{i:03d}" for i in range(72)]
    for code in portfolio_codes:
        figures(in_tenant, code, revenue=5000)
    with django_assert_max_num_queries(len(small.captured_queries)):
        run = scoring.run_scoring(in_tenant)
    assert run.customers_scored == 80


def test_runs_are_isolated_per_tenant(in_tenant, other_tenant):
    portfolio(in_tenant, 5)
    with tenant_context(other_tenant):
        figures(other_tenant, "OTHER", revenue=99_999_999)
    run = scoring.run_scoring(in_tenant)
    assert run.customers_total == 5
    with tenant_context(other_tenant):
        assert Customer.objects.get(code="OTHER").tier == ""


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite cannot add the tenant-checking keys to a table")
def test_the_database_refuses_an_assessment_of_another_tenants_customer(in_tenant,
                                                                        other_tenant):
    portfolio(in_tenant, 1)
    run = scoring.run_scoring(in_tenant)
    with tenant_context(other_tenant):
        foreign = figures(other_tenant, "OTHER", revenue=10)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # Past the model's own checks: straight into the table, as a raw statement could.
        cursor.execute(
            "INSERT INTO customers_tierassessment (tenant_id, run_id, customer_id, "
            "computed_tier, tier, tier_source, previous_tier, revenue, revenue_share, "
            "breakdown) VALUES (%s, %s, %s, '', '', '', '', 0, 0, '{}')",
            [in_tenant.pk, run.pk, foreign.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_weight_errors():
    assert scoring.weight_errors({"revenue": 1}) == []
    assert scoring.weight_errors({"revenue": -1})
    assert scoring.weight_errors({"nonsense": 1})
    assert scoring.weight_errors({"revenue": 0})
    assert scoring.weight_errors([1, 2])


def test_concentration(in_tenant):
    revenue_only(in_tenant)
    for code, revenue in [("BIG", 600), ("MID", 300), ("S1", 50), ("S2", 30), ("S3", 20)]:
        figures(in_tenant, code, revenue=revenue)
    result = scoring.concentration(in_tenant)
    assert result["top1_share"] == Decimal("0.6")
    assert result["top20_count"] == 1
    assert [r["flagged"] for r in result["customers"]] == [True, False, False, False, False]
    # HHI = 60² + 30² + 5² + 3² + 2² = 3600 + 900 + 25 + 9 + 4
    assert result["hhi"] == Decimal("4538.0")


def test_reading_the_concentration_saves_no_policy(tenant, in_tenant):
    figures = scoring.concentration(tenant)

    assert figures["customers"] == [] and figures["threshold"] == Decimal("0.30")
    assert not ScoringPolicy.objects.exists()


def test_a_breakdown_written_in_full_by_an_older_run_still_reads(in_tenant):
    figures(in_tenant, "X", revenue=100)
    run = scoring.run_scoring(in_tenant)
    assessment = TierAssessment.objects.select_related("run").get(run=run)
    full = {"criteria": {"revenue": {"value": 100.0, "normalised": 0.0, "weight": 1,
                                     "contribution": 0.0}}, "rank": 1, "method": "count_share"}
    TierAssessment.objects.filter(pk=assessment.pk).update(breakdown=full)
    assessment.refresh_from_db()

    assert scoring.breakdown_of(assessment) == full


def test_old_runs_keep_only_the_tier_changes(tenant, in_tenant, admin_client):
    portfolio(in_tenant, 10)
    old = scoring.run_scoring(in_tenant)  # every customer changes tier (from none)
    stay = Customer.objects.order_by("code").first()
    TierAssessment.objects.filter(run=old, customer=stay).update(previous_tier=F("tier"))
    ScoringRun.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - timedelta(days=401))
    latest = scoring.run_scoring(in_tenant)  # nothing changes

    deleted = scoring.prune_assessments(in_tenant, today=in_tenant.today(), keep_days=400)

    assert deleted == 1  # the old run's unchanged row; its nine changes stay
    assert TierAssessment.objects.filter(run=old).count() == 9
    assert TierAssessment.objects.filter(run=latest).count() == 10  # the latest run whole
    assert scoring.prune_assessments(in_tenant, today=in_tenant.today(), keep_days=400) == 0
    page = admin_client.get(reverse("scoring_run", args=[old.pk])).content.decode()
    assert 'id="run-pruned"' in page
