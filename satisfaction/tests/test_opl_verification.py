"""No one verifies their own fix: an OPL item's owner never verifies it, whatever their
role; its accountable KAM does when someone else did the work, and executives and admins
verify any item they do not own — in the rule, the page and the API alike."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kam.tenancy import tenant_context
from satisfaction import opl, services
from satisfaction.models import OplItem
from teams.tests.factories import TeamMemberFactory
from tests.factories import MembershipFactory, OplItemFactory


@pytest.fixture
def kam_owned(tenant):
    """A done item whose accountable KAM (a manager on the account's team) also owns it,
    so did the work: the fix waits for a second pair of eyes."""
    membership = MembershipFactory(tenant=tenant, role="manager")
    kam = membership.user
    item = OplItemFactory(tenant=tenant, status="done", owner=kam, accountable=kam,
                          verification="Three clean weeks of deliveries")
    TeamMemberFactory(tenant=tenant, team__customer=item.customer, user=kam, role="AR")
    kam.membership = membership
    return kam, item


@pytest.mark.parametrize("role", ["manager", "executive", "admin"])
def test_the_owner_never_verifies_their_own_fix(in_tenant, role):
    owner = MembershipFactory(tenant=in_tenant, role=role).user
    item = OplItemFactory(tenant=in_tenant, status="done", owner=owner, accountable=owner,
                          verification="Checked")

    assert not opl.can_verify(item, owner, role)
    with pytest.raises(ValidationError) as exc:
        services.add_update(item, user=owner, role=role, note="ok", progress=100,
                            status="verified")
    assert "own fix" in " ".join(exc.value.message_dict["status"])
    assert OplItem.objects.get(pk=item.pk).status == "done"


def test_the_accountable_kam_verifies_when_someone_else_did_the_work(in_tenant):
    kam = MembershipFactory(tenant=in_tenant, role="manager").user
    engineer = MembershipFactory(tenant=in_tenant, role="member").user
    item = OplItemFactory(tenant=in_tenant, status="done", owner=engineer, accountable=kam,
                          verification="Checked")

    assert opl.can_verify(item, kam, "manager") and not opl.can_verify(item, engineer,
                                                                        "member")
    services.add_update(item, user=kam, role="manager", note="ok", progress=100,
                        status="verified")
    assert OplItem.objects.get(pk=item.pk).verified_by == kam


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_executives_and_admins_verify_an_item_its_owner_cannot(in_tenant, kam_owned, role):
    _kam, item = kam_owned
    boss = MembershipFactory(tenant=in_tenant, role=role).user

    services.add_update(item, user=boss, role=role, note="Audited", progress=100,
                        status="verified")

    assert OplItem.objects.get(pk=item.pk).verified_by == boss


def test_the_page_tells_the_owner_and_refuses_their_verification(client, tenant, kam_owned):
    kam, item = kam_owned
    client.force_login(kam)

    page = client.get(reverse("opl_detail", args=[item.pk])).content.decode()
    refused = client.post(reverse("opl_update", args=[item.pk]),
                          {"note": "Fixed", "progress": 100, "status": "verified",
                           "verification": "Checked myself"})

    assert "someone else verifies your fix" in page
    assert refused.status_code == 400
    assert "own fix" in str(refused.context["form"].errors["status"])
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=item.pk).status == "done"


def test_the_api_refuses_the_owners_verification(bearer_client, tenant, kam_owned):
    kam, item = kam_owned
    api = bearer_client(kam.membership)
    executive = bearer_client(MembershipFactory(tenant=tenant, role="executive"))

    by_patch = api.patch(f"/api/v1/opl-items/{item.pk}/",
                         {"status": "verified", "verification": "Checked"},
                         content_type="application/json")
    by_update = api.post(f"/api/v1/opl-items/{item.pk}/updates/",
                         {"note": "ok", "progress": 100, "status": "verified",
                          "verification": "Checked"}, content_type="application/json")
    by_executive = executive.patch(f"/api/v1/opl-items/{item.pk}/", {"status": "verified"},
                                   content_type="application/json")

    assert by_patch.status_code == 400 and "status" in by_patch.json()
    assert by_update.status_code == 400 and "status" in by_update.json()
    assert by_executive.status_code == 200 and by_executive.json()["status"] == "verified"
