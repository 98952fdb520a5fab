"""Production readiness: Django's deploy checks, fail-fast settings, docker-compose.yml.

The settings are exercised in subprocesses, since they are read once per process.
"""

import os
import re
import runpy
import secrets
import string
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = BASE_DIR / "kam" / "settings.py"
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
ROLES_SCRIPT = BASE_DIR / "deploy" / "postgres" / "10-kam-roles.sh"

SERVICES = {"migrate", "web", "worker", "beat", "postgres", "redis"}
APP_SERVICES = ("web", "worker", "beat")
# Services that run once and exit; the others wait for them to finish successfully.
ONE_SHOT = {"migrate"}


def random_secret_key(length=50):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def production_env(**overrides):
    """A clean, production-like environment: nothing from the developer's shell leaks in,
    except where to find programs and, when set, the real database and broker."""
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    for name in ("HOME", "DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    env.update(DEBUG="0", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="kam.example.com")
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args, env, timeout=180):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- (a) Django's deploy checks ------------------------------------------------------


def test_check_deploy_passes_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "System check identified no issues" in result.stdout, output


def test_ops_endpoints_answer_plain_http_in_production():
    """docker-compose's health check calls /healthz over plain HTTP inside the container:
    it must not be redirected to HTTPS (SECURE_REDIRECT_EXEMPT) nor need a login."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='kam.example.com')\n"
        "print(client.get('/healthz').status_code, client.get('/').status_code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=production_env(DJANGO_SETTINGS_MODULE="kam.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    healthz, other = result.stdout.split()[-2:]
    assert healthz == "200"
    assert other == "301", "other pages are redirected to HTTPS in production"


# --- (b) DEBUG off refuses to start when misconfigured ---------------------------------


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-0123456789"}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-insecure-" + "x" * 40}, "SECRET_KEY"),
        # As strict as Django's deploy check: 50 characters, 5 different ones, not a key
        # Django generated for development.
        ({"SECRET_KEY": random_secret_key(49)}, "SECRET_KEY"),
        ({"SECRET_KEY": "abcd" * 20}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + random_secret_key(50)}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        # DEBUG defaults to off: without it, the production rules apply too.
        ({"DEBUG": None, "SECRET_KEY": None}, "SECRET_KEY"),
    ],
    ids=["no-key", "empty-key", "short-key", "dev-key", "49-characters", "4-different",
         "django-insecure", "no-hosts", "blank-hosts", "debug-unset"],
)
def test_debug_off_refuses_to_start_when_misconfigured(overrides, variable):
    result = manage("check", env=production_env(**overrides))

    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_the_settings_key_rule_is_djangos_deploy_check():
    """The numbers the settings check are those of Django's own check (security.W009)."""
    from django.core.checks.security import base

    text = SETTINGS_FILE.read_text(encoding="utf-8")
    assert f"len(SECRET_KEY) < {base.SECRET_KEY_MIN_LENGTH}" in text
    assert f"len(set(SECRET_KEY)) < {base.SECRET_KEY_MIN_UNIQUE_CHARACTERS}" in text
    assert f'"{base.SECRET_KEY_INSECURE_PREFIX}"' in text


def test_a_key_that_passes_djangos_check_starts_the_site():
    result = manage("check", env=production_env(SECRET_KEY=random_secret_key(50)))

    assert result.returncode == 0, result.stdout + result.stderr


# --- (c) docker-compose.yml ------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def env_read_by_settings():
    """The environment variables kam/settings.py reads, recorded while executing it
    (directly and through libraries such as dj-database-url) under several environments."""

    class RecordingEnviron(dict):
        def __init__(self, data):
            super().__init__(data)
            self.read = set()

        def get(self, key, default=None):
            self.read.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            self.read.add(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            self.read.add(key)
            return super().__contains__(key)

    read = set()
    environments = [
        {"DEBUG": "1"},
        {
            "DEBUG": "0",
            "SECRET_KEY": random_secret_key(),
            "ALLOWED_HOSTS": "kam.example.com",
            "REDIS_URL": "redis://redis:6379/0",
            "EMAIL_HOST": "smtp.example.com",
        },
    ]
    for values in environments:
        recorder = RecordingEnviron({"PATH": os.environ.get("PATH", ""), **values})
        with mock.patch.object(os, "environ", recorder):
            runpy.run_path(str(SETTINGS_FILE), run_name="kam_settings_env_probe")
        read |= recorder.read
    return read


def depends_on(service):
    deps = service.get("depends_on") or {}
    assert isinstance(deps, dict), "depends_on must use the long form with a condition"
    return deps


def test_compose_has_the_services(compose):
    assert set(compose["services"]) >= SERVICES


def test_compose_every_service_is_healthchecked_or_waits_for_healthy_ones(compose):
    services = compose["services"]
    for name in SERVICES:
        service = services[name]
        deps = depends_on(service)
        for dep_name, dep in deps.items():
            assert dep_name in services, f"{name} depends on unknown service {dep_name}"
            if dep_name in ONE_SHOT:
                assert dep.get("condition") == "service_completed_successfully", dep_name
                assert services[dep_name].get("restart") == "no", dep_name
                continue
            assert dep.get("condition") == "service_healthy", f"{name} -> {dep_name}"
            assert services[dep_name].get("healthcheck", {}).get("test"), (
                f"{name} waits for {dep_name} to be healthy, but it has no healthcheck"
            )
        assert service.get("healthcheck", {}).get("test") or deps, (
            f"{name} has neither a healthcheck nor healthy dependencies"
        )
    for name in APP_SERVICES:
        assert {"postgres", "redis"} <= set(depends_on(services[name])), name
    # The migrations are done before web starts (and worker and beat wait for web).
    assert "migrate" in depends_on(services["web"])


def test_compose_healthchecks_use_the_right_probes(compose):
    services = compose["services"]

    def probe(name):
        test = services[name]["healthcheck"]["test"]
        return " ".join(test) if isinstance(test, list) else test

    assert "/healthz" in probe("web")
    assert "pg_isready" in probe("postgres")
    assert "ping" in probe("redis")


def test_compose_commands(compose):
    services = compose["services"]

    def command(name):
        cmd = services[name].get("command", "")
        return " ".join(cmd) if isinstance(cmd, list) else cmd

    web = command("web")
    # The migrations run in a service of their own, as the owner of the tables.
    assert command("migrate") == "python manage.py migrate --noinput"
    assert "migrate" not in web
    assert web.index("collectstatic") < web.index("gunicorn kam.wsgi")
    assert "celery -A kam worker" in command("worker")
    assert "celery -A kam beat" in command("beat")
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert services["redis"]["image"].startswith("redis")


def test_compose_app_environment_matches_settings(compose):
    services = compose["services"]
    web_env = services["web"]["environment"]
    assert isinstance(web_env, dict)

    assert str(web_env["DEBUG"]) == "0"
    for required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        assert web_env.get(required), required
    assert re.match(r"postgres(ql)?://[^@]+@postgres:5432/", web_env["DATABASE_URL"])
    assert web_env["REDIS_URL"].startswith("redis://redis:6379/")

    unknown = set(web_env) - env_read_by_settings()
    assert not unknown, f"docker-compose.yml sets variables settings.py never reads: {unknown}"

    # Worker and beat run the same code: same settings.
    for name in ("worker", "beat"):
        assert services[name]["environment"] == web_env, name


COMPOSE_DATABASE_URL = re.compile(
    r"postgres(?:ql)?://(?P<user>\w+):\$\{(?P<password>\w+):\?[^}]*\}@postgres:5432/(?P<db>\w+)$")


def test_compose_migrates_as_the_owner_and_runs_as_a_role_owning_nothing(compose):
    services = compose["services"]
    web_env = services["web"]["environment"]
    migrate_env = services["migrate"]["environment"]
    assert "DATABASE_OWNER_URL" in env_read_by_settings()
    # The migrations: the application's settings plus the owner's URL, which no other
    # service is given.
    assert "DATABASE_OWNER_URL" not in web_env
    assert {k: v for k, v in migrate_env.items() if k != "DATABASE_OWNER_URL"} == web_env
    app = COMPOSE_DATABASE_URL.match(web_env["DATABASE_URL"])
    owner = COMPOSE_DATABASE_URL.match(migrate_env["DATABASE_OWNER_URL"])
    assert app and owner
    assert app["db"] == owner["db"] and app["user"] != owner["user"]
    assert "postgres" not in (app["user"], owner["user"]), "the superuser only creates roles"

    # The superuser creates both roles, with the passwords the URLs use, by the script.
    postgres = services["postgres"]
    assert {"POSTGRES_PASSWORD", app["password"], owner["password"]} <= set(
        postgres["environment"])
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert os.access(ROLES_SCRIPT, os.X_OK), "the image runs an executable script"
    script = ROLES_SCRIPT.read_text(encoding="utf-8")
    assert f"${{KAM_DB_OWNER:-{owner['user']}}}" in script
    assert f"${{KAM_DB_APP:-{app['user']}}}" in script
    assert f"${{KAM_DB_NAME:-{app['db']}}}" in script
    assert {owner["password"], app["password"]} <= set(re.findall(r"\$\{?(\w+)", script))
    # Neither role may pass row-level security (superusers and BYPASSRLS roles do).
    assert script.count("WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS") == 2


def test_an_owner_url_naming_another_database_refuses_to_start():
    result = manage("check", env=production_env(
        DATABASE_URL="postgres://kam_app:secret@db.example.com:5432/kam",
        DATABASE_OWNER_URL="postgres://kam_owner:secret@db.example.com:5432/other"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DATABASE_OWNER_URL" in result.stderr


def test_env_probe_sees_what_settings_read():
    """The probe used above really records reads (guards against a vacuous pass)."""
    read = env_read_by_settings()
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= read
    assert {"SECURE_SSL_REDIRECT", "EMAIL_HOST"} <= read


def test_dockerfile_matches_the_stack():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "requirements.txt" in text
    assert "gettext" in text and "compilemessages" in text
    dockerignore = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".git" in dockerignore and ".venv" in dockerignore
