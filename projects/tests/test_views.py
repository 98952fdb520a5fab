"""The programme pages: list with filters and bounded queries, detail with timeline, risk
matrix, PPAP and history, forms with field errors, bulk re-dating, the template, the
customer panel."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from kam.tenancy import tenant_context
from projects import services
from projects.models import Milestone, MilestoneChange, MilestoneTemplate, Programme
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgrammeFactory,
    RiskFactory,
)

ON = date(2026, 5, 1)


@pytest.fixture
def login(client, tenant):
    def as_role(role):
        membership = MembershipFactory(tenant=tenant, role=role)
        client.force_login(membership.user)
        return membership.user

    return as_role


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def programme(tenant):
    with tenant_context(tenant):
        return services.create_programme(
            tenant=tenant, customer=CustomerFactory(tenant=tenant, name="Eastwind"),
            code="EW-01", name="Door trims", stage="development",
            nomination_date=date(2025, 3, 1), sop_date=date(2027, 6, 1))


def test_list_filters_and_rag(client, login, tenant, programme):
    login("viewer")
    late = ProgrammeFactory(tenant=tenant, code="LATE-1", stage="validation")
    MilestoneFactory(tenant=tenant, programme=late, planned_date=ON - timedelta(days=2))
    with tenant_context(tenant):  # EW-01's early milestones are done: it is green
        programme.milestones.filter(planned_date__lt=ON).update(
            status="done", progress=100, actual_date=F("planned_date"))
    page = text(client.get(f"/programmes/?as_of={ON}&rag=green"))
    assert "EW-01" in page and "LATE-1" not in page
    response = client.get(f"/programmes/?as_of={ON}&rag=red")
    assert response.status_code == 200
    page = text(response)
    assert "LATE-1" in page and "EW-01" not in page
    assert "2 days past the customer date" in page
    page = text(client.get("/programmes/?stage=development"))
    assert "EW-01" in page and "LATE-1" not in page


def test_list_runs_a_fixed_number_of_queries(client, login, tenant,
                                             django_assert_max_num_queries):
    login("viewer")

    def make(n):
        for _ in range(n):
            p = ProgrammeFactory(tenant=tenant)
            MilestoneFactory(tenant=tenant, programme=p)

    make(2)
    client.get("/programmes/")
    with CaptureQueriesContext(connection) as small:
        client.get("/programmes/?rag=amber")
    make(20)
    with django_assert_max_num_queries(len(small)):
        assert client.get("/programmes/?rag=amber").status_code == 200
    with CaptureQueriesContext(connection) as small:
        client.get("/programmes/timeline/")
    make(5)
    with django_assert_max_num_queries(len(small)):
        assert client.get("/programmes/timeline/").status_code == 200


def test_detail_page(client, login, tenant, programme):
    login("viewer")
    RiskFactory(tenant=tenant, programme=programme, title="Foam supplier", probability=5,
                impact=4)
    response = client.get(f"/programmes/{programme.pk}/?as_of={ON}")
    assert response.status_code == 200
    page = text(response)
    for needle in ("Door trims", "<svg", "Design freeze", "Risk matrix", "Foam supplier",
                   "Part submission warrant", "Change history", "today"):
        assert needle in page, needle
    assert "Add milestone" not in page  # viewers read only


def test_milestone_edit_needs_reason_for_a_new_customer_date(client, login, tenant,
                                                             programme):
    user = login("admin")
    with tenant_context(tenant):
        milestone = programme.milestones.get(kind="t1")
    url = f"/programmes/{programme.pk}/milestones/{milestone.pk}/"
    new = (milestone.planned_date + timedelta(days=10)).isoformat()
    data = {"name": "", "planned_date": new, "forecast_date": "", "actual_date": "",
            "status": "not_started", "progress": 0, "owner": "", "notes": "", "reason": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Say why the customer date moves." in text(response)
    response = client.post(url, {**data, "reason": "Customer styling change"})
    assert response.status_code == 302
    with tenant_context(tenant):
        change = MilestoneChange.objects.get()
    assert (change.field, change.new_value, change.changed_by) == ("planned_date", new, user)
    assert "Customer styling change" in text(client.get(url))


def test_member_edits_only_own_milestones(client, login, tenant, programme):
    user = login("member")
    with tenant_context(tenant):
        mine = programme.milestones.get(kind="t1")
        mine.owner = user
        mine.save()
        other = programme.milestones.get(kind="t2")
    assert client.get(f"/programmes/{programme.pk}/milestones/{mine.pk}/").status_code == 200
    response = client.get(f"/programmes/{programme.pk}/milestones/{other.pk}/")
    assert response.status_code == 200 and "<form" not in text(response).split("<main")[1]
    assert client.post(f"/programmes/{programme.pk}/milestones/{other.pk}/",
                       {"status": "done"}).status_code == 403
    assert client.get(f"/programmes/{programme.pk}/milestones/new/").status_code == 403


def test_bulk_redate_page_is_all_or_nothing(client, login, tenant, programme):
    login("admin")
    with tenant_context(tenant):
        milestones = list(programme.milestones.exclude(status="done")
                          .order_by("planned_date", "id"))
    url = f"/programmes/{programme.pk}/milestones/redate/"
    assert client.get(url).status_code == 200
    data = {"reason": "Tooling slip"}
    for m in milestones:
        data[f"planned_{m.pk}"] = m.planned_date.isoformat()
        data[f"forecast_{m.pk}"] = ""
    t0, t1 = milestones[5], milestones[6]
    data[f"planned_{t0.pk}"] = (t0.planned_date + timedelta(days=7)).isoformat()
    data[f"forecast_{t1.pk}"] = "2024-01-01"
    response = client.post(url, data)
    assert response.status_code == 200 and "Nothing was saved" in text(response)
    with tenant_context(tenant):
        assert not MilestoneChange.objects.exists()
        assert Milestone.objects.get(pk=t0.pk).planned_date == t0.planned_date
    data[f"forecast_{t1.pk}"] = ""
    assert client.post(url, data).status_code == 302
    with tenant_context(tenant):
        assert Milestone.objects.get(pk=t0.pk).planned_date == t0.planned_date + timedelta(7)


def test_create_programme_page(client, login, tenant):
    user = login("admin")
    customer = CustomerFactory(tenant=tenant)
    response = client.post("/programmes/new/", {
        "customer": customer.pk, "code": "N-1", "name": "Console", "stage": "rfq",
        "sop_date": "2028-01-01", "nomination_date": "2028-02-01", "ppap_level": 3,
        "project_manager": user.pk})
    assert response.status_code == 200 and "nomination cannot come after SOP" in text(response)
    response = client.post("/programmes/new/", {
        "customer": customer.pk, "code": "N-1", "name": "Console", "stage": "rfq",
        "sop_date": "2028-01-01", "ppap_level": 3, "project_manager": user.pk})
    assert response.status_code == 302
    with tenant_context(tenant):
        assert Programme.objects.get(code="N-1").milestones.count() == 15


def test_template_page_rejects_sop_before_design_freeze(client, login, tenant):
    login("admin")
    assert client.get("/programmes/template/").status_code == 200
    with tenant_context(tenant):
        rows = {r.kind: r for r in MilestoneTemplate.objects.all()}
    data = {"settings-tolerance_days": 7, "settings-due_soon_days": 14,
            "settings-escalation_days": 14}
    for kind, row in rows.items():
        data[f"{kind}-offset_days"] = row.offset_days
        data[f"{kind}-is_active"] = "on"
    data["design_freeze-offset_days"] = 20
    response = client.post("/programmes/template/", data)
    assert response.status_code == 200 and "Nothing was saved" in text(response)
    data["design_freeze-offset_days"] = -500
    data["settings-tolerance_days"] = 3
    assert client.post("/programmes/template/", data).status_code == 302
    login("manager")
    assert client.get("/programmes/template/").status_code == 403


def test_risk_and_ppap_pages(client, login, tenant, programme):
    login("admin")
    response = client.post(f"/programmes/{programme.pk}/risks/new/", {
        "title": "Resin price", "category": "commercial", "probability": 2, "impact": 3,
        "status": "open"})
    assert response.status_code == 302
    url = f"/programmes/{programme.pk}/ppap/"
    assert "Appearance approval report" in text(client.get(url))
    data = {"level-ppap_level": 2}
    for n in range(1, 19):
        data[f"e{n}-status"] = "not_started"
    data["e18-status"] = "submitted"
    assert client.post(url, data).status_code == 302
    with tenant_context(tenant):
        programme.refresh_from_db()
        assert programme.ppap_level == 2
        assert programme.ppap_elements.get(element=18).status == "submitted"


def test_customer_panel(tenant, programme, rf):
    late = ProgrammeFactory(tenant=tenant, customer=programme.customer, code="EW-02")
    MilestoneFactory(tenant=tenant, programme=late, planned_date=date(2020, 1, 1))
    template = Template('{% include "projects/_customer_panel.html" %}')
    with tenant_context(tenant):
        html = template.render(Context({"customer": programme.customer,
                                        "current_role": "viewer"}))
    assert "EW-01" in html and "EW-02" in html and "rag-red" in html
