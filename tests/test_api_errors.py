"""The API's error answers: a 503 the client may retry while the database is away, and
every 400 the API can give documented in its schema."""

import logging
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection


@pytest.mark.parametrize("error", [
    OperationalError("could not connect to server: Connection refused"),
    InterfaceError("connection already closed"),
], ids=["refused", "lost"])
def test_the_api_answers_503_while_the_database_is_down(admin_api_client, caplog, error):
    with mock.patch.object(connection, "cursor", side_effect=error), \
            caplog.at_level(logging.ERROR, logger="kam.api"):
        response = admin_api_client.get("/api/v1/customers/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "database" in response.json()["detail"]
    [record] = [r for r in caplog.records if r.name == "kam.api"]
    assert "503" in record.getMessage() and str(error) in record.getMessage()


def test_a_write_while_the_database_is_down_is_a_503(admin_api_client, tenant):
    with mock.patch("customers.api.CustomerViewSet.perform_create",
                    side_effect=OperationalError("server closed the connection unexpectedly")):
        response = admin_api_client.post("/api/v1/customers/", {"code": "X1", "name": "X"},
                                         content_type="application/json")

    assert response.status_code == 503 and response.has_header("Retry-After")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_write_documents_its_400(schema):
    undocumented = [f"{method.upper()} {path}" for path, method, operation in operations(schema)
                    if method in ("post", "put", "patch", "delete")
                    and "400" not in operation["responses"]]

    assert not undocumented


def test_every_list_with_filters_documents_its_400(schema):
    undocumented = [f"GET {path}" for path, method, operation in operations(schema)
                    if method == "get"
                    and any(p["in"] == "query" for p in operation.get("parameters", []))
                    and "400" not in operation["responses"]]

    assert not undocumented


def test_every_operation_documents_the_503_and_its_retry_after(schema):
    for path, method, operation in operations(schema):
        answer = operation["responses"].get("503")
        assert answer and "Retry-After" in answer["headers"], f"{method.upper()} {path}"


def test_a_bodyless_write_that_a_rule_refuses_documents_the_400(schema):
    delete = schema["paths"]["/api/v1/campaigns/{id}/"]["delete"]
    link = schema["paths"]["/api/v1/invitations/{id}/link/"]["post"]

    assert "400" in delete["responses"] and "400" in link["responses"]
