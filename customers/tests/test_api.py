"""The customers REST API: contract names, filters, tenant checks, bulk upsert, scoring
runs and overrides, role checks and bounded queries."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import (
    AccountPlan,
    Customer,
    Interaction,
    PeriodFigure,
    ScoringPolicy,
    ScoringRun,
    TierAssessment,
    TierOverride,
)
from customers.serializers import MAX_BULK_ROWS
from kam.tenancy import tenant_context
from tests.factories import (
    AccountPlanFactory,
    ContactFactory,
    CustomerFactory,
    InitiativeFactory,
    InteractionFactory,
    MembershipFactory,
    PeriodFigureFactory,
    RegionFactory,
    ScoringPolicyFactory,
    ServiceStandardFactory,
    TierOverrideFactory,
    UserFactory,
)

API = "/api/v1"


@pytest.fixture
def api(tenant, bearer_client):
    """`api(role)`: a Bearer client of a new member of tenant alpha with that role."""

    def make(role="admin"):
        client = bearer_client(MembershipFactory(tenant=tenant, role=role))
        client.user = client.api_token.user
        return client

    return make


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def in_db(tenant, query):
    with tenant_context(tenant):
        return query()


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


# --- customers -----------------------------------------------------------------------


def test_customer_has_the_contract_fields(tenant, api):
    CustomerFactory(tenant=tenant, code="OEM1", tier="A", tier_source="computed", score=71.5)

    response = api("viewer").get(f"{API}/customers/")

    assert response.status_code == 200
    body = response.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    row = body["results"][0]
    assert {"id", "code", "name", "tier", "tier_source", "lifecycle_stage", "owner", "region",
            "score", "parent", "segment", "country", "city", "is_active",
            "technology_roadmap", "pain_points", "positioning", "platform_plans"} <= set(row)
    assert (row["code"], row["tier"], row["tier_source"], row["score"]) == (
        "OEM1", "A", "computed", "71.5000")


def test_customer_create_and_read_only_tier(tenant, api):
    client = api("manager")
    region = RegionFactory(tenant=tenant)

    response = post(client, f"{API}/customers/", {
        "code": "GWM", "name": "Great Wall", "region": region.pk, "owner": client.user.pk,
        "lifecycle_stage": "key", "technology_roadmap": ["electrification", "lightweight"],
        "pain_points": ["cost"], "tier": "A", "score": "99.0", "tier_source": "override",
    })

    assert response.status_code == 201, response.content
    customer = in_db(tenant, lambda: Customer.objects.get(code="GWM"))
    assert customer.tenant_id == tenant.pk
    assert (customer.tier, customer.tier_source, customer.score) == ("", "", None)
    assert customer.technology_roadmap == ["electrification", "lightweight"]
    assert customer.owner == client.user


def test_customer_validation_is_400_naming_the_field(tenant, other_tenant, api):
    client = api("admin")
    CustomerFactory(tenant=tenant, code="DUP")
    foreign_region = RegionFactory(tenant=other_tenant)
    outsider = MembershipFactory(tenant=other_tenant).user

    response = post(client, f"{API}/customers/", {
        "code": "DUP", "name": "Twice", "technology_roadmap": ["teleportation"],
        "pain_points": "cost", "region": foreign_region.pk, "owner": outsider.pk,
    })

    assert response.status_code == 400
    assert {"technology_roadmap", "pain_points", "region", "owner"} <= set(response.json())

    # Unique codes are checked once the fields are valid.
    response = post(client, f"{API}/customers/", {"code": "DUP", "name": "Twice"})
    assert (response.status_code, list(response.json())) == (400, ["code"])
    assert in_db(tenant, Customer.objects.count) == 1


def test_customer_cannot_be_its_own_group(tenant, api):
    customer = CustomerFactory(tenant=tenant)

    response = patch(api("admin"), f"{API}/customers/{customer.pk}/", {"parent": customer.pk})

    assert response.status_code == 400
    assert "parent" in response.json()


def test_another_tenants_customer_is_404(other_tenant, api):
    theirs = CustomerFactory(tenant=other_tenant)
    client = api("admin")

    assert client.get(f"{API}/customers/{theirs.pk}/").status_code == 404
    assert patch(client, f"{API}/customers/{theirs.pk}/", {"name": "x"}).status_code == 404
    assert post(client, f"{API}/customers/{theirs.pk}/tier-override/", {}).status_code == 404


def test_customer_filters_search_and_ordering(tenant, api):
    north, south = RegionFactory(tenant=tenant), RegionFactory(tenant=tenant)
    owner = MembershipFactory(tenant=tenant).user
    CustomerFactory(tenant=tenant, code="A1", name="Alpha Motors", tier="A", region=north,
                    lifecycle_stage="key", owner=owner, city="Wuhu", score=90)
    CustomerFactory(tenant=tenant, code="B1", name="Beta Cars", tier="B", region=south,
                    lifecycle_stage="developing", score=50)
    CustomerFactory(tenant=tenant, code="N1", name="New Prospect", tier="", region=south,
                    lifecycle_stage="prospect")
    client = api("viewer")

    assert codes(client.get(f"{API}/customers/?tier=A")) == ["A1"]
    assert codes(client.get(f"{API}/customers/?tier=none")) == ["N1"]
    assert codes(client.get(f"{API}/customers/?lifecycle_stage=developing")) == ["B1"]
    assert sorted(codes(client.get(f"{API}/customers/?region={south.pk}"))) == ["B1", "N1"]
    assert codes(client.get(f"{API}/customers/?owner={owner.pk}")) == ["A1"]
    assert codes(client.get(f"{API}/customers/?q=wuhu")) == ["A1"]
    assert codes(client.get(f"{API}/customers/?search=prospect")) == ["N1"]
    assert codes(client.get(f"{API}/customers/?ordering=-code")) == ["N1", "B1", "A1"]
    assert client.get(f"{API}/customers/?tier=Z").status_code == 400


# --- period figures ------------------------------------------------------------------


def figure_payload(customer, **changes):
    return {"customer": customer.pk, "period": "2026Q2", "revenue": "1500000.00",
            "supply_share": "35.5", "gross_margin": "18", "payment_days": 60,
            "cost_to_serve": "25000", **changes}


def test_figure_has_the_contract_fields(tenant, api):
    figure = PeriodFigureFactory(tenant=tenant, period="2026Q3")

    row = api("viewer").get(f"{API}/customer-figures/").json()["results"][0]

    assert {"id", "customer", "customer_code", "period", "revenue", "volume", "supply_share",
            "gross_margin", "payment_days", "cost_to_serve", "quality_ppm",
            "on_time_delivery", "market_influence", "loyalty", "strategic_fit"} <= set(row)
    assert (row["customer"], row["customer_code"], row["period"]) == (
        figure.customer_id, figure.customer.code, "2026Q3")


def test_figure_create_normalises_the_period(tenant, api):
    customer = CustomerFactory(tenant=tenant)

    response = post(api("admin"), f"{API}/customer-figures/",
                    figure_payload(customer, period=" 2026q2 "))

    assert response.status_code == 201, response.content
    assert response.json()["period"] == "2026Q2"


def test_figure_for_another_tenants_customer_is_400_naming_customer(other_tenant, api):
    theirs = CustomerFactory(tenant=other_tenant)

    response = post(api("manager"), f"{API}/customer-figures/", figure_payload(theirs))

    assert response.status_code == 400
    assert list(response.json()) == ["customer"]
    assert in_db(other_tenant, PeriodFigure.objects.count) == 0


def test_duplicate_period_is_400_not_an_integrity_error(tenant, api):
    figure = PeriodFigureFactory(tenant=tenant, period="2026Q2")
    client = api("admin")

    response = post(client, f"{API}/customer-figures/", figure_payload(figure.customer))
    assert response.status_code == 400
    assert "period" in response.json()

    # Editing the row itself is no duplicate.
    response = patch(client, f"{API}/customer-figures/{figure.pk}/", {"revenue": "7.00"})
    assert response.status_code == 200, response.content


def test_figure_ranges_and_quarters_are_checked(tenant, api):
    customer = CustomerFactory(tenant=tenant)

    response = post(api("manager"), f"{API}/customer-figures/", figure_payload(
        customer, period="2026Q5", supply_share="120", revenue="-1", market_influence=9))

    assert response.status_code == 400
    assert {"period", "supply_share", "revenue", "market_influence"} <= set(response.json())


def test_figure_filters(tenant, api):
    one, two = CustomerFactory(tenant=tenant, code="F1"), CustomerFactory(tenant=tenant,
                                                                          code="F2")
    for period in ("2025Q4", "2026Q1", "2026Q2"):
        PeriodFigureFactory(tenant=tenant, customer=one, period=period)
    PeriodFigureFactory(tenant=tenant, customer=two, period="2026Q2")
    client = api("viewer")

    def rows(query):
        response = client.get(f"{API}/customer-figures/?{query}")
        assert response.status_code == 200
        return [(r["customer_code"], r["period"]) for r in response.json()["results"]]

    assert rows("customer_code=F2") == [("F2", "2026Q2")]
    assert rows(f"customer={one.pk}&period_from=2026Q1") == [("F1", "2026Q2"), ("F1", "2026Q1")]
    assert sorted(rows("period=2026Q2")) == [("F1", "2026Q2"), ("F2", "2026Q2")]


# --- bulk upsert ---------------------------------------------------------------------


def test_bulk_upload_with_bad_rows_writes_nothing_and_names_them(tenant, other_tenant, api):
    CustomerFactory(tenant=tenant, code="OK1")
    CustomerFactory(tenant=other_tenant, code="THEIRS")

    response = post(api("admin"), f"{API}/customer-figures/bulk/", [
        {"customer_code": "OK1", "period": "2026Q1", "revenue": "100"},
        {"customer_code": "OK1", "period": "2026Q2", "revenue": "100", "supply_share": "150"},
        {"customer_code": "NOPE", "period": "2026Q2", "revenue": "100"},
        {"customer_code": "OK1", "period": "2026Q3", "revenue": "lots"},
        {"customer_code": "THEIRS", "period": "2026Q2", "revenue": "100"},
        {"customer_code": "OK1", "period": "2026Q1", "revenue": "200"},
        "not a row",
    ])

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {
        (2, "supply_share"), (3, "customer_code"), (4, "revenue"), (5, "customer_code"),
        (6, "period"), (7, "non_field_errors"),
    }
    assert all(e["message"] for e in errors)
    assert [e["row"] for e in errors] == sorted(e["row"] for e in errors)
    assert in_db(tenant, PeriodFigure.objects.count) == 0


def test_bulk_upload_updates_and_creates_all_or_nothing(tenant, api):
    customer = CustomerFactory(tenant=tenant, code="UP1")
    existing = PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                                   revenue=100, gross_margin=10)
    CustomerFactory(tenant=tenant, code="UP2")

    response = post(api("admin"), f"{API}/customer-figures/bulk/", [
        {"customer_code": "UP1", "period": "2026q1", "revenue": "250.50"},
        {"customer_code": "UP2", "period": "2026Q1", "revenue": 300, "payment_days": 45,
         "market_influence": 4},
    ])

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 1, "rescoring": {
        "advised": True, "customers_changed": 2,
        "url": "http://testserver/api/v1/scoring-runs/"}}
    with tenant_context(tenant):
        existing.refresh_from_db()
        assert (existing.revenue, existing.gross_margin) == (Decimal("250.50"), Decimal("10"))
        new = PeriodFigure.objects.get(customer__code="UP2")
        assert (new.period, new.revenue, new.payment_days, new.market_influence) == (
            "2026Q1", Decimal("300"), 45, 4)


def test_bulk_upload_of_figures_already_stored_advises_no_re_scoring(tenant, api):
    customer = CustomerFactory(tenant=tenant, code="UP1")
    PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1", revenue=100)

    response = post(api("admin"), f"{API}/customer-figures/bulk/",
                    [{"customer_code": "UP1", "period": "2026Q1", "revenue": "100.00"}])

    assert response.status_code == 200, response.content
    assert response.json()["rescoring"]["advised"] is False
    assert response.json()["rescoring"]["customers_changed"] == 0


def test_bulk_upload_reads_quarters_as_people_write_them(tenant, api):
    CustomerFactory(tenant=tenant, code="P1")

    response = post(api("admin"), f"{API}/customer-figures/bulk/", [
        {"customer_code": "P1", "period": period, "revenue": n}
        for n, period in enumerate(["2026-Q1", "2026 Q2", "Q3 2026", "q4-2026"])])
    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        assert sorted(PeriodFigure.objects.values_list("period", flat=True)) == [
            "2026Q1", "2026Q2", "2026Q3", "2026Q4"]

    response = post(api("admin"), f"{API}/customer-figures/bulk/",
                    [{"customer_code": "P1", "period": "26-Q1", "revenue": 1}])
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "row": 1, "field": "period",
        "message": "Enter a quarter like 2026Q3 (year, the letter Q, quarter 1–4)."}]


def test_bulk_errors_are_in_the_words_of_the_import(tenant, api):
    CustomerFactory(tenant=tenant, code="OK1")

    response = post(api("admin"), f"{API}/customer-figures/bulk/", [
        {"customer_code": "OK1", "period": "2026Q1", "revenue": "100"},
        {"customer_code": "OK1", "period": "2026Q2", "revenue": "100", "supply_share": 150},
        {"customer_code": "OK1", "period": "2026Q3", "revenue": "lots"},
        {"customer_code": "OK1", "period": "2026Q4", "revenue": 1, "payment_days": 12.5},
        {"customer_code": "OK1", "period": "2025Q4", "revenue": 1, "market_influence": 0},
        {"period": "2026Q1", "revenue": 1},
        "not a row",
        {"customer_code": "OK1", "period": "2026 Q1", "revenue": 2},
    ])

    assert response.status_code == 400
    assert [(e["row"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (2, "supply_share", "supply_share must be at most 100."),
        (3, "revenue", "revenue must be a number, not “lots”."),
        (4, "payment_days", "payment_days must be a whole number, not “12.5”."),
        (5, "market_influence", "market_influence must be at least 1."),
        (6, "customer_code", "customer_code is missing."),
        (7, "non_field_errors",
         "Each row must be a JSON object with customer_code, period and the figures."),
        (8, "period", "OK1 2026Q1 appears twice in this upload (also line 1)."),
    ]


def test_bulk_upload_new_row_needs_revenue(tenant, api):
    CustomerFactory(tenant=tenant, code="R1")

    response = post(api("admin"), f"{API}/customer-figures/bulk/",
                    [{"customer_code": "R1", "period": "2026Q1", "supply_share": "20"}])

    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "revenue")]


@pytest.mark.parametrize("body", [
    {"customer_code": "X", "period": "2026Q1"}, "rows", None, 7,
])
def test_bulk_body_must_be_a_list(api, body):
    response = post(api("manager"), f"{API}/customer-figures/bulk/", body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] is None


def test_bulk_rejects_malformed_json_and_too_many_rows(api):
    client = api("manager")

    response = client.post(f"{API}/customer-figures/bulk/", "[{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] is None

    rows = [{"customer_code": "X", "period": "2026Q1"}] * (MAX_BULK_ROWS + 1)
    response = post(client, f"{API}/customer-figures/bulk/", rows)
    assert response.status_code == 400
    assert str(MAX_BULK_ROWS) in response.json()["errors"][0]["message"]


def test_bulk_upload_is_for_managers_and_admins(api):
    response = post(api("viewer"), f"{API}/customer-figures/bulk/", [])

    assert response.status_code == 403


# --- scoring runs, assessments, overrides -------------------------------------------


def scored_portfolio(tenant, n=10):
    customers = []
    for i in range(n):
        customer = CustomerFactory(tenant=tenant, code=f"S{i:02d}")
        for period in ("2026Q1", "2026Q2"):
            PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                                revenue=1_000_000 - i * 50_000, supply_share=40 - i,
                                gross_margin=20, payment_days=60, cost_to_serve=10_000)
        customers.append(customer)
    return customers


def test_post_scoring_run_scores_the_tokens_tenant(tenant, other_tenant, api):
    scored_portfolio(tenant, 10)
    CustomerFactory(tenant=tenant, code="NOFIG")
    scored_portfolio(other_tenant, 3)
    client = api("executive")

    response = client.post(f"{API}/scoring-runs/", content_type="application/json")

    assert response.status_code == 201, response.content
    run = response.json()
    assert run["trigger"] == "api"
    assert (run["customers_total"], run["customers_scored"], run["customers_unscored"]) == (
        11, 10, 1)
    assert run["tier_counts"] == {"A": 1, "B": 2, "C": 7, "none": 1}
    assert (run["window_start"], run["window_end"]) == ("2025Q3", "2026Q2")
    assert run["policy_version"] == 1
    assert run["duration_ms"] is not None
    with tenant_context(tenant):
        assert TierAssessment.objects.filter(run_id=run["id"]).count() == 11
        assert ScoringRun.objects.get(pk=run["id"]).triggered_by == client.user
        assert Customer.objects.get(code="S00").tier == "A"
    with tenant_context(other_tenant):
        assert not ScoringRun.objects.exists()

    listed = client.get(f"{API}/scoring-runs/").json()["results"]
    assert [r["id"] for r in listed] == [run["id"]]

    assessments = client.get(f"{API}/tier-assessments/?run={run['id']}&tier=A").json()
    assert assessments["count"] == 1
    top = assessments["results"][0]
    assert {"customer", "run", "score", "rank", "tier", "computed_tier", "tier_source",
            "previous_tier", "breakdown", "revenue", "revenue_share"} <= set(top)
    assert (top["customer_code"], top["rank"], top["tier_source"]) == ("S00", 1, "computed")
    assert "revenue" in top["breakdown"]["criteria"]


def test_override_through_the_api_survives_a_run(tenant, api):
    customers = scored_portfolio(tenant, 10)
    last = customers[-1]
    client = api("executive")
    expires = (timezone.now().date() + timedelta(days=60)).isoformat()

    response = post(client, f"{API}/customers/{last.pk}/tier-override/",
                    {"tier": "A", "reason": "Platform award 2027", "expires_on": expires})
    assert response.status_code == 201, response.content
    assert {"id", "customer", "tier", "reason", "expires_on", "in_force"} <= set(response.json())

    assert client.post(f"{API}/scoring-runs/", content_type="application/json").status_code == 201

    customer = client.get(f"{API}/customers/{last.pk}/").json()
    assert (customer["tier"], customer["tier_source"]) == ("A", "override")
    assessment = client.get(f"{API}/tier-assessments/?customer={last.pk}").json()["results"][0]
    assert (assessment["tier"], assessment["computed_tier"], assessment["tier_source"]) == (
        "A", "C", "override")
    overrides = client.get(f"{API}/tier-overrides/?in_force=true").json()
    assert [o["customer"] for o in overrides["results"]] == [last.pk]

    # Ending it falls back to the computed tier; there is nothing left to end.
    response = client.delete(f"{API}/customers/{last.pk}/tier-override/")
    assert response.status_code == 200
    assert (response.json()["tier"], response.json()["tier_source"]) == ("C", "computed")
    assert client.delete(f"{API}/customers/{last.pk}/tier-override/").status_code == 404
    assert client.get(f"{API}/tier-overrides/?in_force=true").json()["count"] == 0


def test_override_validation_errors_name_the_fields(tenant, api):
    customer = CustomerFactory(tenant=tenant)
    client = api("admin")
    url = f"{API}/customers/{customer.pk}/tier-override/"

    response = post(client, url, {"tier": "D", "reason": "", "expires_on": "someday"})
    assert response.status_code == 400
    assert {"tier", "reason", "expires_on"} <= set(response.json())

    yesterday = (timezone.now().date() - timedelta(days=2)).isoformat()
    response = post(client, url, {"tier": "B", "reason": "why", "expires_on": yesterday})
    assert response.status_code == 400
    assert list(response.json()) == ["expires_on"]
    assert in_db(tenant, TierOverride.objects.count) == 0


@pytest.mark.parametrize(("role", "method", "path", "allowed"), [
    ("viewer", "post", "customers/", False),
    ("member", "post", "customers/", False),
    ("executive", "post", "customers/", False),
    ("manager", "post", "customers/", True),
    ("manager", "post", "customers/{pk}/tier-override/", False),
    ("viewer", "post", "customers/{pk}/tier-override/", False),
    ("executive", "post", "customers/{pk}/tier-override/", True),
    ("manager", "delete", "customers/{pk}/tier-override/", False),
    ("manager", "post", "scoring-runs/", False),
    ("executive", "post", "scoring-runs/", True),
    ("manager", "post", "scoring-policies/", False),
    ("executive", "post", "scoring-policies/", False),
    ("manager", "post", "regions/", False),
    ("manager", "post", "service-standards/", False),
    ("viewer", "post", "contacts/", False),
    ("viewer", "post", "customer-figures/", False),
    ("viewer", "post", "interactions/", False),
    ("viewer", "post", "account-plans/", False),
    ("viewer", "post", "initiatives/", False),
])
def test_write_roles(tenant, api, role, method, path, allowed):
    customer = CustomerFactory(tenant=tenant)
    client = api(role)
    response = getattr(client, method)(f"{API}/{path.format(pk=customer.pk)}",
                                       "{}", content_type="application/json")

    if allowed:
        assert response.status_code != 403, response.content
    else:
        assert response.status_code == 403


def test_every_role_reads(tenant, api):
    CustomerFactory(tenant=tenant)
    for role in ("viewer", "member", "manager", "executive", "admin"):
        client = api(role)
        for resource in ("customers", "customer-figures", "scoring-runs", "tier-assessments",
                         "scoring-policies", "regions", "contacts", "interactions",
                         "service-standards", "account-plans", "initiatives",
                         "tier-overrides", "customers/concentration"):
            assert client.get(f"{API}/{resource}/").status_code == 200, (role, resource)


# --- policies ------------------------------------------------------------------------


def test_policy_post_creates_the_next_version(tenant, api):
    ScoringPolicyFactory(tenant=tenant, version=1)
    client = api("admin")
    weights = {"revenue": 0.5, "supply_share": 0.5}

    response = post(client, f"{API}/scoring-policies/",
                    {"weights": weights, "method": "value_share", "lookback_quarters": 8})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["weights"], body["method"]) == (2, weights, "value_share")
    assert body["created_by"] == client.user.pk
    assert [p["version"] for p in client.get(f"{API}/scoring-policies/").json()["results"]] == [
        2, 1]


@pytest.mark.parametrize("weights", [
    '{"revenue": -1}', '{"colour": 1}', '{"revenue": 0}', "[1, 2]", '{"revenue": "high"}',
    '{"revenue": true}', '{"revenue": 1e400}', '"revenue"',
])
def test_policy_with_bad_weights_is_400(tenant, api, weights):
    response = api("admin").post(f"{API}/scoring-policies/", f'{{"weights": {weights}}}',
                                 content_type="application/json")

    assert response.status_code == 400
    assert "weights" in response.json()
    assert in_db(tenant, ScoringPolicy.objects.count) == 0


def test_policy_shares_are_checked_by_the_model(api):
    response = post(api("admin"), f"{API}/scoring-policies/",
                    {"a_share": "0.6", "b_share": "0.6"})

    assert response.status_code == 400
    assert "b_share" in response.json()


# --- concentration -------------------------------------------------------------------


def test_concentration_summary(tenant, api):
    for code, revenue in (("BIG", 600), ("MID", 300), ("SMALL", 100)):
        PeriodFigureFactory(tenant=tenant, customer=CustomerFactory(tenant=tenant, code=code),
                            period="2026Q2", revenue=revenue)

    response = api("viewer").get(f"{API}/customers/concentration/")

    assert response.status_code == 200
    body = response.json()
    assert body["window"][-1] == "2026Q2"
    assert (body["total_revenue"], body["top1_share"], body["top20_count"]) == (
        "1000.00", "0.600000", 1)
    assert body["hhi"] == "4600.0"
    assert [(c["code"], c["share"], c["flagged"]) for c in body["customers"]] == [
        ("BIG", "0.600000", True), ("MID", "0.300000", False), ("SMALL", "0.100000", False)]


# --- relationship map, interactions, standards, plans ---------------------------------


def test_contact_counterpart_must_be_a_member(tenant, other_tenant, api):
    customer = CustomerFactory(tenant=tenant)
    outsider = MembershipFactory(tenant=other_tenant).user
    client = api("admin")
    payload = {"customer": customer.pk, "name": "Li Wei", "department": "purchasing",
               "level": "executive", "decision_role": "decision_maker", "attitude": 2}

    response = post(client, f"{API}/contacts/", {**payload, "counterpart": outsider.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["counterpart"]

    response = post(client, f"{API}/contacts/", {**payload, "counterpart": client.user.pk})
    assert response.status_code == 201, response.content


def test_interaction_with_people_and_contacts(tenant, other_tenant, api):
    customer = CustomerFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, customer=customer, last_contact_on=None)
    elsewhere = ContactFactory(tenant=tenant)  # a contact of another customer
    colleague = MembershipFactory(tenant=tenant).user
    outsider = UserFactory()
    client = api("admin")
    payload = {"customer": customer.pk, "kind": "executive_visit", "occurred_on": "2026-05-04",
               "level": "executive", "summary": "Visit to discuss the 2027 platform.",
               "our_people": [client.user.pk, colleague.pk], "contacts": [contact.pk]}

    response = post(client, f"{API}/interactions/", {**payload, "contacts": [elsewhere.pk]})
    assert response.status_code == 400
    assert list(response.json()) == ["contacts"]
    response = post(client, f"{API}/interactions/", {**payload, "our_people": [outsider.pk]})
    assert response.status_code == 400
    assert list(response.json()) == ["our_people"]
    assert in_db(tenant, Interaction.objects.count) == 0

    response = post(client, f"{API}/interactions/", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["our_people"]) == sorted([client.user.pk, colleague.pk])
    assert (body["contacts"], body["created_by"]) == ([contact.pk], client.user.pk)
    with tenant_context(tenant):
        contact.refresh_from_db()
        assert contact.last_contact_on.isoformat() == "2026-05-04"

    # A partial update keeps the participants it does not name.
    response = patch(client, f"{API}/interactions/{body['id']}/", {"summary": "Updated."})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["our_people"]) == sorted(body["our_people"])
    assert response.json()["contacts"] == [contact.pk]


def test_standards_plans_and_regions_are_unique_per_tenant(tenant, other_tenant, api):
    ServiceStandardFactory(tenant=tenant, tier="A", kind="executive_visit")
    ServiceStandardFactory(tenant=other_tenant, tier="B", kind="call")
    plan = AccountPlanFactory(tenant=tenant, year=2026)
    RegionFactory(tenant=tenant, code="east")
    RegionFactory(tenant=other_tenant, code="west")
    client = api("admin")

    response = post(client, f"{API}/service-standards/",
                    {"tier": "A", "kind": "executive_visit", "max_days": 30})
    assert (response.status_code, list(response.json())) == (400, ["kind"])
    response = post(client, f"{API}/service-standards/",
                    {"tier": "B", "kind": "call", "max_days": 30})
    assert response.status_code == 201, response.content

    response = post(client, f"{API}/account-plans/",
                    {"customer": plan.customer_id, "year": 2026, "revenue_target": "1"})
    assert (response.status_code, list(response.json())) == (400, ["year"])

    response = post(client, f"{API}/regions/", {"name": "East", "code": "east"})
    assert (response.status_code, list(response.json())) == (400, ["code"])
    response = post(client, f"{API}/regions/", {"name": "West", "code": "west"})
    assert response.status_code == 201, response.content


def test_account_plan_shows_its_initiatives(tenant, other_tenant, api):
    plan = AccountPlanFactory(tenant=tenant)
    InitiativeFactory(tenant=tenant, plan=plan, title="Seat frame localisation")
    theirs = AccountPlanFactory(tenant=other_tenant)
    client = api("admin")

    row = client.get(f"{API}/account-plans/{plan.pk}/").json()
    assert [i["title"] for i in row["initiatives"]] == ["Seat frame localisation"]

    response = post(client, f"{API}/initiatives/",
                    {"plan": theirs.pk, "title": "Sneak in", "owner": client.user.pk})
    assert (response.status_code, list(response.json())) == (400, ["plan"])
    response = post(client, f"{API}/initiatives/",
                    {"plan": plan.pk, "title": "Door panel RFQ", "owner": client.user.pk,
                     "due_on": "2026-09-30", "status": "in_progress"})
    assert response.status_code == 201, response.content
    assert in_db(tenant, lambda: AccountPlan.objects.get().initiatives.count()) == 2


# --- bounded queries -----------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize(("resource", "make"), [
    ("customers", lambda tenant, owner: CustomerFactory(
        tenant=tenant, owner=owner, parent=CustomerFactory(tenant=tenant))),
    ("customer-figures", lambda tenant, owner: PeriodFigureFactory(tenant=tenant)),
    ("interactions", lambda tenant, owner: InteractionFactory(tenant=tenant)),
    ("account-plans", lambda tenant, owner: InitiativeFactory(tenant=tenant, owner=owner)),
    ("contacts", lambda tenant, owner: ContactFactory(tenant=tenant, counterpart=owner)),
    ("tier-overrides", lambda tenant, owner: TierOverrideFactory(tenant=tenant)),
])
def test_lists_run_a_fixed_number_of_queries(tenant, api, django_assert_max_num_queries,
                                             resource, make):
    client = api("viewer")
    owner = client.user
    url = f"{API}/{resource}/?page_size=500"
    for _ in range(3):
        make(tenant, owner)
    client.get(url)  # warm up: the token's first use is recorded once
    small = count_queries(client, url)

    for _ in range(30):
        make(tenant, owner)
    if resource == "interactions":
        with tenant_context(tenant):
            for interaction in Interaction.objects.all():
                interaction.our_people.add(owner, through_defaults={"tenant": tenant})
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.json()["count"] >= 33
