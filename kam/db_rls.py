"""Row-level security: the database's own tenant wall, behind the ORM's scoping
(kam.tenancy) and the tenant-checking keys (kam.db_keys). PostgreSQL only; on SQLite the
ORM's scoping stands alone.

The policies. Every tenant-owned table (each model subclassing TenantOwnedModel) has
row-level security enabled and *forced*, so that it binds the tables' owner too, and one
policy for reads and writes alike (USING and WITH CHECK, see POLICY_SQL): a row is
visible and writable when its tenant_id is the statement's `kam.tenant_id`, or when the
statement says `kam.cross_tenant = 'on'`. The setting is cast, never the column, so the
(tenant_id, …) indexes serve the policy. With neither setting a statement reads no row
and writes none. `ensure_row_security` adds whatever is missing after every `migrate`
(post_migrate, connected in accounts.apps), so a tenant-owned table added later is
covered on the next migrate; it changes nothing that is in place.

The settings. `scope_statement` is installed on every connection (kam.postgresql): in
front of each query it sends, in the same message,

    SELECT set_config('kam.tenant_id', '<current tenant>', true),
           set_config('kam.cross_tenant', '<on inside cross_tenant()>', true);

Why so:
- `true` makes both values local to the transaction: they end with it, so nothing is
  left on a connection kept open (DB_CONN_MAX_AGE) for the next request or task, nor on
  one handed to another client by a pooler. A session-level value would have to be reset
  whenever a tenant context ends and checked whenever a connection is reused, and a
  rollback silently undoes it, so what the connection holds and what Python believes
  it holds drift apart.
- Sent with the statement, the values share its transaction: an autocommit statement is
  an implicit transaction of its own (PostgreSQL runs a message of several statements as
  one transaction), and inside atomic() each statement states its tenant again, so a
  tenant switched inside a transaction or a savepoint rolled back never leaves a stale
  one behind. It costs no extra round trip.
- The values are read from the context when the statement runs:
  kam.tenancy.get_current_tenant(), and the cross-tenant flag only inside
  cross_tenant(), which logs its caller.

The cross-tenant path is a setting the policy honours rather than a role with BYPASSRLS:
cross-tenant code shares transactions with tenant code (the token lookup and the request
it authenticates, a save and its foreign-key check), which a second role would split
over two connections. The wall stops application mistakes — a forgotten scope, raw SQL,
another tenant's id — not someone who runs SQL of their own as the application's role:
they could set either value. What stops them is that role: it owns nothing, so it can
neither alter the tables nor lift their row security (kam.db_roles).

Only queries carry the settings (QUERY): DDL reads no rows under the policies, and some
statements (CREATE DATABASE, VACUUM, CREATE INDEX CONCURRENTLY) refuse to run in a
message of several statements.
"""

import logging
import re

from django.apps import apps
from django.db import connections

# kam.tenancy is imported where it is used: the database backend loads this module before
# the models can be defined.

logger = logging.getLogger(__name__)

# A new definition gets a new name: ensure_row_security drops the older ones.
POLICY = "kam_tenant_v2"
POLICY_PREFIX = "kam_tenant"
# Each setting is read in a scalar sub-select, which PostgreSQL evaluates once per
# statement (an InitPlan) instead of once per row: the rows are then compared with a
# constant, as cheap as the ORM's own `tenant_id = …` (v1 called current_setting() twice
# per row scanned, 14–36 % on the customer list and the dashboard).
CONDITION = ("tenant_id = (SELECT NULLIF(current_setting('kam.tenant_id', true), '')::bigint) "
             "OR (SELECT current_setting('kam.cross_tenant', true) = 'on')")
POLICY_SQL = 'CREATE POLICY "{policy}" ON "{table}" USING ({condition}) WITH CHECK ({condition})'

QUERY = re.compile(r"\s*(?:\(|(?:SELECT|INSERT|UPDATE|DELETE|WITH|VALUES|TABLE|MERGE|EXPLAIN)\b)",
                   re.IGNORECASE)
SCOPE_SQL = ("SELECT set_config('kam.tenant_id', '{tenant}', true), "
             "set_config('kam.cross_tenant', '{cross}', true); ")
SCOPE = re.compile(r"SELECT set_config\('kam\.tenant_id', '\d*', true\), "
                   r"set_config\('kam\.cross_tenant', '(?:on)?', true\); ")


def tenant_tables():
    """The tables of every tenant-owned model, and of their histories (records.history:
    simple-history's copies carry the tenant's id but subclass only models.Model), sorted."""
    from kam.tenancy import TenantOwnedModel

    def owned(model):
        # A historical model names the model it copies as `instance_type`.
        return (issubclass(model, TenantOwnedModel)
                or issubclass(getattr(model, "instance_type", type), TenantOwnedModel))

    return sorted({model._meta.db_table for model in apps.get_models()
                   if owned(model) and not model._meta.proxy and model._meta.managed})


def _row_security(cursor, tables):
    """{table: (enabled, forced, [policy names])} for those of `tables` that exist."""
    cursor.execute("""
        SELECT t.name, c.relrowsecurity, c.relforcerowsecurity,
               ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid)
        FROM unnest(%s::text[]) AS t(name)
        JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name))
    """, [tables])
    return {name: (enabled, forced, policies)
            for name, enabled, forced, policies in cursor.fetchall()}


def ensure_row_security(using="default"):
    """Enable and force row security with the tenant policy on every tenant-owned table
    that lacks it (PostgreSQL only); returns how many tables were changed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    changed = 0
    with connection.cursor() as cursor:
        for table, (enabled, forced, policies) in _row_security(
                cursor, tenant_tables()).items():
            statements = []
            if not enabled:
                statements.append(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            if not forced:
                statements.append(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            statements += [f'DROP POLICY "{name}" ON "{table}"' for name in policies
                           if name.startswith(POLICY_PREFIX) and name != POLICY]
            if POLICY not in policies:
                statements.append(POLICY_SQL.format(policy=POLICY, table=table,
                                                    condition=CONDITION))
            for statement in statements:
                cursor.execute(statement)
            changed += bool(statements)
    if changed:
        logger.info("Row-level security set up on %s tenant-owned tables", changed)
    return changed


def post_migrate(sender, using="default", **kwargs):
    """Connected for one app (accounts): the signal comes once per app, after every
    migration has run."""
    ensure_row_security(using)


def scope_sql():
    """The statement that gives the current tenant context to the database."""
    from kam.tenancy import get_current_tenant, is_cross_tenant

    tenant = get_current_tenant()
    return SCOPE_SQL.format(
        # int(): the value goes into the SQL text, so it must be a number or nothing.
        tenant="" if tenant is None or tenant.pk is None else int(tenant.pk),
        cross="on" if is_cross_tenant() else "")


def scope_statement(execute, sql, params, many, context):
    """An execute wrapper (see the module's docstring): each query is sent with the
    tenant context it runs in."""
    if QUERY.match(sql):
        sql = scope_sql() + sql
    return execute(sql, params, many, context)


def unscoped(sql):
    """`sql` as the code wrote it, without the settings sent in front (for the logs and
    the queries captured by tests)."""
    if sql and sql.startswith("SELECT set_config('kam.tenant_id'"):
        return SCOPE.sub("", sql, count=1)
    return sql
