"""The cached dashboard (dashboards.caching): kept briefly, left behind by a committed
write, one entry for every language, the day's first computed by the nightly job. The
worker's refill after a write is tested on a real worker (test_refill_on_worker)."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboards import caching
from dashboards.jobs import refresh_health
from dashboards.tests.pages import chart_data, text
from dashboards.tests.portfolio import build_portfolio
from jobs.services import RunLog
from kam.tenancy import tenant_context
from tests.factories import CustomerFactory, OplItemFactory, RegionFactory

# A page served from the cache: the session, the user, the membership, the filter form's
# choices; none of the panels' queries (a computed page runs about 30).
CACHED_PAGE_QUERIES = 12


@pytest.fixture
def cached(settings, eager):
    """The cache on, and no worker to refill it (CI's tests have a broker, not a worker)."""
    settings.DASHBOARD_CACHE_SECONDS = 600
    cache.clear()
    yield settings
    cache.clear()


def test_the_dashboard_is_kept_briefly_and_recomputed_on_request(client, tenant, login,
                                                                 cached):
    cached.DASHBOARD_CACHE_SECONDS = 60
    login("executive")
    OplItemFactory(tenant=tenant)

    first = chart_data(client.get(reverse("dashboard")))
    OplItemFactory(tenant=tenant)
    kept = chart_data(client.get(reverse("dashboard")))
    page = client.get(reverse("dashboard") + "?refresh=1")
    fresh = chart_data(page)

    assert kept["opl"] == first["opl"]
    assert fresh["opl"] != first["opl"]
    assert "Figures computed at" in text(page)


def test_a_committed_write_leaves_the_cached_dashboard_behind(
        client, login, tenant, cached, django_capture_on_commit_callbacks):
    login("executive")
    OplItemFactory(tenant=tenant)
    first = chart_data(client.get(reverse("dashboard")))

    with django_capture_on_commit_callbacks(execute=True):
        OplItemFactory(tenant=tenant)
    after = chart_data(client.get(reverse("dashboard")))

    assert after["opl"]["totals"]["open"] == first["opl"]["totals"]["open"] + 1


def test_one_cached_dashboard_serves_every_language(client, tenant, login, cached,
                                                    django_assert_max_num_queries):
    build_portfolio(tenant, size=3)
    login("executive")
    english = chart_data(client.get(reverse("dashboard")))

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
        page = client.get(reverse("dashboard"))
    chinese = chart_data(page)

    assert english["opl"]["ageing"][0]["label"] == "≤ 30 days"
    assert chinese["opl"]["ageing"][0]["label"] == "≤ 30 天"
    assert {band["label"] for band in chinese["health"]["bands"]} >= {"有风险"}
    assert chinese["opl"]["totals"] == english["opl"]["totals"]


def test_the_nightly_health_job_computes_the_days_dashboard(client, tenant, login, cached,
                                                            django_assert_max_num_queries):
    portfolio = build_portfolio(tenant, size=3)
    login("executive")
    with tenant_context(tenant):
        refresh_health(tenant, tenant.today(), RunLog())

    with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
        data = chart_data(client.get(reverse("dashboard")))

    assert data["tiers"]["customers"] == len(portfolio.customers)
    assert data["opl"]["totals"]["open"] > 0


def test_without_a_cache_the_page_computes_every_time(client, tenant, login, settings,
                                                      django_assert_max_num_queries):
    settings.DASHBOARD_CACHE_SECONDS = 0
    build_portfolio(tenant, size=2)
    login("executive")
    with tenant_context(tenant):
        assert caching.refill(tenant) is None  # nothing kept

    with django_assert_max_num_queries(60) as queries:
        client.get(reverse("dashboard"))
    assert len(queries) > CACHED_PAGE_QUERIES


def test_without_a_worker_an_old_entry_is_recomputed_by_the_page(client, tenant, login,
                                                                 cached):
    # No worker: no refill can be scheduled, so the page does not serve figures older
    # than DASHBOARD_CACHE_SECONDS while waiting for one.
    cached.DASHBOARD_CACHE_SECONDS = 1
    login("executive")
    OplItemFactory(tenant=tenant)
    first = chart_data(client.get(reverse("dashboard")))
    OplItemFactory(tenant=tenant)  # its commit is never seen: the version stays

    time.sleep(1.1)
    after = chart_data(client.get(reverse("dashboard")))

    assert after["opl"]["totals"]["open"] == first["opl"]["totals"]["open"] + 1


@pytest.mark.parametrize("filtered", [False, True])
def test_with_a_worker_the_figures_before_a_write_are_served_until_the_refill_is_late(
        client, tenant, login, settings, celery_conf, django_capture_on_commit_callbacks,
        monkeypatch, filtered):
    # A worker is assumed (tasks go to the broker, which nobody reads here): the refill
    # is scheduled but never runs, as when the workers are down or far behind.
    settings.DASHBOARD_CACHE_SECONDS = 600
    celery_conf(task_always_eager=False)
    cache.clear()
    login("executive")
    region = RegionFactory(tenant=tenant)
    customer = CustomerFactory(tenant=tenant, region=region)
    OplItemFactory(tenant=tenant, customer=customer)
    url = reverse("dashboard") + (f"?region={region.pk}" if filtered else "")
    first = chart_data(client.get(url))

    with django_capture_on_commit_callbacks(execute=True):
        OplItemFactory(tenant=tenant, customer=customer)
    while_refilling = chart_data(client.get(url))
    monkeypatch.setattr(caching, "REFILL_GRACE_SECONDS", 0)  # the refill is now late
    late = chart_data(client.get(url))
    cache.clear()

    assert while_refilling["opl"] == first["opl"]
    assert late["opl"]["totals"]["open"] == first["opl"]["totals"]["open"] + 1


def test_the_workers_refill_of_a_filtered_view_is_what_the_page_serves(
        client, tenant, login, cached, django_assert_max_num_queries):
    region = RegionFactory(tenant=tenant)
    for code in ("IN-1", "IN-2"):
        OplItemFactory(tenant=tenant, customer=CustomerFactory(tenant=tenant, code=code,
                                                                region=region))
    OplItemFactory(tenant=tenant)  # a customer of no region
    login("executive")
    with tenant_context(tenant):
        caching.refill(tenant, {"region": str(region.pk)})
        assert caching.refill(tenant, {"region": "0"}) is None  # no such region

    with django_assert_max_num_queries(CACHED_PAGE_QUERIES):
        data = chart_data(client.get(reverse("dashboard") + f"?region={region.pk}"))
    assert data["tiers"]["customers"] == 2
    assert data["opl"]["totals"]["open"] == 2
