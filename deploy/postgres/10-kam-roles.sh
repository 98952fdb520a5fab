#!/usr/bin/env bash
# KAM's two database roles and its database, created by the PostgreSQL superuser:
#   the owner (KAM_DB_OWNER, default kam_owner) owns the database and its tables; only
#     migrations connect as it (DATABASE_OWNER_URL);
#   the application (KAM_DB_APP, default kam_app) owns nothing: web, worker and beat
#     connect as it (DATABASE_URL), and every migrate grants it reads and writes.
# Neither is a superuser or may bypass row-level security, which only binds such roles.
#
# The postgres image runs this once, when it initialises an empty data directory (it is
# mounted in /docker-entrypoint-initdb.d). It can be run again at any time, and must be
# for a data directory made before these roles existed (the tables then pass to the
# owner): docker compose exec postgres /docker-entrypoint-initdb.d/10-kam-roles.sh
set -euo pipefail

: "${KAM_DB_OWNER_PASSWORD:?set KAM_DB_OWNER_PASSWORD}"
: "${KAM_DB_APP_PASSWORD:?set KAM_DB_APP_PASSWORD}"

admin_psql() {
    psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --no-password \
        -v owner="${KAM_DB_OWNER:-kam_owner}" -v owner_password="$KAM_DB_OWNER_PASSWORD" \
        -v app="${KAM_DB_APP:-kam_app}" -v app_password="$KAM_DB_APP_PASSWORD" \
        -v db="${KAM_DB_NAME:-kam}" "$@"
}

admin_psql --dbname postgres <<'SQL'
SELECT format('CREATE ROLE %I', name) FROM (VALUES (:'owner'), (:'app')) AS roles (name)
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS '
              'PASSWORD %L', :'owner', :'owner_password') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS '
              'PASSWORD %L', :'app', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner',
              'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'app') \gexec
SQL

admin_psql --dbname "${KAM_DB_NAME:-kam}" <<'SQL'
-- The schema is the owner's to change; the application only uses it.
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'app') \gexec
-- Tables made by an older release, when one role did everything, pass to the owner (their
-- sequences follow them); the next migrate grants the application what it needs.
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'owner') FROM pg_tables
WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec
SQL
