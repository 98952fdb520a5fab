"""The programmes REST API: contract fields, RAG and filters, history, bad input, roles,
atomic re-dating and bounded queries."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.tenancy import tenant_context
from projects.models import Milestone, MilestoneChange, Programme
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MilestoneFactory,
    PpapElementFactory,
    ProgrammeFactory,
    RiskFactory,
)

API = "/api/v1"
ON = date(2026, 5, 1)


@pytest.fixture
def api(tenant, bearer_client):
    def make(role="admin"):
        client = bearer_client(MembershipFactory(tenant=tenant, role=role))
        client.user = client.api_token.user
        return client

    return make


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def create(client, tenant, **extra):
    customer = CustomerFactory(tenant=tenant)
    data = {"customer": customer.pk, "code": "IP-01", "name": "Instrument panel",
            "sop_date": "2027-06-01", "nomination_date": "2025-03-01",
            "stage": "development", **extra}
    return post(client, f"{API}/programmes/", data)


def test_create_programme_generates_milestones(tenant, api):
    client = api("admin")
    response = create(client, tenant)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "customer", "code", "name", "sop_date", "stage", "rag"} <= set(body)
    with tenant_context(tenant):
        assert Milestone.objects.filter(programme_id=body["id"]).count() == 15
    milestones = client.get(f"{API}/milestones/?programme={body['id']}&page_size=50").json()
    assert milestones["count"] == 15
    assert {"programme", "kind", "planned_date", "forecast_date", "actual_date", "status",
            "rag"} <= set(milestones["results"][0])
    assert len(client.get(f"{API}/ppap-elements/?programme={body['id']}").json()["results"]) \
        == 18


def test_programme_code_is_unique_per_tenant(tenant, other_tenant, api):
    client = api()
    assert create(client, tenant).status_code == 201
    response = create(client, tenant)
    assert response.status_code == 400 and "code" in response.json()
    ProgrammeFactory(tenant=other_tenant, code="IP-02")
    assert create(client, tenant, code="IP-02").status_code == 201


def test_another_tenants_ids_are_field_errors(tenant, other_tenant, api):
    client = api()
    foreign = ProgrammeFactory(tenant=other_tenant)
    response = post(client, f"{API}/milestones/", {
        "programme": foreign.pk, "kind": "other", "name": "Audit",
        "planned_date": "2026-08-01"})
    assert response.status_code == 400 and "programme" in response.json()
    outsider = MembershipFactory(tenant=other_tenant).user
    response = create(client, tenant, project_manager=outsider.pk)
    assert response.status_code == 400 and "project_manager" in response.json()
    foreign_customer = CustomerFactory(tenant=other_tenant)
    response = post(client, f"{API}/programmes/", {
        "customer": foreign_customer.pk, "code": "X", "name": "X", "sop_date": "2027-01-01"})
    assert response.status_code == 400 and "customer" in response.json()


def test_rag_and_filters(tenant, api):
    client = api("viewer")
    red = ProgrammeFactory(tenant=tenant, code="RED", stage="validation",
                           sop_date=date(2026, 12, 1))
    MilestoneFactory(tenant=tenant, programme=red, planned_date=ON - timedelta(days=3))
    amber = ProgrammeFactory(tenant=tenant, code="AMB", stage="development",
                             sop_date=date(2027, 12, 1))
    MilestoneFactory(tenant=tenant, programme=amber, planned_date=ON + timedelta(days=20),
                     forecast_date=ON + timedelta(days=25), status="in_progress", progress=25)
    green = ProgrammeFactory(tenant=tenant, code="GRN", stage="development",
                             sop_date=date(2028, 6, 1))
    MilestoneFactory(tenant=tenant, programme=green, planned_date=ON + timedelta(days=60))

    def codes(query):
        response = client.get(f"{API}/programmes/?as_of={ON}&{query}")
        assert response.status_code == 200, response.content
        return sorted(row["code"] for row in response.json()["results"])

    body = client.get(f"{API}/programmes/?as_of={ON}").json()
    assert {row["code"]: row["rag"] for row in body["results"]} == {
        "RED": "red", "AMB": "amber", "GRN": "green"}
    assert "past the customer date" in next(
        r["rag_reason"] for r in body["results"] if r["code"] == "RED")
    assert codes("rag=red") == ["RED"]
    assert codes("rag=amber&stage=development") == ["AMB"]
    assert codes("rag=amber&stage=validation") == []
    assert codes("sop_from=2027-01-01") == ["AMB", "GRN"]
    assert codes("sop_to=2027-01-01&rag=red") == ["RED"]
    # Asked on another day, the colours follow.
    assert codes("as_of=2026-04-01&rag=red") == []

    rows = client.get(f"{API}/milestones/?as_of={ON}&rag=amber").json()["results"]
    assert [row["programme"] for row in rows] == [amber.pk]
    rows = client.get(f"{API}/milestones/?planned_date__gte={ON}").json()["results"]
    assert {row["programme"] for row in rows} == {amber.pk, green.pk}
    rows = client.get(f"{API}/milestones/?stage=validation").json()["results"]
    assert [row["programme"] for row in rows] == [red.pk]


def test_milestone_history_and_reason(tenant, api):
    client = api("admin")
    milestone = MilestoneFactory(tenant=tenant, planned_date=date(2026, 9, 1))
    url = f"{API}/milestones/{milestone.pk}/"
    response = patch(client, url, {"planned_date": "2026-09-20"})
    assert response.status_code == 400 and "reason" in response.json()
    response = patch(client, url, {"planned_date": "2026-09-20",
                                   "reason": "Customer moved the design review"})
    assert response.status_code == 200, response.content
    page = client.get(f"{url}history/").json()
    assert (page["count"], page["next"], page["previous"]) == (1, None, None)
    history = page["results"]
    assert history == [{
        "id": history[0]["id"], "milestone": milestone.pk, "field": "planned_date",
        "old_value": "2026-09-01", "new_value": "2026-09-20",
        "reason": "Customer moved the design review", "changed_by": client.user.pk,
        "changed_at": history[0]["changed_at"]}]


@pytest.mark.parametrize(("data", "field"), [
    ({"status": "done", "actual_date": "2099-01-01"}, "actual_date"),
    ({"status": "done"}, "actual_date"),
    ({"forecast_date": "2024-01-01"}, "forecast_date"),
    ({"progress": 30}, "progress"),
    ({"psw_disposition": "approved"}, "psw_disposition"),
])
def test_bad_milestone_input(tenant, api, data, field):
    client = api()
    milestone = MilestoneFactory(tenant=tenant, planned_date=date(2026, 9, 1))
    response = patch(client, f"{API}/milestones/{milestone.pk}/", data)
    assert response.status_code == 400 and field in response.json(), response.content
    with tenant_context(tenant):
        assert not MilestoneChange.objects.exists()


def test_members_update_only_their_own_milestones(tenant, api):
    member = api("member")
    theirs = MilestoneFactory(tenant=tenant, owner=member.user, planned_date=date(2026, 9, 1))
    other = MilestoneFactory(tenant=tenant, planned_date=date(2026, 9, 1))
    assert patch(member, f"{API}/milestones/{theirs.pk}/",
                 {"status": "in_progress", "progress": 50}).status_code == 200
    assert patch(member, f"{API}/milestones/{other.pk}/",
                 {"status": "in_progress"}).status_code == 403
    assert member.delete(f"{API}/milestones/{theirs.pk}/").status_code == 403
    assert patch(api("viewer"), f"{API}/milestones/{theirs.pk}/",
                 {"status": "done"}).status_code == 403
    assert create(member, tenant).status_code == 403


def test_remove_milestone_not_once_done(tenant, api):
    client = api()
    done = MilestoneFactory(tenant=tenant, status="done", progress=100,
                            actual_date=date(2026, 1, 5), planned_date=date(2026, 1, 5))
    assert client.delete(f"{API}/milestones/{done.pk}/").status_code == 400
    open_one = MilestoneFactory(tenant=tenant)
    assert client.delete(f"{API}/milestones/{open_one.pk}/").status_code == 204


def test_bulk_redate_is_atomic(tenant, api):
    client = api("admin")
    programme = ProgrammeFactory(tenant=tenant, nomination_date=date(2025, 3, 1))
    a = MilestoneFactory(tenant=tenant, programme=programme, planned_date=date(2026, 9, 1))
    b = MilestoneFactory(tenant=tenant, programme=programme, planned_date=date(2026, 10, 1))
    url = f"{API}/milestones/redate/"
    response = post(client, url, {"reason": "Tooling slip", "items": [
        {"id": a.pk, "planned_date": "2026-09-15"},
        {"id": b.pk, "forecast_date": "2024-01-01"}]})
    assert response.status_code == 400
    assert response.json()["items"][0] == {} and "forecast_date" in response.json()["items"][1]
    with tenant_context(tenant):
        assert Milestone.objects.get(pk=a.pk).planned_date == date(2026, 9, 1)
    response = post(client, url, {"reason": "Tooling slip", "items": [
        {"id": a.pk, "planned_date": "2026-09-15"},
        {"id": b.pk, "forecast_date": "2026-10-05"}]})
    assert response.json() == {"changed": 2}
    foreign = MilestoneFactory()
    response = post(client, url, {"reason": "x", "items": [{"id": foreign.pk,
                                                            "planned_date": "2026-01-01"}]})
    assert response.status_code == 400


def test_risks_score_and_ppap_requirement(tenant, api):
    client = api()
    programme = ProgrammeFactory(tenant=tenant, ppap_level=1)
    response = post(client, f"{API}/risks/", {
        "programme": programme.pk, "title": "Foam supplier", "category": "supply_chain",
        "probability": 4, "impact": 5})
    assert response.status_code == 201 and response.json()["score"] == 20
    assert response.json()["severity"] == "high"
    assert post(client, f"{API}/risks/", {"programme": programme.pk, "title": "x",
                                          "category": "quality", "probability": 6,
                                          "impact": 1}).status_code == 400
    element = PpapElementFactory(tenant=tenant, programme=programme, element=13)
    body = client.get(f"{API}/ppap-elements/{element.pk}/").json()
    assert body["requirement"] == "submit"
    assert patch(client, f"{API}/ppap-elements/{element.pk}/",
                 {"status": "submitted"}).json()["status"] == "submitted"


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("resource", ["programmes", "milestones", "risks", "ppap-elements"])
def test_lists_run_a_fixed_number_of_queries(tenant, api, django_assert_max_num_queries,
                                             resource):
    client = api("viewer")
    # `rag` filters only the lists that have it (an unknown parameter is a 400).
    url = f"{API}/{resource}/?page_size=500" + ("&rag=red" if resource in (
        "programmes", "milestones") else "")

    def make(n):
        for _ in range(n):
            programme = ProgrammeFactory(tenant=tenant)
            MilestoneFactory(tenant=tenant, programme=programme,
                             planned_date=date(2020, 1, 1), owner=client.user)
            MilestoneFactory(tenant=tenant, programme=programme)
            RiskFactory(tenant=tenant, programme=programme, owner=client.user)
            PpapElementFactory(tenant=tenant, programme=programme, owner=client.user)

    make(2)
    client.get(url)
    small = count_queries(client, url)
    make(20)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.json()["count"] >= 22
    with tenant_context(tenant):
        assert Programme.objects.count() == 22
