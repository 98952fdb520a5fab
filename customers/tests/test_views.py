"""The customers pages in the browser: list, forms, the account 360 page, scoring pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import scoring
from customers.models import (
    AccountPlan,
    Contact,
    Customer,
    Interaction,
    PeriodFigure,
    ScoringPolicy,
    ScoringRun,
    ServiceStandard,
    TierOverride,
)
from kam.tenancy import tenant_context
from tests.factories import (
    AccountPlanFactory,
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    MembershipFactory,
    PeriodFigureFactory,
    RegionFactory,
    ServiceStandardFactory,
    TierOverrideFactory,
)


@pytest.fixture
def login(client, tenant):
    """`login(role)`: log a new member of `tenant` with that role in; returns the user."""

    def as_role(role):
        membership = MembershipFactory(tenant=tenant, role=role)
        client.force_login(membership.user)
        return membership.user

    return as_role


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def customer_data(**changes):
    data = {
        "code": "NEW-1", "name": "Great Wall Motor", "segment": "oem_passenger",
        "lifecycle_stage": "developing", "is_active": "on", "country": "China",
        "city": "Baoding", "technology_roadmap": ["electrification", "intelligent_cockpit"],
        "pain_points": ["cost"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def portfolio(tenant, n, period="2026Q3"):
    """n customers with one quarter of figures; revenue (and so score) falls with i."""
    customers = []
    for i in range(n):
        customer = CustomerFactory(tenant=tenant, code=f"K{i:03d}", name=f"Customer {i:03d}")
        PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                            revenue=1_000_000 - i * 10_000, supply_share=30, gross_margin=20,
                            payment_days=60, cost_to_serve=10_000)
        customers.append(customer)
    return customers


# --- the list ------------------------------------------------------------------------


def test_list_filters_by_tier_stage_region_owner_and_search(client, tenant, in_tenant, login):
    user = login("viewer")
    north = RegionFactory(tenant=tenant, name="North")
    CustomerFactory(tenant=tenant, name="Alpha Auto", code="AA", tier="A", region=north,
                    owner=user, lifecycle_stage="key")
    CustomerFactory(tenant=tenant, name="Beta Motors", code="BM", tier="B",
                    lifecycle_stage="mature")
    CustomerFactory(tenant=tenant, name="Gamma Cars", code="GC", tier="",
                    lifecycle_stage="prospect", city="Wuhan")
    CustomerFactory(tenant=tenant, name="Delta Trucks", code="DT", tier="C", is_active=False)
    url = reverse("customer_list")

    def names(**params):
        page = text(client.get(url, params))
        return [n for n in ("Alpha Auto", "Beta Motors", "Gamma Cars", "Delta Trucks")
                if n in page]

    assert names() == ["Alpha Auto", "Beta Motors", "Gamma Cars", "Delta Trucks"]
    assert names(tier="A") == ["Alpha Auto"]
    assert names(tier="none") == ["Gamma Cars"]
    assert names(lifecycle_stage="mature") == ["Beta Motors"]
    assert names(region=north.pk) == ["Alpha Auto"]
    assert names(owner=user.pk) == ["Alpha Auto"]
    assert names(q="wuhan") == ["Gamma Cars"]
    assert names(q="bm") == ["Beta Motors"]
    assert names(is_active="false") == ["Delta Trucks"]
    assert "1 customer" in text(client.get(url, {"tier": "A"}))


def test_list_ignores_another_tenants_region_with_a_message(client, tenant, other_tenant,
                                                            in_tenant, login):
    login("viewer")
    CustomerFactory(tenant=tenant, name="Alpha Auto")
    foreign = RegionFactory(tenant=other_tenant)
    response = client.get(reverse("customer_list"), {"region": foreign.pk, "tier": "Z"})
    assert response.status_code == 200
    page = text(response)
    assert "Some filters were not understood" in page
    assert "Alpha Auto" in page


def test_list_sorts_by_clicked_column_and_pages_by_25(client, tenant, in_tenant, login):
    login("viewer")
    for i in range(30):
        CustomerFactory(tenant=tenant, code=f"S{i:02d}", name=f"Maker {i:02d}", score=i)
    url = reverse("customer_list")

    first = text(client.get(url))
    assert "30 customers" in first
    assert "Maker 00" in first and "Maker 25" not in first
    # The score column starts with the highest score; clicking again reverses it.
    assert 'href="?sort=-score"' in first
    by_score = text(client.get(url, {"sort": "-score"}))
    assert by_score.index("Maker 29") < by_score.index("Maker 28")
    assert 'href="?sort=score"' in by_score
    second_page = text(client.get(url, {"sort": "-score", "page": 2}))
    assert "Maker 04" in second_page and "Maker 05" not in second_page
    # Unknown sort keys fall back to the name instead of failing.
    assert client.get(url, {"sort": "tenant__slug"}).status_code == 200


def test_list_sort_puts_customers_without_tier_last(client, tenant, in_tenant, login):
    login("viewer")
    CustomerFactory(tenant=tenant, name="No Tier Co", tier="")
    CustomerFactory(tenant=tenant, name="C Co", tier="C")
    CustomerFactory(tenant=tenant, name="A Co", tier="A")
    for sort in ("tier", "-tier"):
        page = text(client.get(reverse("customer_list"), {"sort": sort}))
        assert page.index("C Co") < page.index("No Tier Co")
        assert page.index("A Co") < page.index("No Tier Co")


def test_list_runs_a_fixed_number_of_queries(client, tenant, in_tenant, login,
                                              django_assert_max_num_queries):
    user = login("manager")

    def add(n):
        for _ in range(n):
            customer = CustomerFactory(tenant=tenant, owner=user, tier="A", tier_source="override")
            PeriodFigureFactory(tenant=tenant, customer=customer)

    add(3)
    url = reverse("customer_list")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"sort": "owner"}).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"sort": "owner"})
    assert text(response).count("pinned") >= 25


def test_new_customer_button_only_for_editors(client, tenant, login):
    login("viewer")
    assert "New customer" not in text(client.get(reverse("customer_list")))
    assert client.get(reverse("customer_create")).status_code == 403
    login("manager")
    assert "New customer" in text(client.get(reverse("customer_list")))


# --- create and edit -----------------------------------------------------------------


def test_manager_creates_a_customer_with_strategy_profile(client, tenant, in_tenant, login):
    user = login("manager")
    region = RegionFactory(tenant=tenant)
    response = client.post(reverse("customer_create"),
                           customer_data(region=region.pk, owner=user.pk))
    customer = Customer.objects.get(code="NEW-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[customer.pk])
    assert customer.technology_roadmap == ["electrification", "intelligent_cockpit"]
    assert customer.pain_points == ["cost"]
    assert customer.region == region and customer.owner == user
    page = text(client.get(response["Location"]))
    assert "Intelligent cockpit" in page and "Great Wall Motor" in page


def test_duplicate_code_is_a_form_error(client, tenant, other_tenant, in_tenant, login):
    login("admin")
    CustomerFactory(tenant=tenant, code="DUP")
    CustomerFactory(tenant=other_tenant, code="ELSEWHERE")
    response = client.post(reverse("customer_create"), customer_data(code="DUP"))
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert "Another customer already has the code" in text(response)
    # Codes are unique per tenant only.
    response = client.post(reverse("customer_create"), customer_data(code="ELSEWHERE"))
    assert response.status_code == 302


def test_another_tenants_region_or_owner_is_a_form_error(client, tenant, other_tenant,
                                                         in_tenant, login):
    login("admin")
    foreign_region = RegionFactory(tenant=other_tenant)
    outsider = MembershipFactory(tenant=other_tenant).user
    response = client.post(reverse("customer_create"),
                           customer_data(region=foreign_region.pk, owner=outsider.pk))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"region", "owner"}
    assert not Customer.objects.filter(code="NEW-1").exists()


def test_edit_refuses_a_taken_code_and_a_group_loop(client, tenant, in_tenant, login):
    login("admin")
    group = CustomerFactory(tenant=tenant, code="GRP", name="Group")
    venture = CustomerFactory(tenant=tenant, code="JV", name="Venture", parent=group)
    url = reverse("customer_edit", args=[group.pk])
    response = client.post(url, customer_data(code="JV", name="Group"))
    assert "code" in response.context["form"].errors
    response = client.post(url, customer_data(code="GRP", name="Group", parent=venture.pk))
    assert "parent" in response.context["form"].errors
    response = client.post(url, customer_data(code="GRP", name="Group renamed"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Group renamed"


def test_another_tenants_customer_is_404(client, other_tenant, login):
    login("admin")
    foreign = CustomerFactory(tenant=other_tenant)
    assert client.get(reverse("customer_detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("customer_edit", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("figure_add", args=[foreign.pk])).status_code == 404


# --- figures, contacts, plans --------------------------------------------------------


def figure_data(**changes):
    return {"period": "2026q2", "revenue": "1500000", "supply_share": "35",
            "gross_margin": "18.5", "payment_days": "60", **changes}


def test_figures_are_added_and_validated(client, tenant, in_tenant, login):
    login("admin")
    customer = CustomerFactory(tenant=tenant)
    url = reverse("figure_add", args=[customer.pk])

    response = client.post(url, figure_data(supply_share="120", payment_days="-5"))
    assert response.status_code == 200
    assert {"supply_share", "payment_days"} <= set(response.context["form"].errors)

    response = client.post(url, figure_data(period="2026Q5"))
    assert "period" in response.context["form"].errors

    response = client.post(url, figure_data())
    assert response.status_code == 302
    figure = PeriodFigure.objects.get(customer=customer)
    assert figure.period == "2026Q2"

    response = client.post(url, figure_data(period="2026Q2"))
    assert "already has figures for 2026Q2" in text(response)
    assert PeriodFigure.objects.filter(customer=customer).count() == 1

    edit = reverse("figure_edit", args=[customer.pk, figure.pk])
    assert client.post(edit, figure_data(revenue="2000000")).status_code == 302
    figure.refresh_from_db()
    assert figure.revenue == 2_000_000
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    assert "2026Q2" in page and "2,000,000" in page


def test_a_figure_of_another_customer_is_404(client, tenant, other_tenant, in_tenant, login):
    login("admin")
    customer, other = CustomerFactory(tenant=tenant), CustomerFactory(tenant=tenant)
    figure = PeriodFigureFactory(tenant=tenant, customer=other)
    url = reverse("figure_edit", args=[customer.pk, figure.pk])
    assert client.get(url).status_code == 404


def test_contact_is_added_to_the_map(client, tenant, other_tenant, in_tenant, login):
    user = login("admin")
    customer = CustomerFactory(tenant=tenant)
    url = reverse("contact_add", args=[customer.pk])
    data = {"name": "Li Wei", "title": "Chief engineer", "department": "engineering",
            "level": "executive", "decision_role": "decision_maker", "attitude": "2",
            "influence": "5", "strength": "4", "counterpart": user.pk, "is_active": "on"}
    outsider = MembershipFactory(tenant=other_tenant).user
    response = client.post(url, {**data, "counterpart": outsider.pk, "influence": "9"})
    assert {"counterpart", "influence"} <= set(response.context["form"].errors)
    assert client.post(url, data).status_code == 302
    contact = Contact.objects.get(customer=customer)
    assert contact.counterpart == user and contact.attitude == 2
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    assert "Li Wei" in page and "Chief engineer" in page and "Supporter" in page


def test_plan_and_initiative(client, tenant, in_tenant, login):
    user = login("admin")
    customer = CustomerFactory(tenant=tenant)
    url = reverse("plan_add", args=[customer.pk])
    data = {"year": "2027", "revenue_target": "12000000", "share_target": "40",
            "strategy": "Win the cockpit module of the next platform."}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "share_target": "140"})
    assert {"year", "share_target"} <= set(response.context["form"].errors)
    plan = AccountPlan.objects.get(customer=customer)
    response = client.post(reverse("initiative_add", args=[customer.pk, plan.pk]), {
        "title": "Tech day at the customer's R&D centre", "owner": user.pk,
        "due_on": "2027-03-31", "status": "planned"})
    assert response.status_code == 302
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    assert "Plan 2027" in page and "Tech day at the customer" in page
    assert str(user) in page


# --- the account 360 page: tier, why, overrides --------------------------------------


def test_detail_explains_the_tier_after_a_run(client, tenant, in_tenant, login):
    login("viewer")
    customers = portfolio(tenant, 40)
    late = CustomerFactory(tenant=tenant, name="No Figures Ltd")
    scoring.run_scoring(tenant)

    page = text(client.get(reverse("customer_detail", args=[customers[6].pk])))
    assert "Why tier B?" in page
    assert "Rank 7 of 40; A = top 4, B = next 8." in page
    breakdown = page[page.index('id="why-breakdown"'):]
    for label in ("Revenue", "Supply share %", "Gross margin %", "Payment terms (days)",
                  "Cost to serve (share of revenue, %)"):
        assert label in breakdown
    assert "Window 2025Q4–2026Q3" in page

    page = text(client.get(reverse("customer_detail", args=[late.pk])))
    assert "No figures in the scoring window 2025Q4–2026Q3 → no computed tier" in page


def test_detail_explains_a_value_share_tier(client, tenant, in_tenant, login):
    login("viewer")
    weights = dict.fromkeys(scoring.CRITERIA, 0) | {"revenue": 1}
    ScoringPolicy.objects.create(tenant=tenant, version=1, weights=weights,
                                 method="value_share")
    customers = [CustomerFactory(tenant=tenant, code=f"V{i}") for i in range(3)]
    for customer, revenue in zip(customers, (700, 200, 100), strict=True):
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=revenue)
    scoring.run_scoring(tenant)
    page = text(client.get(reverse("customer_detail", args=[customers[1].pk])))
    assert "Why tier A?" in page  # 70 % before it is below 80 %: it crosses 80 % and is A
    assert "make 70.0 % of the revenue in the window" in page


def test_override_is_refused_to_managers(client, tenant, in_tenant, login):
    login("manager")
    customer = CustomerFactory(tenant=tenant, tier="C", tier_source="computed")
    response = client.post(reverse("override_set", args=[customer.pk]), {
        "tier": "A", "reason": "Strategic", "expires_on": "2099-12-31"})
    assert response.status_code == 403
    assert not TierOverride.objects.exists()
    assert "Pin a tier" not in text(client.get(reverse("customer_detail", args=[customer.pk])))


def test_executive_pins_a_tier_that_survives_a_run(client, tenant, in_tenant, login):
    user = login("executive")
    customers = portfolio(tenant, 10)
    scoring.run_scoring(tenant)
    last = customers[-1]
    url = reverse("override_set", args=[last.pk])

    response = client.post(url, {"tier": "A", "reason": " ", "expires_on": "2000-01-01"})
    assert {"reason", "expires_on"} <= set(response.context["form"].errors)

    expires = tenant.today() + timedelta(days=180)
    response = client.post(url, {"tier": "A", "reason": "Platform award for 2028 SUV",
                                 "expires_on": expires.isoformat()})
    assert response.status_code == 302
    scoring.run_scoring(tenant)
    last.refresh_from_db()
    assert (last.tier, last.tier_source) == ("A", "override")

    page = text(client.get(reverse("customer_detail", args=[last.pk])))
    assert "Pinned to tier A until" in page and "Platform award for 2028 SUV" in page
    assert "The figures give tier C; an override pins another." in page
    history = page[page.index('id="panel-tier-history"'):]
    assert f"Pinned to A by {user}" in history

    response = client.post(reverse("override_end", args=[last.pk]), follow=True)
    assert "back to its computed tier C" in text(response)
    last.refresh_from_db()
    assert (last.tier, last.tier_source) == ("C", "computed")
    history = text(response)[text(response).index('id="panel-tier-history"'):]
    assert f"Override to A ended by {user}" in history


# --- relationship map, cadence, interactions -----------------------------------------


def test_relationship_map_flags_gaps_of_an_a_account(client, tenant, in_tenant, login):
    login("viewer")
    customer = CustomerFactory(tenant=tenant, tier="A", tier_source="computed")
    ContactFactory(tenant=tenant, customer=customer, name="Zhang Min", department="purchasing",
                   level="executive", decision_role="decision_maker", attitude=0)
    ContactFactory(tenant=tenant, customer=customer, name="Wang Fang", department="quality",
                   level="operational", decision_role="user", attitude=2)
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    gaps = page[page.index('id="coverage-gaps"'):page.index('id="relationship-grid"')]
    assert "No decision maker who is a supporter." in gaps
    assert "No named contact in Engineering." in gaps
    assert "No named contact in Logistics." in gaps
    assert "Purchasing" not in gaps
    grid = page[page.index('id="relationship-grid"'):]
    assert "Zhang Min" in grid and "Wang Fang" in grid

    b_customer = CustomerFactory(tenant=tenant, tier="B")
    page = text(client.get(reverse("customer_detail", args=[b_customer.pk])))
    assert 'id="coverage-gaps"' not in page


def test_cadence_shows_overdue_types(client, tenant, in_tenant, login):
    login("viewer")
    ServiceStandardFactory(tenant=tenant, tier="A", kind="executive_visit", max_days=90)
    ServiceStandardFactory(tenant=tenant, tier="A", kind="business_review", max_days=90)
    customer = CustomerFactory(tenant=tenant, tier="A")
    today = tenant.today()
    InteractionFactory(tenant=tenant, customer=customer, kind="executive_visit",
                       occurred_on=today - timedelta(days=120))
    InteractionFactory(tenant=tenant, customer=customer, kind="business_review",
                       occurred_on=today - timedelta(days=10))
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    table = page[page.index('id="cadence-table"'):]
    rows = {row.split("</th>")[0].split(">")[-1].strip(): row
            for row in table.split("<tr")[2:9]}
    assert "overdue" in rows["Executive visit"]
    assert "every 90 days" in rows["Executive visit"]
    assert "on track" in rows["Business review"]
    assert "1 overdue" in page


def test_logging_an_interaction_updates_the_contacts_last_contact(client, tenant, in_tenant,
                                                                   login):
    user = login("admin")
    customer = CustomerFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, customer=customer, last_contact_on=None)
    stranger = ContactFactory(tenant=tenant, name="Someone Else")  # another customer's
    met_on = tenant.today() - timedelta(days=3)
    url = reverse("interaction_add", args=[customer.pk])
    data = {"kind": "technical_exchange", "occurred_on": met_on.isoformat(),
            "level": "middle", "our_people": [user.pk], "contacts": [contact.pk],
            "summary": "Seat frame lightweighting ideas", "next_step": "Send samples",
            "next_step_on": (met_on + timedelta(days=14)).isoformat()}

    response = client.post(url, {**data, "contacts": [stranger.pk]})
    assert "contacts" in response.context["form"].errors
    future = {**data, "occurred_on": (tenant.today() + timedelta(days=2)).isoformat()}
    assert "occurred_on" in client.post(url, future).context["form"].errors
    assert not Interaction.objects.exists()

    response = client.post(url, data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_contact_on == met_on
    interaction = Interaction.objects.get()
    assert list(interaction.our_people.all()) == [user]
    assert interaction.created_by == user
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    listing = page[page.index('id="interaction-list"'):]
    assert "Seat frame lightweighting ideas" in listing and "Send samples" in listing


# --- scoring pages -------------------------------------------------------------------


def policy_data(**weights):
    data = {"normalisation": "minmax", "lookback_quarters": "4", "method": "count_share",
            "a_share": "0.1", "b_share": "0.2", "a_revenue_cutoff": "0.8",
            "b_revenue_cutoff": "0.95", "concentration_threshold": "0.3",
            "coverage_share": "0.8"}
    defaults = dict.fromkeys(scoring.CRITERIA, 0) | {"revenue": 0.5, "gross_margin": 0.5}
    data.update({f"weight_{name}": str(value) for name, value in (defaults | weights).items()})
    return data


def test_policy_edit_creates_a_new_version(client, tenant, in_tenant, login):
    login("admin")
    first = scoring.current_policy(tenant)
    url = reverse("scoring_policy_edit")

    response = client.post(url, policy_data(revenue=0, gross_margin=0))
    assert "At least one criterion needs a weight above 0." in text(response)
    response = client.post(url, {**policy_data(), "b_share": "0.95"})
    assert "b_share" in response.context["form"].errors
    assert ScoringPolicy.objects.count() == 1

    response = client.post(url, policy_data(loyalty=0.25))
    assert response.status_code == 302
    latest = ScoringPolicy.objects.order_by("-version").first()
    assert latest.version == 2
    assert latest.weights["loyalty"] == 0.25 and latest.weights["revenue"] == 0.5
    first.refresh_from_db()
    assert first.weights["revenue"] == 0.35  # version 1 is kept as it was
    page = text(client.get(reverse("scoring_policy")))
    assert "Scoring policy, version 2" in page


def test_only_admins_edit_the_policy(client, tenant, login):
    login("executive")
    assert client.get(reverse("scoring_policy_edit")).status_code == 403
    page = text(client.get(reverse("scoring_policy")))
    assert "Change the policy" not in page and "Run scoring now" in page


def test_run_scoring_button_creates_a_run(client, tenant, in_tenant, login):
    user = login("executive")
    portfolio(tenant, 12)
    response = client.post(reverse("scoring_run_start"))
    run = ScoringRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring_run", args=[run.pk])
    assert run.triggered_by == user and run.trigger == "manual"
    page = text(client.get(response["Location"]))
    assert "12 of 12 scored" in page and "Customer 000" in page
    runs = text(client.get(reverse("scoring_runs")))
    assert "2025Q4–2026Q3" in runs


def test_managers_and_viewers_cannot_run_scoring(client, tenant, login):
    login("manager")
    assert client.post(reverse("scoring_run_start")).status_code == 403
    assert client.get(reverse("scoring_run_start")).status_code == 405
    with tenant_context(tenant):
        assert not ScoringRun.objects.exists()


def test_run_detail_pages_assessments(client, tenant, in_tenant, login,
                                      django_assert_max_num_queries):
    login("viewer")
    portfolio(tenant, 3)
    small = scoring.run_scoring(tenant)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("scoring_run", args=[small.pk]))
    portfolio_more = [CustomerFactory(tenant=tenant, code=f"X{i:02d}") for i in range(30)]
    for customer in portfolio_more:
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=10)
    big = scoring.run_scoring(tenant)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        page = text(client.get(reverse("scoring_run", args=[big.pk])))
    assert "1–25 of 33" in page
    page = text(client.get(reverse("scoring_run", args=[big.pk]), {"show": "A"}))
    table = page[page.index('id="assessment-table"'):]
    assert table.count("<tr>") == 1 + 4  # the heading row and ceil(33 × 10 %) A customers
    assert "Customer 000" in table and "X29" not in table


def test_customers_without_a_computed_tier_are_listed(client, tenant, in_tenant, login):
    login("viewer")
    portfolio(tenant, 3)
    CustomerFactory(tenant=tenant, name="Silent Motors")
    scoring.run_scoring(tenant)
    page = text(client.get(reverse("scoring_unscored")))
    table = page[page.index('id="unscored-table"'):]
    assert "Silent Motors" in table and "Customer 000" not in table


def test_concentration_flags_customers_above_the_threshold(client, tenant, in_tenant, login):
    login("viewer")
    for code, revenue in (("BIG", 600), ("MID", 300), ("SMALL", 100)):
        customer = CustomerFactory(tenant=tenant, code=code, name=f"{code} Auto")
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=revenue)
    page = text(client.get(reverse("scoring_concentration")))
    flags = page[page.index('id="concentration-flags"'):page.index('id="concentration-table"')]
    assert "BIG Auto" in flags and "MID Auto" not in flags
    assert "60.0 %" in page  # top-1 share
    assert "4,600" in page  # HHI = 60² + 30² + 10²


def test_service_standards_are_edited_by_admins(client, tenant, in_tenant, login):
    login("viewer")
    page = text(client.get(reverse("scoring_standards")))
    assert "No standards are saved yet" in page and 'type="number"' not in page
    assert client.post(reverse("scoring_standards"), {"A__call": "30"}).status_code == 403

    login("admin")
    data = {"A__executive_visit": "60", "A__business_review": "90", "B__business_review": "0"}
    response = client.post(reverse("scoring_standards"), data)
    assert response.status_code == 200 and "B__business_review" in response.context["form"].errors
    data["B__business_review"] = "180"
    assert client.post(reverse("scoring_standards"), data).status_code == 302
    saved = {(s.tier, s.kind): s.max_days for s in ServiceStandard.objects.all()}
    assert saved == {("A", "executive_visit"): 60, ("A", "business_review"): 90,
                     ("B", "business_review"): 180}


def test_scoring_pages_have_empty_states(client, tenant, login):
    login("viewer")
    assert "No scoring run yet" in text(client.get(reverse("scoring_policy")))
    assert "No scoring runs yet" in text(client.get(reverse("scoring_runs")))
    assert "No scoring run yet" in text(client.get(reverse("scoring_unscored")))
    assert "No figures yet" in text(client.get(reverse("scoring_concentration")))
    assert "No customers yet" in text(client.get(reverse("customer_list")))
    with tenant_context(tenant):
        assert not ScoringPolicy.objects.exists()  # reading pages writes nothing


def test_account_page_shows_plans_history_and_empty_panels(client, tenant, in_tenant, login):
    login("admin")
    customer = CustomerFactory(tenant=tenant)
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    for panel in ("panel-profile", "panel-tier", "panel-figures", "panel-relationships",
                  "panel-cadence", "panel-interactions", "panel-plans", "panel-tier-history"):
        assert f'id="{panel}"' in page
    assert "This customer has not been scored yet" in page
    assert "No contacts yet" in page and "No account plan yet" in page
    assert "Log an interaction" in page
    AccountPlanFactory(tenant=tenant, customer=customer, year=2026)
    TierOverrideFactory(tenant=tenant, customer=customer, tier="B",
                        expires_on=tenant.today() - timedelta(days=1))
    page = text(client.get(reverse("customer_detail", args=[customer.pk])))
    assert "Plan 2026" in page
    assert "Override to B expired" in page


def test_the_policy_page_sets_the_complete_quarter_share(client, tenant, in_tenant, login):
    login("admin")
    response = client.post(reverse("scoring_policy_edit"),
                           {**policy_data(), "coverage_share": "0.6"})
    assert response.status_code == 302
    assert scoring.current_policy(tenant).coverage_share == Decimal("0.6")


def test_two_versions_saved_one_after_the_other_get_two_numbers(tenant, in_tenant):
    from customers import services
    from tests.factories import MembershipFactory

    user = MembershipFactory(tenant=tenant, role="admin").user
    first = services.save_policy_version(tenant=tenant, user=user, values={})
    second = services.save_policy_version(tenant=tenant, user=user,
                                          values={"lookback_quarters": 6})
    assert (first.version, second.version) == (1, 2)
    assert second.lookback_quarters == 6 and second.weights == first.weights
