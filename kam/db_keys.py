"""Tenant-checking foreign keys: the database's own guarantee that a row never points at
another tenant's row, behind the ORM's checks (kam.tenancy.foreign_id_errors).

On PostgreSQL every foreign key between tenant-owned tables gets a second, composite
key: (column, tenant_id) must match the target's (id, tenant_id). The target tables get
the unique index on (id, tenant_id) such a key needs. `ensure_tenant_keys` adds whatever
is missing after every `migrate` (post_migrate, connected in accounts.apps), so a foreign
key added by a later migration is covered without anyone remembering; it is idempotent
and changes nothing that exists. Keys are added NOT VALID and then validated, which
checks existing rows without blocking writes for long. Like Django's own keys they are
deferred to the end of the transaction, when Django's cascades have run.

SQLite cannot add constraints to an existing table; there the ORM's checks stand.
"""

import hashlib
import logging

from django.apps import apps
from django.db import connections

logger = logging.getLogger(__name__)


def _name(prefix, table, column):
    """A constraint or index name within PostgreSQL's 63 characters, stable per pair."""
    name = f"{prefix}_{table}_{column}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]  # noqa: S324 — a name, not a secret
    return f"{name[:54]}_{digest}"


def tenant_foreign_keys():
    """[(table, column, target table)] of every foreign key between tenant-owned models."""
    from kam.tenancy import TenantOwnedModel

    keys = []
    for model in apps.get_models():
        if not issubclass(model, TenantOwnedModel) or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if (target is None or field.name == "tenant" or not field.many_to_one
                    and not field.one_to_one):
                continue
            if issubclass(target, TenantOwnedModel):
                keys.append((model._meta.db_table, field.column, target._meta.db_table))
    return sorted(set(keys))


def _existing_keys(cursor):
    """{(table, column, target)} of the composite (column, tenant_id) → (id, tenant_id)
    keys in the database, whatever their names."""
    cursor.execute("""
        SELECT c.conrelid::regclass::text, a1.attname, c.confrelid::regclass::text
        FROM pg_constraint c
        JOIN pg_attribute a1 ON a1.attrelid = c.conrelid AND a1.attnum = c.conkey[1]
        JOIN pg_attribute a2 ON a2.attrelid = c.conrelid AND a2.attnum = c.conkey[2]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 2 AND a2.attname = 'tenant_id'
    """)
    return {tuple(row) for row in cursor.fetchall()}


def _tables_with_id_tenant_index(cursor):
    """Tables with a unique index on exactly (id, tenant_id)."""
    cursor.execute("""
        SELECT i.indrelid::regclass::text
        FROM pg_index i
        JOIN pg_attribute a1 ON a1.attrelid = i.indrelid AND a1.attnum = i.indkey[0]
        JOIN pg_attribute a2 ON a2.attrelid = i.indrelid AND a2.attnum = i.indkey[1]
        WHERE i.indisunique AND i.indnatts = 2 AND i.indpred IS NULL
          AND a1.attname = 'id' AND a2.attname = 'tenant_id'
    """)
    return {row[0] for row in cursor.fetchall()}


def ensure_tenant_keys(using="default"):
    """Add the missing tenant-checking keys (PostgreSQL only); returns how many."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    keys = tenant_foreign_keys()
    added = 0
    with connection.cursor() as cursor:
        existing = _existing_keys(cursor)
        indexed = _tables_with_id_tenant_index(cursor)
        for target in sorted({target for _table, _column, target in keys} - indexed):
            cursor.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "{_name("idt", target, "id")}" '
                           f'ON "{target}" (id, tenant_id)')
        for table, column, target in keys:
            if (table, column, target) in existing:
                continue
            name = _name("tk", table, column)
            cursor.execute(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}", '
                f'tenant_id) REFERENCES "{target}" (id, tenant_id) '
                "DEFERRABLE INITIALLY DEFERRED NOT VALID")
            cursor.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')
            added += 1
    if added:
        logger.info("Added %s tenant-checking foreign keys", added)
    return added


def post_migrate(sender, using="default", **kwargs):
    """Connected for one app (accounts): the signal comes once per app, after every
    migration has run."""
    ensure_tenant_keys(using)
