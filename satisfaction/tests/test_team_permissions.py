"""Satisfaction follows the account's team: a manager opens, edits and updates the OPL
items of the accounts whose team they are on (and any item they own or answer for),
decides their proposals, enters and imports their survey answers, and reads the rest —
in the browser and the API alike."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.tenancy import tenant_context
from satisfaction import services
from satisfaction.models import Invitation, OplItem, OplProposal, OplUpdate, Response, Survey
from teams.tests.factories import TeamMemberFactory
from tests.factories import MembershipFactory

from .factories import InvitationFactory, OplItemFactory, OplProposalFactory
from .test_import import import_answers

API = "/api/v1"


def item_form(customer, title):
    return {"customer": customer.pk, "source": "meeting", "title": title,
            "department": "quality", "priority": "medium", "due_date": "2027-01-15"}


def test_a_manager_opens_and_updates_items_of_their_own_account(client, tenant,
                                                                 team_accounts):
    manager, mine, _theirs = team_accounts
    item = OplItemFactory(tenant=tenant, customer=mine)
    client.force_login(manager.user)

    created = client.post(reverse("opl_create"), item_form(mine, "Door gap"))
    updated = client.post(reverse("opl_update", args=[item.pk]),
                          {"note": "Containment", "progress": 20, "status": "in_progress"})

    assert created.status_code == 302 and updated.status_code == 302
    with tenant_context(tenant):
        assert OplItem.objects.filter(customer=mine, title="Door gap").exists()
        assert OplItem.objects.get(pk=item.pk).status == "in_progress"


def test_a_manager_reads_but_cannot_change_another_teams_items(client, tenant, team_accounts):
    manager, _mine, theirs = team_accounts
    item = OplItemFactory(tenant=tenant, customer=theirs, title="Their point")
    proposal = OplProposalFactory(tenant=tenant, answer__response__survey__customer=theirs)
    client.force_login(manager.user)

    detail = client.get(reverse("opl_detail", args=[item.pk]))
    created = client.post(reverse("opl_create"), item_form(theirs, "Not mine"))
    client.post(reverse("opl_edit", args=[item.pk]), {**item_form(theirs, "Renamed")})
    client.post(reverse("opl_update", args=[item.pk]), {"note": "x", "progress": 50})
    accept = client.get(reverse("opl_proposal_accept", args=[proposal.pk]))
    dismiss = client.post(reverse("opl_proposal_dismiss", args=[proposal.pk]))

    assert detail.status_code == 200 and "Their point" in detail.content.decode()
    assert reverse("opl_edit", args=[item.pk]) not in detail.content.decode()
    assert "Choose one of your accounts" in str(created.context["form"].errors["customer"])
    assert accept.status_code == 403 and dismiss.status_code == 403
    with tenant_context(tenant):
        assert not OplItem.objects.filter(title="Not mine").exists()
        assert OplItem.objects.get(pk=item.pk).title == "Their point"
        assert not OplUpdate.objects.filter(item=item, note="x").exists()
        assert OplProposal.objects.get(pk=proposal.pk).status == "pending"


def test_a_manager_updates_an_item_they_own_on_another_teams_account(
        client, tenant, team_accounts):
    manager, _mine, theirs = team_accounts
    item = OplItemFactory(tenant=tenant, customer=theirs, owner=manager.user)
    client.force_login(manager.user)

    response = client.post(reverse("opl_update", args=[item.pk]),
                           {"note": "Fixed at the plant", "progress": 60,
                            "status": "in_progress"})

    assert response.status_code == 302
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=item.pk).progress == 60


def test_the_api_lets_a_manager_write_only_their_own_accounts_items(
        bearer_client, tenant, team_accounts):
    manager, mine, theirs = team_accounts
    own = OplItemFactory(tenant=tenant, customer=mine)
    other = OplItemFactory(tenant=tenant, customer=theirs)
    proposal = OplProposalFactory(tenant=tenant, answer__response__survey__customer=theirs)
    api = bearer_client(manager)

    def send(method, url, data=None):
        return getattr(api, method)(url, json.dumps(data or {}),
                                    content_type="application/json")

    assert send("patch", f"{API}/opl-items/{own.pk}/", {"title": "Seat squeak"}).status_code \
        == 200
    assert {
        "create": send("post", f"{API}/opl-items/", {"customer": theirs.pk,
                                                     "title": "X"}).status_code,
        "edit": send("patch", f"{API}/opl-items/{other.pk}/", {"title": "X"}).status_code,
        "move": send("patch", f"{API}/opl-items/{own.pk}/",
                     {"customer": theirs.pk}).status_code,
        "update": send("post", f"{API}/opl-items/{other.pk}/updates/",
                       {"note": "x", "progress": 10}).status_code,
        "accept": send("post", f"{API}/opl-proposals/{proposal.pk}/accept/").status_code,
    } == dict.fromkeys(["create", "edit", "move", "update", "accept"], 403)
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=own.pk).customer == mine
        assert not OplItem.objects.filter(title="X").exists()
        assert OplProposal.objects.get(pk=proposal.pk).status == "pending"


def test_survey_answers_are_entered_by_the_accounts_team_only(client, bearer_client,
                                                              survey_setup):
    tenant, alpha, beta = survey_setup["tenant"], survey_setup["alpha"], survey_setup["beta"]
    manager = MembershipFactory(tenant=tenant, role="manager")
    TeamMemberFactory(tenant=tenant, team__customer=alpha, user=manager.user, role="AR")
    own, other = Survey.objects.get(customer=alpha), Survey.objects.get(customer=beta)
    client.force_login(manager.user)

    def staff_entry(survey):
        questions = services.questions_for(survey, "quality")
        return client.post(reverse("survey_enter", args=[survey.pk]), {
            "department": "quality", "source": "staff",
            **{f"q_{q.pk}": "4" for q in questions}})

    def api_entry(survey):
        answers = [{"question": q.pk, "score": 4}
                   for q in services.questions_for(survey, "quality")]
        return bearer_client(manager).post("/api/v1/responses/", json.dumps({
            "survey": survey.pk, "department": "quality", "answers": answers}),
            content_type="application/json")

    detail = client.get(reverse("survey_detail", args=[other.pk])).content.decode()
    assert reverse("survey_enter", args=[other.pk]) not in detail
    assert staff_entry(other).status_code == 403 and api_entry(other).status_code == 403
    assert not Response.objects.filter(survey=other).exists()
    assert staff_entry(own).status_code == 302
    assert Response.objects.filter(survey=own, department="quality").exists()


def test_an_import_names_the_rows_of_other_teams_accounts(survey_setup):
    alpha, beta = survey_setup["alpha"], survey_setup["beta"]
    TeamMemberFactory(tenant=survey_setup["tenant"], team__customer=alpha,
                      user=survey_setup["kam"], role="AR")
    survey = Survey.objects.get(customer=alpha)
    questions = services.questions_for(survey, "quality")
    header = ["customer_code", "department", *[q.code for q in questions]]
    rows = [header, [alpha.code, "quality", *["4"] * len(questions)],
            [beta.code, "quality", *["4"] * len(questions)]]
    upload = SimpleUploadedFile("agency.csv", "\n".join(",".join(r) for r in rows).encode())

    result = import_answers(survey_setup["campaign"], upload, user=survey_setup["kam"])

    assert [(line, column) for line, column, _message in result.errors] == [
        (3, "customer_code")]
    assert beta.code in result.errors[0][2]
    assert not Response.objects.exists()


def test_survey_links_are_reissued_by_the_accounts_team_only(client, bearer_client, tenant,
                                                             team_accounts):
    manager, mine, theirs = team_accounts
    own = InvitationFactory(tenant=tenant, survey__customer=mine)
    other = InvitationFactory(tenant=tenant, survey__customer=theirs)
    with tenant_context(tenant):
        other_hash = Invitation.objects.get(pk=other.pk).token_hash
    api = bearer_client(manager)
    client.force_login(manager.user)

    api_other = api.post(f"{API}/invitations/{other.pk}/link/")
    page_other = client.post(reverse("invitation_link", args=[other.survey_id, other.pk]))
    api_own = api.post(f"{API}/invitations/{own.pk}/link/")

    assert api_other.status_code == 403 and page_other.status_code == 403
    assert api_own.status_code == 200, api_own.content
    assert "/satisfaction/r/" in api_own.json()["url"]
    with tenant_context(tenant):
        assert Invitation.objects.get(pk=other.pk).token_hash == other_hash
