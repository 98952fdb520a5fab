"""Every JSON body the API cannot use is a 400 that says why, never a 500: deeply nested
JSON (1,000 levels in 2 KB raises RecursionError in Python's decoder) included, on the
default parser (kam.parsers.JSONParser) and the bulk endpoints' alike."""

import json

import pytest
from django.conf import settings
from django.test import Client

from kam.parsers import MAX_DEPTH, nested_deeper_than

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
FAR_TOO_DEEP = json.dumps({"name": "x", "notes": json.loads("[" * 100 + "]" * 100)})


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, FAR_TOO_DEEP],
                         ids=["list", "object", "100-levels"])
@pytest.mark.parametrize("method,url", [
    ("post", "/api/v1/customers/"),
    ("post", "/api/v1/contacts/"),
    ("post", "/api/v1/scoring-policies/"),
    ("post", "/api/v1/opl-items/"),
])
def test_a_deeply_nested_body_is_a_400(admin_api_client, tenant, method, url, body):
    response = getattr(admin_api_client, method)(url, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert "nested more than" in response.json()["detail"]


def test_a_deeply_nested_body_is_a_400_on_an_object_too(admin_api_client, tenant):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(tenant=tenant)
    response = admin_api_client.patch(f"/api/v1/customers/{customer.pk}/", DEEP_LIST,
                                      content_type="application/json")

    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_a_deeply_nested_bulk_upload_names_the_problem(admin_api_client, tenant):
    response = admin_api_client.post("/api/v1/customer-figures/bulk/", DEEP_LIST,
                                     content_type="application/json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["row"] is None and "nested more than" in error["message"]


def test_a_browser_session_without_its_csrf_token_gets_a_400_not_a_500(tenant,
                                                                       admin_membership):
    # With a CSRF cookie but no token header, the session's CSRF check looks for the
    # token in the body: it is parsed before the view runs.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_membership.user)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32

    response = browser.post("/api/v1/customers/", DEEP_LIST, content_type="application/json")

    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_an_unauthenticated_deeply_nested_body_is_refused_without_reading_it(db):
    response = Client().post("/api/v1/customers/", DEEP_LIST, content_type="application/json")

    assert response.status_code == 401


def test_bodies_of_the_usual_depth_still_parse(admin_api_client, tenant):
    rows = [{"customer_code": "NONE", "period": "2026Q1", "revenue": "1"}]
    response = admin_api_client.post("/api/v1/customer-figures/bulk/", json.dumps(rows),
                                     content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "customer_code"


def test_malformed_and_badly_encoded_bodies_are_400s(admin_api_client, tenant):
    malformed = admin_api_client.post("/api/v1/customers/", "{", content_type="application/json")
    latin1 = admin_api_client.post("/api/v1/customers/", '{"name": "Citro\xebn"}'.encode(
        "latin-1"), content_type="application/json")
    nan = admin_api_client.post("/api/v1/customers/", '{"name": NaN}',
                                content_type="application/json")

    assert [malformed.status_code, latin1.status_code, nan.status_code] == [400, 400, 400]
    assert "JSON parse error" in malformed.json()["detail"]


def test_the_depth_check():
    assert not nested_deeper_than(1, 1)
    assert not nested_deeper_than({"a": [1, {"b": 2}]}, 3)
    assert nested_deeper_than({"a": [1, {"b": []}]}, 3)
    assert not nested_deeper_than(json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH), MAX_DEPTH)
