"""The schema is the contract: clients generated from `/api/schema/` work against the API.

Two mainstream generators read the schema the app serves:
- openapi-python-client generates a Python client: every generated module must import,
  every list and retrieve operation is called through it against a live server with the
  demo data (one tenant), and its answer must parse into the generated model; rows created
  through it are stored as sent (an omitted boolean takes the API's default, not false).
- datamodel-code-generator generates strict pydantic models of the components (nullable
  only where the schema says so, no field the schema does not name, no coercion): the same
  live answers must validate against them.

The operations are read from the schema, not listed here, so a new endpoint is covered
as soon as it is registered; an operation on one object (`{id}`, `{code}`… in its path)
takes the key of the first row its resource's list answers (a resource the demo data has
no row of gets one from its factory; a natural key it leaves blank is set through the API).
"""

import importlib
import json
import pkgutil
import re
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import resolve

from accounts.models import Membership
from accounts.seed import seed_tenants
from accounts.services import create_api_token
from customers.models import Contact, Customer, Interaction, PeriodFigure
from kam.tenancy import tenant_context
from satisfaction.models import OplItem
from tests.factories import MembershipFactory, TenantFactory
from tests.test_isolation import factory_registry

PACKAGE = "kam_api_client"
DEMO_TENANT = "demo"
DEMO_ADMIN = "admin@demo.example.com"


def _run(*args, cwd):
    """Run a generator (installed with the dev requirements) next to this interpreter."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def served_schema(django_db_setup, django_db_blocker):
    """The schema as the app serves it (JSON)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def generated(served_schema, tmp_path_factory):
    """The generated client package and pydantic models module, importable."""
    root = tmp_path_factory.mktemp("generated")
    (root / "schema.json").write_text(json.dumps(served_schema))
    # No post-hooks: the generated code is imported, not formatted (and no formatter runs).
    # Files (PDF, XLSX) are read as bytes: the generator only knows octet-stream for them.
    (root / "client.yaml").write_text(json.dumps({
        "post_hooks": [],
        "content_type_overrides": dict.fromkeys(_binary_media_types(served_schema),
                                                "application/octet-stream")}))
    _run("openapi_python_client", "generate", "--path", "schema.json", "--meta", "none",
         "--output-path", PACKAGE, "--config", "client.yaml", "--overwrite", cwd=root)
    _run("datamodel_code_generator", "--input", "schema.json", "--input-file-type", "openapi",
         "--output", "strict_models.py", "--output-model-type", "pydantic_v2.BaseModel",
         "--strict-nullable", "--extra-fields", "forbid", "--strict-types", "str", "int",
         "bool", "--use-standard-collections", "--disable-timestamp", "--formatters", "builtin",
         cwd=root)
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        strict = importlib.import_module("strict_models")
        yield package, strict
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules
                     if name == PACKAGE or name.startswith(f"{PACKAGE}.")
                     or name == "strict_models"]:
            del sys.modules[name]


def test_every_generated_module_imports(generated):
    package, _strict = generated
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    broken = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 -- every failure is listed, whatever it is
            broken[name] = f"{type(exc).__name__}: {exc}"
    assert broken == {}, "\n".join(f"{name}: {error}" for name, error in broken.items())
    assert len(names) > 100, names  # the generator did generate the API


# --- against a live server with the demo data ---------------------------------------


@pytest.fixture
def demo(transactional_db):
    """The demo tenant seeded as `manage.py seed_demo` seeds it, and an admin's token."""
    tenant = seed_tenants()[DEMO_TENANT]
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.seed"
        if app_config.name == "accounts" or importlib.util.find_spec(module_name) is None:
            continue
        with tenant_context(tenant):
            importlib.import_module(module_name).seed(tenant)
    with tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(
            tenant=tenant, user__email=DEMO_ADMIN)
    _token, raw = create_api_token(tenant=tenant, user=membership.user, name="generated client",
                                   role="admin")
    return tenant, raw, membership.user


def _client(package, live_server, raw_token):
    return package.AuthenticatedClient(base_url=live_server.url, token=raw_token,
                                       raise_on_unexpected_status=True, timeout=60)


@pytest.fixture
def api(generated, demo, live_server):
    with _client(generated[0], live_server, demo[1]) as opened:
        yield opened


@pytest.fixture
def small(transactional_db):
    """A tenant with an admin and an account manager (writes need no demo portfolio)."""
    tenant = TenantFactory(slug="generated", name="Generated Client Tests")
    admin = MembershipFactory(tenant=tenant, role="admin")
    kam = MembershipFactory(tenant=tenant, role="manager")
    _token, raw = create_api_token(tenant=tenant, user=admin.user, name="generated client",
                                   role="admin")
    return tenant, raw, kam.user


def _reads(schema):
    """Every GET operation of the schema: (path, operationId, tag, 200 schema), lists (no
    path parameter) first, so that operations on one object find their row."""
    reads = [
        (path, item["get"]["operationId"], item["get"]["tags"][0],
         _answer_schema(item["get"]["responses"]["200"]["content"]))
        for path, item in schema["paths"].items() if "get" in item
    ]
    return sorted(reads, key=lambda read: ("{" in read[0], read[0]))


def _binary_media_types(schema):
    """Every media type of an answer that is a file (a binary string), e.g. application/pdf."""
    return sorted({
        media_type
        for item in schema["paths"].values() for operation in item.values()
        if isinstance(operation, dict)
        for answer in operation.get("responses", {}).values()
        for media_type, body in answer.get("content", {}).items()
        if body.get("schema", {}).get("format") == "binary"})


def _answer_schema(content):
    """The JSON schema of a 200 answer, or {"binary": [media types]} for a file (a PDF, an
    XLSX) that has none."""
    if "application/json" in content:
        return content["application/json"]["schema"]
    return {"binary": sorted(content)}


def _module(package, tag, operation_id):
    from openapi_python_client.strings import snake_case

    return importlib.import_module(
        f"{package.__name__}.api.{snake_case(tag)}.{snake_case(operation_id)}")


def _component(answer_schema):
    ref = answer_schema.get("$ref") or answer_schema.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _fill_empty_lists(http, schema, tenant, user):
    """A row made by its factory (tests/factories.py) for each resource the demo data has
    none of (for the caller), so that reading one object has one to read."""
    registry = factory_registry()
    for path, _operation_id, _tag, _answer in _reads(schema):
        if "{" in path:
            continue
        body = http.get(path).json()
        if not isinstance(body, dict) or body.get("count") != 0:
            continue
        view = resolve(path).func.cls
        model = (getattr(getattr(view, "queryset", None), "model", None)
                 or getattr(getattr(view.serializer_class, "Meta", None), "model", None))
        if model not in registry:
            continue  # the read of one object then fails, naming the resource
        fields = {field.name for field in model._meta.get_fields()}
        kwargs = {"tenant": tenant, **({"recipient": user} if "recipient" in fields else {})}
        with tenant_context(tenant):
            registry[model](**kwargs)


def _path_value(http, collection, rows, name):
    """The value of path parameter `name` for a row of `collection`: the first row that has
    one, else the first row given one (a natural key the demo data leaves blank)."""
    for row in rows:
        if row.get(name) not in (None, ""):
            return row[name]
    if not rows or name not in rows[0]:
        return None
    value = f"generated-{rows[0]['id']}"
    answer = http.patch(f"{collection}{rows[0]['id']}/", json={name: value})
    assert answer.status_code == 200, answer.text
    return value


def test_every_read_parses_into_the_generated_and_the_strict_models(
        generated, served_schema, api, demo):
    from openapi_python_client.strings import pascal_case

    package, strict = generated
    tenant, _raw, admin = demo
    http = api.get_httpx_client()
    # One row deleted through the client first, so that the list of deletions (the sync's
    # tombstones) has one to read; the other resources get theirs from their factory.
    interaction = http.get("/api/v1/interactions/").json()["results"][0]
    _module(package, "interactions", "interactions_destroy").sync_detailed(
        client=api, id=interaction["id"])
    _fill_empty_lists(http, served_schema, tenant, admin)
    started = time.monotonic()
    lists, exercised, failures = {}, [], {}
    for path, operation_id, tag, answer_schema in _reads(served_schema):
        kwargs = {}
        if "{" in path:
            # The resource's list is the longest list path in front of the parameter.
            head = path.split("{", 1)[0]
            collection = max((known for known in lists if head.startswith(known)),
                             key=len, default=None)
            for name in re.findall(r"{(\w+)}", path):
                value = (_path_value(http, collection, lists[collection], name)
                         if collection else None)
                if value is None:
                    failures[path] = f"no row with a {name} to read"
                kwargs[name] = value
            if path in failures:
                continue
        module = _module(package, tag, operation_id)
        answer = module.sync_detailed(client=api, **kwargs)
        if answer.status_code != 200:
            failures[path] = f"{answer.status_code}: {answer.content[:300]!r}"
            continue
        if "binary" in answer_schema:
            # A file: it comes as one of the documented media types, and not empty.
            media_type = answer.headers.get("content-type", "").split(";")[0]
            if (media_type not in answer_schema["binary"] or not answer.content
                    or answer.parsed.payload.read() != answer.content):
                failures[path] = f"{media_type or 'no type'}, {len(answer.content)} bytes"
            else:
                exercised.append(operation_id)
            continue
        component = _component(answer_schema)
        model = getattr(package.models, pascal_case(component))
        parsed = answer.parsed
        if answer_schema.get("type") == "array":
            ok = isinstance(parsed, list) and all(isinstance(row, model) for row in parsed)
        else:
            ok = isinstance(parsed, model)
        if not ok:
            failures[path] = f"parsed {type(parsed).__name__}, not {model.__name__}"
            continue
        # The same answer, validated strictly (types, nullability, no unnamed field).
        body = json.loads(answer.content)
        strict_model = getattr(strict, component)
        try:
            # JSON mode: the strict types take JSON's own, dates and decimals their strings.
            for row in body if answer_schema.get("type") == "array" else [body]:
                strict_model.model_validate_json(json.dumps(row))
        except Exception as exc:  # noqa: BLE001 -- pydantic's ValidationError, listed
            failures[path] = f"strict {component}: {exc}"
            continue
        if "{" not in path and isinstance(body, dict) and body.get("results"):
            lists[path] = body["results"]
        exercised.append(operation_id)
    assert failures == {}, "\n".join(f"{path}: {why}" for path, why in failures.items())
    assert len(exercised) == len(_reads(served_schema))
    print(f"\n{len(exercised)} read operations parsed in {time.monotonic() - started:.1f} s")


def _create(package, tag, operation_id, client, body):
    answer = _module(package, tag, operation_id).sync_detailed(client=client, body=body)
    assert answer.status_code == 201, answer.content
    return answer.parsed


def test_rows_created_through_the_client_are_stored_as_sent(generated, small, live_server):
    package, _strict = generated
    models = package.models
    tenant, raw, kam = small
    owner = kam.pk
    api = _client(package, live_server, raw)

    # A boolean left out takes the API's default (active), not false.
    customer = _create(package, "customers", "customers_create", api,
                       models.CustomerRequest(code="GEN-1", name="Generated Client GmbH"))
    assert isinstance(customer, models.Customer)
    with tenant_context(tenant):
        stored = Customer.objects.get(pk=customer.id)
    assert (stored.code, stored.name, stored.is_active) == ("GEN-1", "Generated Client GmbH",
                                                            True)

    contact = _create(package, "contacts", "contacts_create", api, models.ContactRequest(
        customer=customer.id, name="Lina Park", department=models.DepartmentEnum("purchasing"),
        level=models.ContactLevelEnum("middle"), email="lina.park@example.com"))
    read = _module(package, "contacts", "contacts_retrieve").sync(client=api, id=contact.id)
    assert (read.customer, read.name, read.department.value, read.email) == (
        customer.id, "Lina Park", "purchasing", "lina.park@example.com")

    interaction = _create(package, "interactions", "interactions_create", api,
                          models.InteractionRequest(
                              customer=customer.id, kind=models.InteractionKindEnum("call"),
                              occurred_on=date(2026, 11, 3), summary="Plant visit"))
    read = _module(package, "interactions", "interactions_retrieve").sync(
        client=api, id=interaction.id)
    assert (read.customer, read.kind.value, read.occurred_on, read.summary) == (
        customer.id, "call", date(2026, 11, 3), "Plant visit")

    item = _create(package, "opl-items", "opl_items_create", api, models.OplItemRequest(
        customer=customer.id, title="Late deliveries in week 44", owner=owner,
        due_date=date(2026, 12, 18)))
    read = _module(package, "opl-items", "opl_items_retrieve").sync(client=api, id=item.id)
    assert (read.customer, read.title, read.owner, read.due_date, read.status.value) == (
        customer.id, "Late deliveries in week 44", owner, date(2026, 12, 18), "open")

    figure = _create(package, "customer-figures", "customer_figures_create", api,
                     models.PeriodFigureRequest(customer=customer.id, period="2026Q2",
                                                revenue="1250000.00"))
    read = _module(package, "customer-figures", "customer_figures_retrieve").sync(
        client=api, id=figure.id)
    assert (read.customer, read.period, Decimal(read.revenue)) == (
        customer.id, "2026Q2", Decimal("1250000.00"))

    with tenant_context(tenant):
        assert Contact.objects.get(pk=contact.id).email == "lina.park@example.com"
        assert Interaction.objects.get(pk=interaction.id).summary == "Plant visit"
        assert OplItem.objects.get(pk=item.id).title == "Late deliveries in week 44"
        assert PeriodFigure.objects.get(pk=figure.id).revenue == Decimal("1250000.00")
