from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from satisfaction import opl, selectors, services
from satisfaction.models import OplItem
from tests.factories import MembershipFactory, OplItemFactory


@pytest.mark.parametrize("score,scale,low", [(3, 5, True), (4, 5, False), (6, 10, True),
                                             (7, 10, False), (1, 5, True)])
def test_low_score_threshold(score, scale, low):
    assert opl.is_low_score(score, scale) is low


def test_flow_rejects_skipping_and_needs_reasons(in_tenant):
    item = OplItemFactory(tenant=in_tenant)
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    with pytest.raises(ValidationError) as exc:
        opl.check_transition(item, "verified", user=admin, role="admin")
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        opl.check_transition(item, "blocked", user=admin, role="admin", reason=" ")
    assert "status_reason" in exc.value.message_dict
    opl.check_transition(item, "in_progress", user=admin, role="admin")


def test_only_accountable_kam_or_executive_verifies(in_tenant):
    item = OplItemFactory(tenant=in_tenant, status="done", verification="Checked on site")
    manager = MembershipFactory(tenant=in_tenant, role="manager").user
    executive = MembershipFactory(tenant=in_tenant, role="executive").user
    with pytest.raises(ValidationError) as exc:
        services.add_update(item, user=manager, role="manager", note="ok", progress=100,
                            status="verified")
    assert "status" in exc.value.message_dict
    item.refresh_from_db()
    assert item.status == "done" and item.updates.count() == 0

    services.add_update(item, user=item.accountable, role="member", note="ok", progress=100,
                        status="verified")
    item.refresh_from_db()
    assert item.status == "verified" and item.verified_by == item.accountable
    other = OplItemFactory(tenant=in_tenant, status="done", verification="Audit passed")
    services.add_update(other, user=executive, role="executive", note="ok", progress=100,
                        status="verified")


def test_stale_and_overdue_flags_are_set_based(in_tenant, django_assert_max_num_queries):
    today = in_tenant.today()
    old = timezone.now() - timedelta(days=15)
    OplItemFactory(tenant=in_tenant, due_date=today - timedelta(days=1))  # overdue
    OplItemFactory(tenant=in_tenant, last_update_at=old)  # stale
    OplItemFactory(tenant=in_tenant, status="done", due_date=today - timedelta(days=3),
                   last_update_at=old)  # neither
    with django_assert_max_num_queries(1):
        rows = {i.title: (i.is_overdue, i.is_stale)
                for i in selectors.opl_items(today=today).order_by("pk")}
    assert sorted(rows.values()) == [(False, False), (False, True), (True, False)]
    assert selectors.filter_items(OplItem.objects.all(), today=today, overdue=True).count() == 1
    assert selectors.filter_items(OplItem.objects.all(), today=today, stale=True).count() == 1


def test_update_logs_progress_and_refreshes_staleness(in_tenant):
    item = OplItemFactory(tenant=in_tenant, last_update_at=timezone.now() - timedelta(days=20))
    assert opl.is_stale(item)
    user = MembershipFactory(tenant=in_tenant, role="manager").user
    update = services.add_update(item, user=user, role="manager", note="Tool corrected",
                                 progress=60, status="in_progress")
    item.refresh_from_db()
    assert not opl.is_stale(item)
    assert (item.progress, item.status) == (60, "in_progress")
    assert (update.status_from, update.status_to) == ("open", "in_progress")


def test_bad_progress_is_a_field_error(in_tenant):
    item = OplItemFactory(tenant=in_tenant)
    with pytest.raises(ValidationError) as exc:
        services.add_update(item, user=item.owner, role="member", note="", progress=120)
    assert {"note", "progress"} <= set(exc.value.message_dict)


def test_chaser_notifies_once_per_fortnight(in_tenant):
    from notifications.models import Notification
    from satisfaction.tasks import chase_opl_items

    OplItemFactory(tenant=in_tenant, due_date=in_tenant.today() - timedelta(days=1))
    OplItemFactory(tenant=in_tenant)  # neither overdue nor stale
    assert chase_opl_items.run(tenant_id=in_tenant.pk) == {"notified": 2}
    assert chase_opl_items.run(tenant_id=in_tenant.pk) == {"notified": 0}
    assert Notification.objects.count() == 2
