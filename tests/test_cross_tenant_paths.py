"""The audit of the one way past the tenant wall: every place in the product that enters
`cross_tenant()` (kam.tenancy), with why it must see several tenants. A new place fails
this test until it is listed here, so that crossing tenants is always a decision someone
wrote down and a reviewer saw; a place that no longer crosses must leave the list."""

import ast
from pathlib import Path

from django.conf import settings

# "module.function" (or "module.Class.method") -> why it crosses tenants.
CROSS_TENANT_PATHS = {
    "accounts.selectors.user_memberships":
        "a user's own memberships, read before a workspace is chosen (log-in, the switcher)",
    "accounts.authentication.BearerTokenAuthentication._lookup":
        "an API token names its tenant: it is found before the tenant is known",
    "satisfaction.services.resolve_token":
        "a survey link's token names its invitation, before its tenant is known",
    "jobs.services.abandon_lost_runs":
        "the scheduler's sweep of every tenant's runs left running by lost workers",
    "jobs.services.due_tenants":
        "the scheduler reads every tenant's runs of a job to find whom it is due for",
    "accounts.admin.CrossTenantAdmin.delete_view":
        "platform admin deletes a tenant or a user with the rows of every tenant pointing at it",
    "accounts.admin.CrossTenantAdmin.changelist_view":
        "platform admin's delete action on the user list (as delete_view)",
    "accounts.management.commands.migrate.Command.handle":
        "migrations change every tenant's rows (data steps, keys, row security, grants)",
    "accounts.management.commands.flush.Command.handle":
        "flush empties every tenant's rows (the test runner between committing tests)",
    "kam.postgresql.base.DatabaseCreation.create_test_db":
        "the test database is created and migrated across tenants, as every migrate",
    "kam.tenancy._tenants_of":
        "a save outside any tenant context checks its foreign keys in the rows' own tenant",
}

SKIP = {".venv", "node_modules", "staticfiles", "tests", "migrations"}


def _source_files():
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        parts = set(path.relative_to(settings.BASE_DIR).parts)
        if parts & SKIP or path.name in ("conftest.py", "tests.py") or \
                path.name.startswith("test_"):
            continue
        yield path


def _calls(path):
    """The qualified names of the functions in `path` that call cross_tenant()."""
    module = ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
    found = set()

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Call) and "cross_tenant" in (
                    getattr(child.func, "id", None), getattr(child.func, "attr", None)):
                found.add(".".join([module, *scope]))
            visit(child, scope)

    visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def test_every_place_that_crosses_tenants_is_listed_with_its_reason():
    found = set().union(*(_calls(path) for path in _source_files()))

    assert found - set(CROSS_TENANT_PATHS) == set(), "new cross-tenant paths: list them"
    assert set(CROSS_TENANT_PATHS) - found == set(), "paths that no longer cross: remove them"
    assert all(reason.strip() for reason in CROSS_TENANT_PATHS.values())
