"""The inbox (mark one read) and the e-mail settings page."""

from django.urls import reverse

from kam.tenancy import tenant_context
from notifications.models import Notification, NotificationPreference
from tests.factories import MembershipFactory, NotificationFactory


def test_e_mail_settings_are_per_kind(client, tenant):
    user = MembershipFactory(tenant=tenant, role="member").user
    client.force_login(user)
    page = client.get(reverse("notification_settings")).content.decode()
    assert "An OPL item you own or answer for is overdue" in page
    assert "The monthly management report (executives)" in page

    response = client.post(reverse("notification_settings"), {"opl_chase": "on"})

    assert response.status_code == 302
    with tenant_context(tenant):
        chosen = dict(NotificationPreference.objects.filter(user=user)
                      .values_list("kind", "email"))
    assert chosen["opl_chase"] is True and chosen["opl_overdue"] is False
    page = client.get(reverse("notification_settings")).content.decode()
    assert 'id="id_opl_chase" checked' in page
    assert 'id="id_opl_overdue" checked' not in page


def test_one_notification_is_marked_read_without_opening_it(client, tenant):
    user = MembershipFactory(tenant=tenant, role="member").user
    note = NotificationFactory(tenant=tenant, recipient=user, url="/customers/")
    other = NotificationFactory(tenant=tenant, recipient=user, url="/customers/")
    client.force_login(user)
    page = client.get(reverse("inbox")).content.decode()
    assert reverse("notification_read", args=[note.pk]) in page
    assert '<span class="badge text-bg-warning">2</span>' in page

    response = client.post(reverse("notification_read", args=[note.pk]))

    assert response.status_code == 302 and response.url == reverse("inbox")
    with tenant_context(tenant):
        assert Notification.objects.get(pk=note.pk).read_at is not None
        assert Notification.objects.get(pk=other.pk).read_at is None
    stranger = MembershipFactory(tenant=tenant, role="member").user
    client.force_login(stranger)
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404
