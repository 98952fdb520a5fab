"""Programmes follow the account's team: a manager edits the programmes, milestones, risks
and PPAP of the accounts whose team they are on and reads the others, in the browser and
the API alike; a member still changes the milestones they own."""

import json
from datetime import date

from django.urls import reverse

from kam.tenancy import tenant_context
from projects.models import Milestone, Programme, Risk
from tests.factories import MembershipFactory

from .factories import MilestoneFactory, ProgrammeFactory

API = "/api/v1"


def risk_form(title):
    return {"title": title, "category": "commercial", "probability": 2, "impact": 3,
            "status": "open"}


def programme_form(customer, code):
    return {"customer": customer.pk, "code": code, "name": "Console", "stage": "rfq",
            "sop_date": "2028-01-01", "nomination_date": "2027-02-01", "ppap_level": 3}


def test_a_manager_edits_the_programmes_of_their_own_account(client, tenant, team_accounts):
    manager, mine, _theirs = team_accounts
    programme = ProgrammeFactory(tenant=tenant, customer=mine)
    client.force_login(manager.user)

    page = client.get(reverse("programme_detail", args=[programme.pk]))
    risk = client.post(reverse("risk_add", args=[programme.pk]), risk_form("Resin price"))
    created = client.post(reverse("programme_create"), programme_form(mine, "MINE-2"))

    assert reverse("programme_edit", args=[programme.pk]) in page.content.decode()
    assert risk.status_code == 302 and created.status_code == 302
    with tenant_context(tenant):
        assert Risk.objects.filter(programme=programme, title="Resin price").exists()
        assert Programme.objects.filter(code="MINE-2", customer=mine).exists()


def test_a_manager_reads_but_cannot_edit_another_teams_programme(client, tenant, team_accounts):
    manager, _mine, theirs = team_accounts
    programme = ProgrammeFactory(tenant=tenant, customer=theirs)
    milestone = MilestoneFactory(tenant=tenant, programme=programme,
                                 planned_date=date(2026, 9, 1))
    client.force_login(manager.user)

    page = client.get(reverse("programme_detail", args=[programme.pk]))
    refused = {
        "edit": client.get(reverse("programme_edit", args=[programme.pk])),
        "risk": client.post(reverse("risk_add", args=[programme.pk]), risk_form("Resin")),
        "ppap": client.get(reverse("ppap_edit", args=[programme.pk])),
        "redate": client.get(reverse("milestone_redate", args=[programme.pk])),
        "milestone": client.post(reverse("milestone_edit", args=[programme.pk, milestone.pk]),
                                 {"planned_date": "2026-10-01", "reason": "Slip"}),
        "delete": client.post(reverse("milestone_delete", args=[programme.pk, milestone.pk])),
    }

    assert page.status_code == 200
    assert reverse("programme_edit", args=[programme.pk]) not in page.content.decode()
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    with tenant_context(tenant):
        assert not Risk.objects.filter(programme=programme).exists()
        assert Milestone.objects.get(pk=milestone.pk).planned_date == date(2026, 9, 1)


def test_a_programme_for_another_teams_account_is_a_form_error(client, tenant, team_accounts):
    manager, _mine, theirs = team_accounts
    client.force_login(manager.user)

    response = client.post(reverse("programme_create"), programme_form(theirs, "THEIRS-2"))

    assert response.status_code == 200
    assert "Choose one of your accounts" in str(response.context["form"].errors["customer"])
    with tenant_context(tenant):
        assert not Programme.objects.filter(code="THEIRS-2").exists()


def test_the_api_lets_a_manager_write_only_their_own_accounts_programmes(
        bearer_client, tenant, team_accounts):
    manager, mine, theirs = team_accounts
    own = ProgrammeFactory(tenant=tenant, customer=mine)
    other = ProgrammeFactory(tenant=tenant, customer=theirs)
    other_milestone = MilestoneFactory(tenant=tenant, programme=other)
    api = bearer_client(manager)

    def send(method, url, data):
        return getattr(api, method)(url, json.dumps(data), content_type="application/json")

    assert send("patch", f"{API}/programmes/{own.pk}/", {"name": "Door panel"}).status_code == 200
    assert {
        "programme": send("patch", f"{API}/programmes/{other.pk}/", {"name": "X"}).status_code,
        "move": send("patch", f"{API}/programmes/{own.pk}/",
                     {"customer": theirs.pk}).status_code,
        "create": send("post", f"{API}/programmes/", {
            "customer": theirs.pk, "code": "T-9", "name": "X", "sop_date": "2028-01-01",
            "stage": "rfq"}).status_code,
        "risk": send("post", f"{API}/risks/", {
            "programme": other.pk, "title": "X", "category": "quality", "probability": 1,
            "impact": 1}).status_code,
        "milestone": send("patch", f"{API}/milestones/{other_milestone.pk}/",
                          {"progress": 50}).status_code,
        "delete": api.delete(f"{API}/programmes/{other.pk}/").status_code,
    } == dict.fromkeys(["programme", "move", "create", "risk", "milestone", "delete"], 403)
    with tenant_context(tenant):
        assert Programme.objects.get(pk=own.pk).customer == mine
        assert not Programme.objects.filter(code="T-9").exists()
        assert Milestone.objects.get(pk=other_milestone.pk).progress == 0


def test_bulk_redate_names_the_milestones_of_another_teams_account(
        bearer_client, tenant, team_accounts):
    manager, mine, theirs = team_accounts
    own = MilestoneFactory(tenant=tenant, programme__customer=mine,
                           planned_date=date(2026, 9, 1))
    other = MilestoneFactory(tenant=tenant, programme__customer=theirs,
                             planned_date=date(2026, 9, 1))

    response = bearer_client(manager).post(f"{API}/milestones/redate/", json.dumps({
        "reason": "Tooling slip", "items": [
            {"id": own.pk, "forecast_date": "2026-09-20"},
            {"id": other.pk, "forecast_date": "2026-09-20"}]}),
        content_type="application/json")

    assert response.status_code == 400
    errors = response.json()["items"]
    assert errors[0] == {} and theirs.name in errors[1]["id"][0]
    with tenant_context(tenant):
        assert Milestone.objects.get(pk=own.pk).forecast_date is None


def test_a_member_still_updates_the_milestone_they_own_on_any_account(
        bearer_client, tenant, team_accounts):
    _manager, _mine, theirs = team_accounts
    member = MembershipFactory(tenant=tenant, role="member")
    milestone = MilestoneFactory(tenant=tenant, programme__customer=theirs, owner=member.user)

    response = bearer_client(member).patch(f"{API}/milestones/{milestone.pk}/",
                                           json.dumps({"status": "in_progress",
                                                       "progress": 50}),
                                           content_type="application/json")

    assert response.status_code == 200, response.json()
    with tenant_context(tenant):
        assert Milestone.objects.get(pk=milestone.pk).progress == 50
