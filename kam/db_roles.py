"""Two database roles: the application's, which owns nothing, and the tables' owner, for
migrations (PostgreSQL).

DATABASE_URL names the role the application connects as. It reads and writes rows
(SELECT, INSERT, UPDATE, DELETE on the tables, USAGE on their sequences) and owns no
table, so it can neither change the schema nor lift row-level security: only a table's
owner may ALTER it, and FORCE ROW LEVEL SECURITY binds the owner too, but an owner could
turn it off again (kam/db_rls.py).

DATABASE_OWNER_URL names the owner, on the same database. `manage.py migrate` and
`manage.py flush` connect as it (`as_owner`, accounts/management/commands), as does the
test runner when it creates, migrates and drops the test database (kam.postgresql); after
every migrate the application's role is granted what it lacks (`grant_app_role`,
post_migrate). Without DATABASE_OWNER_URL one role does both: the role of DATABASE_URL
owns the tables, and forced row security still binds it.
"""

import logging
from contextlib import contextmanager, nullcontext

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

# What the owner's URL replaces in the connection's settings; the database stays the
# connection's own (the test database, in tests).
OWNER_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_settings(using=DEFAULT_DB_ALIAS):
    """The owner's USER, PASSWORD, HOST and PORT from DATABASE_OWNER_URL, or None when it
    is not set (or `using` is not the default database, the one it is for)."""
    url = getattr(settings, "DATABASE_OWNER_URL", "")
    if not url or using != DEFAULT_DB_ALIAS:
        return None
    # The settings have checked that it names DATABASE_URL's database.
    owner = dj_database_url.parse(url)
    return {key: owner[key] for key in OWNER_KEYS}


@contextmanager
def as_owner(using=DEFAULT_DB_ALIAS):
    """Connect `using` as the owner of the tables for the block, when DATABASE_OWNER_URL
    names one; then back as the application's role. A no-op when connected as the owner
    already, or when there is none."""
    connection = connections[using]
    owner = owner_settings(using)
    if (owner is None or connection.vendor != "postgresql"
            or connection.settings_dict["USER"] == owner["USER"]):
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch to the owner's role inside a transaction.")
    app = connection.settings_dict
    connection.close()
    # A copy: settings.DATABASES keeps the application's role (grant_app_role reads it).
    connection.settings_dict = {**app, **owner}
    try:
        yield
    finally:
        connection.close()
        # The test runner renames the database meanwhile (in both dicts, but never
        # let the application's connection go back to the real one).
        app["NAME"] = connection.settings_dict["NAME"]
        connection.settings_dict = app


def analyze(table: str = "", using=DEFAULT_DB_ALIAS) -> None:
    """ANALYZE `table` (default: every table), as autovacuum would after a bulk load (the
    benches). Only a table's owner may analyze it: as the owner when it can switch to it;
    inside a transaction (a test) as the connection's role, for which PostgreSQL skips,
    with a warning, the tables it does not own."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    statement = f"ANALYZE {connection.ops.quote_name(table)}" if table else "ANALYZE"
    owner = nullcontext() if connection.in_atomic_block else as_owner(using)
    with owner, connection.cursor() as cursor:
        cursor.execute(statement)


def _model_tables():
    return sorted({model._meta.db_table
                   for model in apps.get_models(include_auto_created=True)
                   if model._meta.managed and not model._meta.proxy})


def grant_app_role(using=DEFAULT_DB_ALIAS):
    """Grant the application's role (DATABASE_URL's) what it lacks on the tables of the
    models and their sequences, when connected as another role (the owner); returns how
    many grants were made. Warns when the application's role owns tables."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    app = settings.DATABASES[using]["USER"]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == app:
            return 0  # one role does both: it owns what it uses
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app])
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(f"The database role {app!r} of DATABASE_URL does not "
                                       "exist: create it first (deploy/postgres/).")
        cursor.execute("""
            SELECT t.name FROM unnest(%s::text[]) AS t(name)
            WHERE to_regclass(quote_ident(t.name)) IS NOT NULL AND NOT (
                has_table_privilege(%s, quote_ident(t.name), 'SELECT')
                AND has_table_privilege(%s, quote_ident(t.name), 'INSERT')
                AND has_table_privilege(%s, quote_ident(t.name), 'UPDATE')
                AND has_table_privilege(%s, quote_ident(t.name), 'DELETE'))
        """, [_model_tables(), app, app, app, app])
        grants = [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quote(table)} TO {quote(app)}"
                  for (table,) in cursor.fetchall()]
        cursor.execute("""
            SELECT c.relname FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace
              -- CASE: the privilege is only asked of sequences, whatever the plan's order.
              AND CASE WHEN c.relkind = 'S'
                       THEN NOT has_sequence_privilege(%s, c.oid, 'USAGE') END
        """, [app])
        grants += [f"GRANT USAGE ON SEQUENCE {quote(name)} TO {quote(app)}"
                   for (name,) in cursor.fetchall()]
        # Django's own table, read so that the migration plan can be checked (runserver).
        cursor.execute("SELECT has_table_privilege(%s, 'django_migrations', 'SELECT')", [app])
        if not cursor.fetchone()[0]:
            grants.append(f"GRANT SELECT ON django_migrations TO {quote(app)}")
        for grant in grants:
            cursor.execute(grant)
        cursor.execute("""
            SELECT count(*) FROM pg_class c
            WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)
              AND c.relkind IN ('r', 'p')
        """, [app])
        owned = cursor.fetchone()[0]
    if grants:
        logger.info("Granted %s to the application's role %s", len(grants), app)
    if owned:
        logger.warning("The application's role %s owns %s tables: it could lift their "
                       "row-level security. Hand them to the owner (REASSIGN OWNED BY).",
                       app, owned)
    return len(grants)


def post_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """Connected for one app (accounts), after the tenant keys and row security."""
    grant_app_role(using)
