"""The browser side of accounts: log-in, throttling, workspace switch, member admin."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken, Membership
from kam.tenancy import tenant_context
from tests.factories import MembershipFactory, NotificationFactory, UserFactory

PASSWORD = "correct-horse-battery"


def login(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_login_with_email_lands_on_home_of_the_workspace(client, admin_membership):
    response = login(client, admin_membership.user.email)
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert admin_membership.tenant.name in home.content.decode()


def test_wrong_password_shows_the_form_again_with_an_error(client, admin_membership):
    response = login(client, admin_membership.user.email, "wrong")
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_login_is_locked_after_repeated_failures(client, admin_membership, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, admin_membership.user.email, "wrong")
    # Even the right password is refused while locked.
    response = login(client, admin_membership.user.email)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_pages_need_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_user_without_membership_is_refused(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 403


def test_tenant_switcher_changes_the_workspace(client, tenant, other_tenant):
    membership = MembershipFactory(tenant=tenant, role="admin")
    MembershipFactory(tenant=other_tenant, user=membership.user, role="viewer")
    client.force_login(membership.user)
    page = client.get(reverse("home")).content.decode()
    assert other_tenant.name in page  # offered in the switcher

    client.post(reverse("switch_tenant"), {"tenant": other_tenant.pk})
    page = client.get(reverse("home")).content.decode()
    assert "Viewer" in page
    # As a viewer there, the admin pages are closed.
    assert client.get(reverse("member_list")).status_code == 403


def test_cannot_switch_to_a_workspace_without_membership(client, admin_membership, other_tenant):
    client.force_login(admin_membership.user)
    response = client.post(reverse("switch_tenant"), {"tenant": other_tenant.pk}, follow=True)
    assert "not a member of that workspace" in response.content.decode()
    assert admin_membership.tenant.name in response.content.decode()


def test_admin_adds_a_member_and_changes_the_role(admin_client, tenant):
    response = admin_client.post(reverse("member_add"), {
        "email": "New.Person@Example.com", "full_name": "New Person", "role": "manager",
    })
    assert response.status_code == 302
    with tenant_context(tenant):
        membership = Membership.objects.get(user__email="new.person@example.com")
    assert membership.role == "manager"
    assert not membership.user.has_usable_password()

    response = admin_client.post(reverse("member_edit", args=[membership.pk]),
                                 {"role": "viewer", "is_active": "on"})
    assert response.status_code == 302
    with tenant_context(tenant):
        membership.refresh_from_db()
    assert membership.role == "viewer"


def test_adding_an_existing_member_is_a_form_error(admin_client, admin_membership):
    response = admin_client.post(reverse("member_add"), {
        "email": admin_membership.user.email, "role": "viewer",
    })
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_last_admin_cannot_demote_themselves(admin_client, admin_membership):
    response = admin_client.post(reverse("member_edit", args=[admin_membership.pk]),
                                 {"role": "viewer", "is_active": "on"})
    assert response.status_code == 200
    assert "at least one administrator" in response.content.decode()
    with tenant_context(admin_membership.tenant):
        admin_membership.refresh_from_db()
    assert admin_membership.role == "admin"


def test_member_admin_is_for_admins_only(client, tenant):
    manager = MembershipFactory(tenant=tenant, role="manager")
    client.force_login(manager.user)
    assert client.get(reverse("member_list")).status_code == 403
    assert client.get(reverse("tenant_settings")).status_code == 403


def test_workspace_settings_validate_currency(admin_client, tenant):
    response = admin_client.post(reverse("tenant_settings"), {
        "name": tenant.name, "timezone": "Europe/Berlin", "default_language": "en",
        "currency": "eu1",
    })
    assert response.status_code == 200
    assert "ISO 4217" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.currency != "eu1"


def timezone_select(response):
    return re.search(r'<select name="timezone".*?</select>', response.content.decode(), re.S)[0]


def test_time_zones_offer_common_cities_first_then_regions_without_aliases(admin_client,
                                                                            tenant):
    select = timezone_select(admin_client.get(reverse("tenant_settings")))

    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[0] == "Common time zones"
    assert {"Africa", "America", "Asia", "Europe"} <= set(groups[1:])
    common = select.split("<optgroup")[1]
    for label in ("Shanghai (UTC+08:00)", "Tokyo (UTC+09:00)", "Chennai, Kolkata (UTC+05:30)",
                  "São Paulo (UTC-03:00)", "Seoul (UTC+09:00)"):
        assert f">{label}</option>" in common
    assert '<option value="Asia/Shanghai" selected>' in common
    # The rest by region with their city names; no legacy aliases.
    assert '<option value="Asia/Ho_Chi_Minh">Ho Chi Minh (UTC+07:00)</option>' in select
    assert ">Buenos Aires (Argentina) (UTC-03:00)</option>" in select
    for alias in ("Factory", "GB-Eire", "Etc/UTC", "US/Eastern", "PRC", "Asia/Calcutta"):
        assert f'value="{alias}"' not in select
    assert select.count("<option") < 450


def test_a_workspace_on_an_alias_still_sees_it_selected(admin_client, tenant):
    tenant.timezone = "Asia/Calcutta"
    tenant.save(update_fields=["timezone"])

    select = timezone_select(admin_client.get(reverse("tenant_settings")))

    assert '<option value="Asia/Calcutta" selected>' in select
    admin_client.post(reverse("tenant_settings"), {
        "name": tenant.name, "timezone": "Asia/Kolkata", "default_language": "en",
        "currency": "CNY"})
    tenant.refresh_from_db()
    assert tenant.timezone == "Asia/Kolkata"


def test_workspace_settings_refuse_a_time_zone_not_offered(admin_client, tenant):
    response = admin_client.post(reverse("tenant_settings"), {
        "name": tenant.name, "timezone": "Factory", "default_language": "en",
        "currency": "CNY"})

    assert response.status_code == 200 and "timezone" in response.context["form"].errors
    tenant.refresh_from_db()
    assert tenant.timezone == "Asia/Shanghai"


def test_token_is_shown_once_and_stored_hashed(admin_client, tenant):
    response = admin_client.post(reverse("token_list"), {"name": "ERP", "role": "viewer"})
    raw = response.context["raw_token"]
    assert raw and raw in response.content.decode()
    with tenant_context(tenant):
        token = ApiToken.objects.get(name="ERP")
    assert raw not in token.key_hash
    # Shown once: the list no longer contains it.
    assert raw not in admin_client.get(reverse("token_list")).content.decode()


def role_options(response):
    """[(value, selected)] of the new-token form's role select, as rendered."""
    select = re.search(r'<select name="role".*?</select>', response.content.decode(), re.S)[0]
    return [(value, bool(selected)) for value, selected
            in re.findall(r'<option value="(\w*)"( selected)?', select)]


@pytest.mark.parametrize("role, offered", [
    ("admin", ["viewer", "member", "manager", "executive", "admin"]),
    ("manager", ["viewer", "member", "manager"]),
    ("viewer", ["viewer"]),
])
def test_new_token_form_defaults_to_viewer_and_offers_no_role_above_the_creators(
        client, tenant, role, offered):
    membership = MembershipFactory(tenant=tenant, role=role)
    client.force_login(membership.user)

    options = role_options(client.get(reverse("token_list")))

    assert [value for value, _selected in options] == offered
    assert [value for value, selected in options if selected] == ["viewer"]


def test_new_token_form_refuses_a_role_above_the_creators(client, tenant):
    membership = MembershipFactory(tenant=tenant, role="manager")
    client.force_login(membership.user)

    response = client.post(reverse("token_list"), {"name": "ERP", "role": "admin"})

    assert response.context["raw_token"] is None
    assert "role" in response.context["form"].errors
    with tenant_context(tenant):
        assert not ApiToken.objects.exists()


def test_revoke_token(admin_client, tenant, admin_membership):
    admin_client.post(reverse("token_list"), {"name": "ERP", "role": "viewer"})
    with tenant_context(tenant):
        token = ApiToken.objects.get(name="ERP")
    admin_client.post(reverse("token_revoke", args=[token.pk]))
    with tenant_context(tenant):
        token.refresh_from_db()
    assert token.revoked_at is not None


def test_language_switch_to_simplified_chinese(admin_client):
    admin_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = admin_client.get(reverse("home")).content.decode()
    assert "首页" in page
    assert 'lang="zh-hans"' in page


def test_inbox_shows_unread_count_and_marks_read(admin_client, admin_membership, tenant):
    NotificationFactory(tenant=tenant, recipient=admin_membership.user, text="OTS due Friday",
                        url="/")
    page = admin_client.get(reverse("inbox")).content.decode()
    assert "OTS due Friday" in page
    assert 'badge text-bg-warning">1<' in page
    admin_client.post(reverse("notifications_read_all"))
    page = admin_client.get(reverse("inbox")).content.decode()
    assert 'badge text-bg-warning' not in page


def test_404_page_is_styled(admin_client):
    response = admin_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("url_name", ["login", "password_reset"])
def test_public_pages_render(client, db, url_name):
    assert client.get(reverse(url_name)).status_code == 200
