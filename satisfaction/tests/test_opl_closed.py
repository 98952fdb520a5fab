"""When an OPL item is closed (satisfaction.opl): done or verified on its closed date,
cancelled on the day it was cancelled, in the tenant's time zone; what the burn-down and
the monthly report count."""

from datetime import UTC, date, datetime

import pytest

from satisfaction import opl
from satisfaction.models import OplItem
from tests.factories import OplItemFactory

FIRST, LAST = date(2026, 4, 1), date(2026, 4, 30)


def cancelled(tenant, title, at):
    item = OplItemFactory(tenant=tenant, title=title, status="cancelled",
                          opened_on=date(2026, 3, 1))
    OplItem.objects.filter(pk=item.pk).update(updated_at=at)  # when it was cancelled
    return item


@pytest.fixture
def items(in_tenant):
    """April in Shanghai (UTC+8): which items closed in it."""
    for title, status, closed_on in (("done in April", "done", date(2026, 4, 28)),
                                     ("verified in April", "verified", date(2026, 4, 1)),
                                     ("done in March", "done", date(2026, 3, 31)),
                                     ("done in May", "done", date(2026, 5, 1))):
        OplItemFactory(tenant=in_tenant, title=title, status=status, closed_on=closed_on,
                       opened_on=date(2026, 3, 1))
    OplItemFactory(tenant=in_tenant, title="open", opened_on=date(2026, 3, 1))
    # 16:30 UTC on 30 April is 00:30 on 1 May in Shanghai: May's.
    cancelled(in_tenant, "cancelled in April", datetime(2026, 4, 10, 2, tzinfo=UTC))
    cancelled(in_tenant, "cancelled on 1 May", datetime(2026, 4, 30, 16, 30, tzinfo=UTC))
    # 23:00 UTC on 31 March is 07:00 on 1 April in Shanghai: April's.
    cancelled(in_tenant, "cancelled on 1 April", datetime(2026, 3, 31, 23, tzinfo=UTC))
    return in_tenant


def titles(queryset):
    return sorted(queryset.values_list("title", flat=True))


def test_closed_in_a_month_by_hand(items):
    tz = items.tzinfo

    closed = OplItem.objects.filter(opl.closed_q(since=FIRST, until=LAST, tz=tz))

    assert titles(closed) == ["cancelled in April", "cancelled on 1 April", "done in April",
                              "verified in April"]
    by_end_of_march = OplItem.objects.filter(opl.closed_q(until=date(2026, 3, 31), tz=tz))
    assert titles(by_end_of_march) == ["done in March"]


def test_closed_per_day_by_hand(items, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        per_day = opl.closed_per_day(OplItem.objects.all(), since=FIRST, until=LAST,
                                     tz=items.tzinfo)

    assert per_day == {date(2026, 4, 1): 2, date(2026, 4, 10): 1, date(2026, 4, 28): 1}
    assert sum(per_day.values()) == OplItem.objects.filter(
        opl.closed_q(since=FIRST, until=LAST, tz=items.tzinfo)).count()
