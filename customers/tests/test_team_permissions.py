"""Permissions follow the team: a manager edits the accounts whose team they are on and
reads the others, in the browser and the API alike; admins edit every account."""

import json

from django.urls import reverse

from customers.models import Contact, Customer, PeriodFigure
from kam.tenancy import tenant_context


def contact_form(name):
    return {"name": name, "title": "Buyer", "department": "purchasing", "level": "middle",
            "decision_role": "influencer", "attitude": "0", "influence": "3", "strength": "3",
            "is_active": "on"}


def test_a_manager_edits_their_own_account_in_the_browser(client, tenant, team_accounts):
    manager, mine, _theirs = team_accounts
    client.force_login(manager.user)

    page = client.get(reverse("customer_detail", args=[mine.pk]))
    response = client.post(reverse("contact_add", args=[mine.pk]), contact_form("Li Na"))

    assert reverse("customer_edit", args=[mine.pk]) in page.content.decode()
    assert response.status_code == 302
    with tenant_context(tenant):
        assert Contact.objects.filter(customer=mine, name="Li Na").exists()


def test_a_manager_reads_but_cannot_edit_another_teams_account_in_the_browser(
        client, tenant, team_accounts):
    manager, _mine, theirs = team_accounts
    client.force_login(manager.user)

    page = client.get(reverse("customer_detail", args=[theirs.pk]))
    edit = client.get(reverse("customer_edit", args=[theirs.pk]))
    response = client.post(reverse("contact_add", args=[theirs.pk]), contact_form("Wang Wei"))

    assert page.status_code == 200
    assert reverse("customer_edit", args=[theirs.pk]) not in page.content.decode()
    assert edit.status_code == 403
    assert response.status_code == 403
    with tenant_context(tenant):
        assert not Contact.objects.filter(customer=theirs).exists()


def test_an_admin_edits_every_account(admin_client, tenant, team_accounts):
    _manager, _mine, theirs = team_accounts

    response = admin_client.post(reverse("contact_add", args=[theirs.pk]), contact_form("Zhao"))

    assert response.status_code == 302


def test_the_api_lets_a_manager_write_only_their_own_accounts(
        bearer_client, tenant, team_accounts):
    manager, mine, theirs = team_accounts
    api = bearer_client(manager)

    own = api.patch(f"/api/v1/customers/{mine.pk}/", {"city": "Wuhan"},
                    content_type="application/json")
    other = api.patch(f"/api/v1/customers/{theirs.pk}/", {"city": "Wuhan"},
                      content_type="application/json")
    other_contact = api.post("/api/v1/contacts/", {
        "customer": theirs.pk, "name": "Wang Wei", "department": "purchasing",
        "level": "middle"}, content_type="application/json")
    read = api.get(f"/api/v1/customers/{theirs.pk}/")

    assert own.status_code == 200, own.content
    assert other.status_code == 403
    assert other_contact.status_code == 403
    assert read.status_code == 200
    with tenant_context(tenant):
        assert Customer.objects.get(pk=theirs.pk).city != "Wuhan"
        assert not Contact.objects.filter(customer=theirs).exists()


def test_bulk_figures_name_the_rows_of_accounts_not_on_the_managers_teams(
        bearer_client, tenant, team_accounts):
    manager, _mine, _theirs = team_accounts
    rows = [{"customer_code": "MINE", "period": "2026Q1", "revenue": "100"},
            {"customer_code": "THEIRS", "period": "2026Q1", "revenue": "100"}]

    response = bearer_client(manager).post("/api/v1/customer-figures/bulk/", json.dumps(rows),
                                           content_type="application/json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["row"], error["field"]) for error in errors] == [(2, "customer_code")]
    with tenant_context(tenant):
        assert not PeriodFigure.objects.exists()
