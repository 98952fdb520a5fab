"""The cached dashboard refilled by a real Celery worker (dashboards.caching), against
PostgreSQL and Redis: after a committed write (the figures from before it are served
meanwhile), and when the figures grow old. Runs where CI runs it (tests.celery_stack)."""

from tests.celery_stack import MARKS
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    OplItemFactory,
    PeriodFigureFactory,
    TenantFactory,
)

pytestmark = MARKS


def test_the_worker_refills_the_dashboard_after_a_write_and_when_it_grows_old(stack):
    tenant = TenantFactory(slug="refill-test", name="Refill Test Trim")
    executive = MembershipFactory(tenant=tenant, role="executive").user
    for n in range(3):
        customer = CustomerFactory(tenant=tenant, code=f"R{n}")
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=(n + 1) * 1_000_000)
        OplItemFactory(tenant=tenant, customer=customer)
    stack.start_redis()
    stack.start_worker()

    result = stack.run_web(f"""
        import json, re, time
        from django.core.cache import cache
        from django.db import connection, transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from accounts.models import Tenant, User
        from customers.models import Customer
        from dashboards import caching, selectors
        from kam.tenancy import tenant_context
        from tests.factories import OplItemFactory

        tenant = Tenant.objects.get(pk={tenant.pk})
        client = Client()
        client.force_login(User.objects.get(pk={executive.pk}))

        def page():
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/dashboard/")
            data = json.loads(re.search(r'id="dashboard-data" type="application/json">(.*?)<',
                                        response.content.decode(), re.S)[1])
            computed = re.search(r'id="computed-at">.*?(\\d\\d:\\d\\d)', response.content.decode(),
                                 re.S)[1]
            return data["opl"]["totals"]["open"], len(queries), computed

        def entry():  # (computed at, of the current version?) of the whole portfolio's
            with tenant_context(tenant):
                kept = cache.get(caching._entry_key(selectors.scope_for(tenant)))
            return kept and (kept[1], kept[2] == caching._version(tenant.pk)[0])

        def wait(condition):
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline:
                if condition():
                    return True
                time.sleep(0.2)
            return False

        computed = page()  # nothing cached: the page computes and keeps its figures
        with tenant_context(tenant), transaction.atomic():
            OplItemFactory(tenant=tenant, customer=Customer.objects.first())
        while_refilling = page()  # the refill waits DASHBOARD_REFILL_DELAY_SECONDS
        refilled = wait(lambda: entry() and entry()[1])
        after_write = page()

        first_refill = entry()[0]
        time.sleep(2.5)  # older than DASHBOARD_CACHE_SECONDS (2 here)
        old = page()
        refilled_again = wait(lambda: entry()[0] > first_refill)
        print(json.dumps({{"computed": computed, "while_refilling": while_refilling,
                          "refilled": refilled, "after_write": after_write, "old": old,
                          "refilled_again": refilled_again}}))
    """, DASHBOARD_CACHE_SECONDS="2", DASHBOARD_REFILL_DELAY_SECONDS="3")

    open_before, computed_queries, _time = result["computed"]
    open_after, served_queries, _time = result["after_write"]
    assert served_queries < computed_queries / 2, result  # served, not computed
    # Until the refill lands, the figures from before the write are served.
    assert result["while_refilling"][:2] == [open_before, served_queries], result
    assert result["refilled"], stack.logs()
    assert open_after == open_before + 1
    # Figures older than DASHBOARD_CACHE_SECONDS: served while the worker refills them.
    assert result["old"][:2] == [open_after, served_queries], result
    assert result["refilled_again"], stack.logs()
