"""The live API fuzzed against its own OpenAPI schema (schemathesis).

Schemathesis reads `/api/schema/` from a running test server and, for every operation the
schema lists, sends generated requests (valid and invalid) as an admin of a seeded
tenant. Each answer must not be a 5xx, must have a documented status code and content
type, and must match the documented response schema. New endpoints are covered as soon
as they are registered in `kam/api_urls.py`, because the test walks the schema.

Budget: `EXAMPLES_PER_OPERATION` generated requests per operation; `API_FUZZ_DEEP=1`
runs far more (see below).

Works on SQLite (the in-memory test database is shared with the live server's thread
under `transactional_db`) and PostgreSQL alike. On PostgreSQL it is about twice as
slow: every live-server request runs in a new thread, hence on a new connection.
"""

import logging
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from accounts.services import create_api_token
from tests.factories import (
    AccountPlanFactory,
    ContactFactory,
    CustomerFactory,
    InitiativeFactory,
    InteractionFactory,
    MembershipFactory,
    NotificationFactory,
    PeriodFigureFactory,
    TenantFactory,
)

# Generated requests per API operation, valid and invalid ones mixed. Cost: ~40 ms a
# request plus ~50 ms an operation on an idle machine, so with ~155 operations 5 keeps the
# module near 40 s. Lower it, rather than skipping operations, when the API grows.
EXAMPLES_PER_OPERATION = 5

# `API_FUZZ_DEEP=1` (with `make test` or pytest on this file): 100 requests an operation
# plus schemathesis's coverage phase (every boundary and invalid value the schema allows,
# ~100 more requests for a create with ten fields). Minutes, not seconds: run it after
# changing an API resource.
DEEP = os.environ.get("API_FUZZ_DEEP") == "1"
DEEP_EXAMPLES_PER_OPERATION = 100

# What every answer must satisfy. Left out on purpose: `positive_data_acceptance` (a
# well-typed body can still break a business rule or a unique constraint: 400 is right)
# and `negative_data_rejection` (DRF and django-filter ignore a malformed optional query
# parameter, e.g. `?page_size=x`, instead of answering 400).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.ignored_auth,  # the documented Bearer requirement is enforced
    schemathesis.checks.unsupported_method,  # undocumented methods answer 405 (coverage phase)
]


@pytest.fixture
def fuzz_token(transactional_db):
    """A Bearer token of an admin of a tenant with a little data, committed for the server.

    A few rows, so that generated ids (small integers, mostly) sometimes name a real object
    and the read, update and delete paths run, not only their 404."""
    tenant = TenantFactory(slug="fuzz", name="Fuzz Fixtures")
    membership = MembershipFactory(tenant=tenant, role="admin")
    NotificationFactory.create_batch(2, tenant=tenant, recipient=membership.user)
    customer = CustomerFactory(tenant=tenant)
    ContactFactory(tenant=tenant, customer=customer)
    InteractionFactory(tenant=tenant, customer=customer)
    PeriodFigureFactory(tenant=tenant, customer=customer)
    InitiativeFactory(tenant=tenant, plan=AccountPlanFactory(tenant=tenant, customer=customer))
    _token, raw = create_api_token(tenant=tenant, user=membership.user, name="schemathesis")
    return raw


@pytest.fixture
def live_api_schema(live_server, fuzz_token):
    # An explicit configuration: no `schemathesis.toml` lookup, same run everywhere.
    config = schemathesis.Config.from_dict(
        {"phases": {"coverage": {"enabled": DEEP}}}
    )
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", config=config)


@pytest.fixture(autouse=True)
def _quiet_expected_errors(caplog):
    """Thousands of 4xx answers are the point here: keep their log lines out of the report.
    Server errors are still logged (django.request logs them at ERROR)."""
    caplog.set_level(logging.ERROR, logger="kam.api")
    caplog.set_level(logging.ERROR, logger="django.request")


@pytest.fixture(autouse=True)
def _schemathesis_pytest9_compat(request):
    """schemathesis 4.32 renames the running test through `Function._nodeid`, which
    pytest 9.2 no longer has (it became `_id`). A plain attribute keeps it working;
    each operation is still reported as its own subtest, labelled `METHOD /path`."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("live_api_schema")


@schema.parametrize()
@settings(
    max_examples=DEEP_EXAMPLES_PER_OPERATION if DEEP else EXAMPLES_PER_OPERATION,
    deadline=None,  # a live server over HTTP, not a pure function
    database=None,  # no .hypothesis/ directory; a failure prints its curl reproduction
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_schema(case, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
