"""What the schema promises a generated client, checked on the schema and on the API:
JSON bodies only, component names and descriptions, enums without "", ordering and search
documented exactly where they work, every list paginated, and unknown query parameters
refused by name.

The sweeps read the schema and the router, so a new endpoint is covered when registered.
"""

import pytest
from drf_spectacular.plumbing import get_doc
from rest_framework import serializers

from kam.schema import RESERVED_COMPONENT_NAMES
from tests.factories import CustomerFactory, OplItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generator(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    with django_db_blocker.unblock():
        schema = generator.get_schema(request=None, public=True)
    return generator, schema


@pytest.fixture(scope="module")
def schema(generator):
    return generator[1]


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield path, method, operation


def test_no_component_is_named_like_a_client_class(schema):
    assert set(schema["components"]["schemas"]) & RESERVED_COMPONENT_NAMES == set()
    assert "SurveyResponse" in schema["components"]["schemas"]


def test_every_serializer_component_has_its_own_description(generator):
    """Each component made from a serializer says what it is for an integrator; the
    serializer's docstring (written for the code's readers) is not it."""
    generator, _schema = generator
    missing, docstrings = [], []
    for (name, _kind), component in generator.registry._components.items():
        serializer = component.object
        if not isinstance(serializer, serializers.BaseSerializer | type):
            continue
        cls = serializer if isinstance(serializer, type) else type(serializer)
        if (not issubclass(cls, serializers.BaseSerializer) or name.startswith("Paginated")
                or component.schema is None or "enum" in component.schema):
            continue
        description = component.schema.get("description")
        if not description:
            missing.append(name)
        elif description == get_doc(cls):
            docstrings.append(name)
    assert (missing, docstrings) == ([], [])


def test_no_enum_offers_a_blank_string(schema):
    """An unset choice is null (a nullable enum), never "" outside the enum."""
    blank = [name for name, component in schema["components"]["schemas"].items()
             if "" in component.get("enum", [])]
    assert blank == []


# The one exception: a file is uploaded as multipart/form-data (records.api).
MULTIPART_OPERATIONS = {("post", "/api/v1/attachments/"): ["multipart/form-data"]}


def test_request_bodies_are_json_only(schema):
    kinds = {(method, path): sorted(operation["requestBody"]["content"])
             for path, method, operation in operations(schema) if "requestBody" in operation}
    assert kinds and {key: kind for key, kind in kinds.items()
                      if kind != ["application/json"]} == MULTIPART_OPERATIONS


def test_every_list_is_paginated(schema):
    """An operation named a list answers the page shape, history and actions included."""
    bare = [path for path, method, operation in operations(schema)
            if method == "get" and operation["operationId"].endswith("_list")
            and not operation["responses"]["200"]["content"]["application/json"]["schema"]
            .get("$ref", "").startswith("#/components/schemas/Paginated")]
    assert bare == []


def test_me_is_one_object(schema):
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert me["operationId"] == "me_retrieve"
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Me"}


def _views():
    from kam.api_urls import router

    for prefix, viewset, _basename in router.registry:
        yield f"/api/v1/{prefix}/", viewset


def _query_parameters(schema, path):
    operation = schema["paths"].get(path, {}).get("get")
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"} \
        if operation else None


def test_search_and_ordering_are_documented_where_a_view_has_them(schema):
    wrong = []
    for path, viewset in _views():
        parameters = _query_parameters(schema, path)
        if parameters is None:
            continue
        if ("search" in parameters) != bool(getattr(viewset, "search_fields", None)):
            wrong.append(f"{path} search")
        fields = getattr(viewset, "ordering_fields", None) or []
        expected = sorted([*fields, *(f"-{name}" for name in fields)])
        documented = sorted(parameters.get("ordering", {}).get("schema", {}).get("enum", []))
        if documented != expected:
            wrong.append(f"{path} ordering {documented} != {expected}")
    assert wrong == []


def test_every_operation_documents_the_400_in_one_shape(schema):
    shapes = {(method, path): operation["responses"].get("400", {}).get("content")
              for path, method, operation in operations(schema)}
    one = {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
    assert {key: shape for key, shape in shapes.items() if shape != one} == {}


# --- the API -------------------------------------------------------------------------


def test_every_read_refuses_an_unknown_query_parameter_by_name(schema, admin_api_client,
                                                               tenant):
    accepted = {}
    for path, method, _operation in operations(schema):
        if method != "get":
            continue
        url = path
        for name in ("id", "code", "external_id"):
            url = url.replace(f"{{{name}}}", "1")
        response = admin_api_client.get(url, {"colour": "red"})
        if response.status_code != 400 or "colour" not in str(response.json().get("query")):
            accepted[path] = response.status_code
    assert accepted == {}


def test_documented_query_parameters_are_still_taken(admin_api_client, tenant):
    CustomerFactory(tenant=tenant, name="Beta", code="B1")
    CustomerFactory(tenant=tenant, name="Alpha", code="A1")
    response = admin_api_client.get("/api/v1/customers/", {
        "ordering": "-name", "search": "a", "page": 1, "page_size": 10, "is_active": "true",
        "format": "json"})
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["results"]] == ["Beta", "Alpha"]


def test_an_unknown_filter_is_a_400_naming_it(admin_api_client, tenant):
    response = admin_api_client.get("/api/v1/customers/", {"teir": "A", "tier": "A"})
    assert response.status_code == 400
    [message] = response.json()["query"]
    assert "teir" in message and "tier" in message  # the unknown one, and what is taken


def test_an_unknown_ordering_field_is_a_400_naming_it(admin_api_client, tenant):
    response = admin_api_client.get("/api/v1/customers/", {"ordering": "name,-colour"})
    assert response.status_code == 400
    [message] = response.json()["ordering"]
    assert "-colour" in message and "name" in message


def test_a_form_body_is_refused_as_unsupported(admin_api_client, tenant):
    response = admin_api_client.post("/api/v1/customers/", {"code": "F1", "name": "Form"})
    assert response.status_code == 415


def test_an_update_without_a_status_change_answers_null_not_blank(admin_api_client, tenant,
                                                                 admin_membership):
    item = OplItemFactory(tenant=tenant, owner=admin_membership.user)
    response = admin_api_client.post(f"/api/v1/opl-items/{item.pk}/updates/",
                                     {"note": "Called the plant", "progress": 20},
                                     content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["status_from"], response.json()["status_to"]) == (None, None)
    page = admin_api_client.get(f"/api/v1/opl-items/{item.pk}/updates/").json()
    assert [(row["status_from"], row["status_to"]) for row in page["results"]] == [(None, None)]


def test_the_browsable_api_still_renders_for_a_signed_in_user(admin_client, tenant):
    """The HTML view of the API reads with the session; it needs no form parser."""
    CustomerFactory(tenant=tenant)
    response = admin_client.get("/api/v1/customers/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    assert admin_client.get("/api/v1/customers/", {"format": "api"}).status_code == 200


def test_the_api_root_and_head_requests_take_what_their_reads_take(admin_api_client, tenant):
    assert admin_api_client.get("/api/v1/", {"format": "json"}).status_code == 200
    assert admin_api_client.head("/api/v1/customers/", {"tier": "A"}).status_code == 200
    assert admin_api_client.head("/api/v1/customers/", {"teir": "A"}).status_code == 400
