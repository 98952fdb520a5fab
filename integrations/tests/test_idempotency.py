"""Safe retries: a POST with an Idempotency-Key is answered once per token, key, method
and path for 24 hours; another body is a 422, a request still running a 409."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.test import APIRequestFactory

from customers.models import Customer, ScoringRun
from integrations import cleanup
from integrations.idempotency import IdempotencyKey, IdempotentViewMixin
from jobs.services import RunLog
from kam.tenancy import tenant_context
from tests.factories import CustomerFactory

API = "/api/v1"



def post(client, url, data, key):
    return client.post(url, json.dumps(data), content_type="application/json",
                       headers={"Idempotency-Key": key})


def count(tenant, model):
    with tenant_context(tenant):
        return model.objects.count()


def test_a_retried_create_is_answered_once(tenant, api):
    client = api("admin")

    first = post(client, f"{API}/customers/", {"code": "CJA", "name": "Chang Jiang"}, "k-1")
    again = post(client, f"{API}/customers/", {"code": "CJA", "name": "Chang Jiang"}, "k-1")

    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(tenant, Customer) == 1


def test_the_same_key_with_another_body_is_a_422(tenant, api):
    client = api("admin")
    post(client, f"{API}/customers/", {"code": "CJA", "name": "Chang Jiang"}, "k-1")

    response = post(client, f"{API}/customers/", {"code": "GWM", "name": "Great Wall"}, "k-1")

    assert response.status_code == 422
    assert "another request body" in response.json()["detail"]
    assert count(tenant, Customer) == 1


def test_a_key_still_in_flight_is_a_409(tenant, api):
    client = api("admin")
    body = {"code": "CJA", "name": "Chang Jiang"}
    post(client, f"{API}/customers/", body, "k-1")
    # As if the first request were still running in another worker.
    with tenant_context(tenant):
        IdempotencyKey.objects.update(status_code=None, response_body="")

    response = post(client, f"{API}/customers/", body, "k-1")

    assert response.status_code == 409
    assert count(tenant, Customer) == 1


def test_keys_are_per_token_and_expire_after_24_hours(tenant, api):
    first, second = api("admin"), api("admin")
    body = {"code": "CJA", "name": "Chang Jiang"}
    post(first, f"{API}/customers/", body, "k-1")

    other_token = post(second, f"{API}/customers/", body, "k-1")
    assert other_token.status_code == 400  # ran: the code is taken now
    assert "Idempotent-Replayed" not in other_token.headers

    with tenant_context(tenant):
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        Customer.objects.all().delete()
    assert post(first, f"{API}/customers/", body, "k-1").status_code == 201
    assert count(tenant, Customer) == 1


def test_a_refusal_is_replayed_too_and_writes_nothing(tenant, api):
    client = api("admin")
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, code="CJA")

    first = post(client, f"{API}/customers/", {"code": "cja", "name": "Again"}, "k-2")
    again = post(client, f"{API}/customers/", {"code": "cja", "name": "Again"}, "k-2")

    assert first.status_code == again.status_code == 400
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(tenant, Customer) == 1


def test_actions_are_covered_a_scoring_run_starts_once(tenant, api):
    client = api("executive")

    first = post(client, f"{API}/scoring-runs/", {}, "run-2026-12-06")
    again = post(client, f"{API}/scoring-runs/", {}, "run-2026-12-06")

    assert first.status_code == again.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert count(tenant, ScoringRun) == 1


def test_a_key_longer_than_255_characters_is_a_400(tenant, api):
    response = post(api("admin"), f"{API}/customers/", {"code": "X", "name": "X"}, "k" * 256)

    assert response.status_code == 400 and "Idempotency-Key" in response.json()


def test_the_schema_documents_the_header_on_every_post(client):
    schema = client.get("/api/schema/?format=json").json()

    posts = [operation for operations in schema["paths"].values()
             for method, operation in operations.items() if method == "post"]
    assert posts
    for operation in posts:
        assert "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])
                                     if p["in"] == "header"}, operation["operationId"]
        assert {"409", "422"} <= set(operation["responses"]), operation["operationId"]


def test_the_cleanup_job_purges_keys_past_their_window(tenant, api):
    client = api("admin")
    post(client, f"{API}/customers/", {"code": "A1", "name": "A1"}, "old")
    post(client, f"{API}/customers/", {"code": "A2", "name": "A2"}, "new")
    with tenant_context(tenant):
        IdempotencyKey.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(hours=25))

        log = RunLog()
        cleanup.run(tenant, tenant.today(), log)
        cleanup.run(tenant, tenant.today(), RunLog())

        assert log.counts["idempotency_keys_deleted"] == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


class FailingViewSet(IdempotentViewMixin, viewsets.ViewSet):
    """Writes, then fails with a 500: neither the write nor the answer may be kept."""

    authentication_classes = []
    permission_classes = []

    def create(self, request):
        Customer.objects.create(code="HALF", name="Half written")
        raise RuntimeError("the handler broke")


def test_a_failed_answer_is_not_kept_and_its_writes_roll_back(in_tenant):
    view = FailingViewSet.as_view({"post": "create"})
    request = APIRequestFactory().post("/api/v1/failing/", {"a": 1}, format="json",
                                       HTTP_IDEMPOTENCY_KEY="k-500")

    with pytest.raises(RuntimeError):
        view(request)

    assert not IdempotencyKey.objects.exists()  # the key may be used again
    assert not Customer.objects.exists()


def test_the_same_body_written_otherwise_is_the_same_request(tenant, api):
    client = api("admin")
    url = f"{API}/customers/"
    client.post(url, '{"code": "CJA", "name": "Chang Jiang"}', content_type="application/json",
                headers={"Idempotency-Key": "k-3"})

    again = client.post(url, '{"name":"Chang Jiang","code":"CJA"}',
                        content_type="application/json", headers={"Idempotency-Key": "k-3"})

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
