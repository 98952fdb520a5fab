"""Writes through the API follow the account's team in every viewset that holds account
rows (kam.viewsets.AccountWriteMixin): the team check runs in the mixin's `save`, the one
path of every create and update, so an override of `perform_create` / `perform_update`
must save through it."""

import inspect

import pytest

from kam.api_urls import router
from kam.tenancy import tenant_context
from kam.viewsets import AccountWriteMixin

HOOKS = ("perform_create", "perform_update")


def account_viewsets():
    for prefix, viewset, _basename in router.registry:
        if issubclass(viewset, AccountWriteMixin):
            yield prefix, viewset


@pytest.mark.parametrize("prefix,viewset", list(account_viewsets()))
def test_every_override_of_a_write_hook_saves_through_the_team_check(prefix, viewset):
    for klass in viewset.__mro__:
        if klass is AccountWriteMixin or not issubclass(klass, AccountWriteMixin):
            continue
        for hook in HOOKS:
            method = klass.__dict__.get(hook)
            if method is None:
                continue
            source = inspect.getsource(method)
            assert "self.save(" in source or f"super().{hook}(" in source, (
                f"{klass.__qualname__}.{hook} ({prefix}) saves without the account's team "
                "check: call self.save(serializer, ...)")


def interaction(customer):
    return {"customer": customer.pk, "kind": "project_meeting", "occurred_on": "2026-03-02",
            "level": "operational", "summary": "Plant visit"}


def test_a_manager_logs_interactions_only_on_the_accounts_of_their_team(
        bearer_client, tenant, team_accounts):
    from customers.models import Interaction

    manager, mine, theirs = team_accounts
    api = bearer_client(manager)

    other = api.post("/api/v1/interactions/", interaction(theirs),
                     content_type="application/json")
    own = api.post("/api/v1/interactions/", interaction(mine), content_type="application/json")

    assert other.status_code == 403, other.content
    assert own.status_code == 201, own.content
    with tenant_context(tenant):
        assert not Interaction.objects.filter(customer=theirs).exists()
        logged = Interaction.objects.get(customer=mine)
        assert logged.created_by == manager.user


def test_a_manager_cannot_move_an_interaction_of_their_account_to_another(
        bearer_client, tenant, team_accounts):
    from customers.models import Interaction

    manager, mine, theirs = team_accounts
    api = bearer_client(manager)
    created = api.post("/api/v1/interactions/", interaction(mine),
                       content_type="application/json").json()

    moved = api.patch(f"/api/v1/interactions/{created['id']}/", {"customer": theirs.pk},
                      content_type="application/json")

    assert moved.status_code == 403
    with tenant_context(tenant):
        assert Interaction.objects.get(pk=created["id"]).customer_id == mine.pk
