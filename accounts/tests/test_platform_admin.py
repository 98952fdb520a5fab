"""Platform admin deletes a tenant or a user with every row that points at it: the
confirmation page lists them and the delete reaches them, across tenants by design (behind
row-level security too, on PostgreSQL)."""

from django.urls import reverse

from accounts.models import Membership, Tenant, User
from customers.models import Customer
from kam.tenancy import cross_tenant, tenant_context
from tests.factories import CustomerFactory, MembershipFactory, UserFactory


def staff_client(client):
    staff = UserFactory(email="platform@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_deleting_a_tenant_deletes_its_rows(client, tenant, other_tenant):
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, owner=MembershipFactory(tenant=tenant).user)
    with tenant_context(other_tenant):
        CustomerFactory(tenant=other_tenant, code="STAYS")
    url = reverse("admin:accounts_tenant_delete", args=[tenant.pk])
    client = staff_client(client)

    assert "Customer" in client.get(url).content.decode()  # the rows that go with it
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    with cross_tenant():
        assert list(Customer.objects.values_list("code", flat=True)) == ["STAYS"]


def test_deleting_a_user_unlinks_and_deletes_their_rows_in_every_tenant(client, tenant,
                                                                       other_tenant):
    user = MembershipFactory(tenant=tenant, role="manager").user
    MembershipFactory(tenant=other_tenant, user=user, role="manager")
    with tenant_context(tenant):
        owned = CustomerFactory(tenant=tenant, owner=user)
    client = staff_client(client)

    response = client.post(reverse("admin:accounts_user_changelist"), {
        "action": "delete_selected", "_selected_action": [user.pk], "post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    with cross_tenant():
        assert not Membership.objects.filter(user_id=user.pk).exists()
    with tenant_context(tenant):
        owned.refresh_from_db()
    assert owned.owner_id is None
