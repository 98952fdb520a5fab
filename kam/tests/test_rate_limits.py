"""Rate limits per token, counted in the cache (Redis when REDIS_URL is set): past its
budget a token gets 429 with Retry-After and the error shape; other tokens go on."""

import json

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from tests.factories import MembershipFactory

API = "/api/v1"


@pytest.fixture
def tight_limits(settings):
    # Per hour: a window is unlikely to end in the middle of the test.
    settings.API_RATE_LIMITS = {"read": "3/hour", "write": "2/hour"}


def test_a_token_past_its_limit_gets_429_with_retry_after(tenant, bearer_client, tight_limits):
    membership = MembershipFactory(tenant=tenant, role="admin")
    busy, other = bearer_client(membership), bearer_client(membership)

    answers = [busy.get(f"{API}/customers/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = busy.get(f"{API}/customers/")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "detail" in refused.json()
    # Another token of the same tenant (even of the same member) has its own budget.
    assert other.get(f"{API}/customers/").status_code == 200


def test_writes_have_a_budget_of_their_own(tenant, bearer_client, tight_limits):
    client = bearer_client(MembershipFactory(tenant=tenant, role="admin"))

    def create(code):
        return client.post(f"{API}/customers/", json.dumps({"code": code, "name": code}),
                           content_type="application/json").status_code

    assert [create("A"), create("B"), create("C")] == [201, 201, 429]
    assert client.get(f"{API}/customers/").status_code == 200


def test_the_limits_count_in_the_configured_cache():
    backend = django_settings.CACHES["default"]["BACKEND"]
    if django_settings.REDIS_URL:
        assert backend.endswith("RedisCache")
    cache.set("rate-limit-probe", 1)
    assert cache.incr("rate-limit-probe") == 2


def test_the_schema_documents_429_and_the_limits(client):
    schema = client.get("/api/schema/?format=json").json()

    assert "1200 per minute" in schema["info"]["description"]
    operation = schema["paths"]["/api/v1/customers/"]["get"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]
