"""The REST API's base contract: the resource index, `me`, pagination, the caller's own
notifications only, role-based writes, and session auth for the browser."""

import pytest
from django.test import Client
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from kam.tenancy import tenant_context
from notifications.models import Notification
from tests.factories import MembershipFactory, NotificationFactory, UserFactory


class WriteProbe(APIView):
    """A resource with the default write capability (admins only)."""

    def get(self, request):
        return Response({"read": True})

    def post(self, request):
        return Response({"written": True})


class ManagersWriteProbe(WriteProbe):
    write_capability = "edit_accounts"  # admins and managers


urlpatterns = [
    path("api/v1/probe/", WriteProbe.as_view()),
    path("api/v1/probe/managers/", ManagersWriteProbe.as_view()),
    path("", include("kam.urls")),
]


@pytest.fixture
def inbox(admin_membership, tenant, other_tenant):
    """Alpha's admin has three notifications in alpha and one in beta; a colleague has one."""
    me = admin_membership.user
    MembershipFactory(tenant=other_tenant, user=me)
    colleague = MembershipFactory(tenant=tenant).user
    return {
        "mine": [NotificationFactory(tenant=tenant, recipient=me) for _ in range(3)],
        "colleague": NotificationFactory(tenant=tenant, recipient=colleague),
        "beta": NotificationFactory(tenant=other_tenant, recipient=me),
    }


def test_index_lists_the_resources(admin_api_client):
    response = admin_api_client.get("/api/v1/")

    assert response.status_code == 200
    assert {"me", "notifications"} <= set(response.json())
    assert response.json()["notifications"].endswith("/api/v1/notifications/")


def test_index_needs_authentication(client, db):
    assert client.get("/api/v1/").status_code == 401


def test_me_tells_user_tenant_and_role_of_the_token(bearer_client, admin_membership):
    response = bearer_client(admin_membership, role="viewer").get("/api/v1/me/")

    assert response.status_code == 200
    data = response.json()
    user = admin_membership.user
    assert (data["id"], data["email"], data["full_name"]) == (user.pk, user.email, user.full_name)
    assert (data["tenant"], data["tenant_name"]) == ("alpha", "Alpha Interiors")
    assert data["role"] == "viewer"


def test_notifications_are_paginated(admin_api_client, inbox):
    first = admin_api_client.get("/api/v1/notifications/", {"page_size": 2}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and first["next"]
    second = admin_api_client.get(first["next"]).json()
    assert second["next"] is None and second["previous"]
    ids = [n["id"] for n in first["results"] + second["results"]]
    assert sorted(ids) == sorted(n.pk for n in inbox["mine"])


def test_notifications_are_the_callers_own_in_the_tokens_tenant(admin_api_client, inbox):
    listed = admin_api_client.get("/api/v1/notifications/").json()["results"]

    assert {n["id"] for n in listed} == {n.pk for n in inbox["mine"]}
    for other in (inbox["colleague"], inbox["beta"]):
        assert admin_api_client.get(f"/api/v1/notifications/{other.pk}/").status_code == 404
        response = admin_api_client.post(f"/api/v1/notifications/{other.pk}/read/")
        assert response.status_code == 404


def test_marking_a_notification_read(admin_api_client, inbox, tenant):
    target, untouched = inbox["mine"][0], inbox["mine"][1]

    response = admin_api_client.post(f"/api/v1/notifications/{target.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    with tenant_context(tenant):
        assert Notification.objects.get(pk=target.pk).read_at is not None
        assert Notification.objects.get(pk=untouched.pk).read_at is None
    detail = admin_api_client.get(f"/api/v1/notifications/{target.pk}/").json()
    assert detail["is_read"] is True


def test_viewer_token_reads_and_marks_its_own_notifications_read(bearer_client, tenant):
    viewer = MembershipFactory(tenant=tenant, role="viewer")
    notification = NotificationFactory(tenant=tenant, recipient=viewer.user)
    api_client = bearer_client(viewer)

    assert api_client.get("/api/v1/notifications/").json()["count"] == 1
    assert api_client.post(f"/api/v1/notifications/{notification.pk}/read/").status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("role", Role.values)
def test_only_write_roles_may_write(role, bearer_client, admin_membership):
    api_client = bearer_client(admin_membership, role=role)

    assert api_client.get("/api/v1/probe/").status_code == 200
    admin_only = api_client.post("/api/v1/probe/")
    managers = api_client.post("/api/v1/probe/managers/")

    assert admin_only.status_code == (200 if role == "admin" else 403)
    assert managers.status_code == (200 if role in {"admin", "manager"} else 403)
    if role != "admin":
        assert admin_only.json() == {"detail": "Your role does not allow this."}


def test_browser_session_of_a_member_works_on_the_api(admin_client, inbox):
    me = admin_client.get("/api/v1/me/")

    assert me.status_code == 200
    assert (me.json()["tenant"], me.json()["role"]) == ("alpha", "admin")
    assert admin_client.get("/api/v1/notifications/").json()["count"] == 3
    target = inbox["mine"][0]
    assert admin_client.post(f"/api/v1/notifications/{target.pk}/read/").status_code == 200


def test_session_writes_need_the_csrf_token_but_bearer_writes_do_not(
    admin_membership, bearer_client, inbox
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_membership.user)
    url = f"/api/v1/notifications/{inbox['mine'][0].pk}/read/"

    assert browser.get("/api/v1/me/").status_code == 200
    refused = browser.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]

    raw = bearer_client(admin_membership).raw_token
    integrator = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    assert integrator.post(url).status_code == 200


def test_logged_in_user_without_a_membership_is_refused(client, db):
    client.force_login(UserFactory())

    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert client.get("/api/v1/notifications/").status_code in (401, 403)


def test_logged_in_user_of_an_inactive_tenant_is_refused(admin_client, tenant):
    tenant.is_active = False
    tenant.save()

    assert admin_client.get("/api/v1/me/").status_code in (401, 403)
