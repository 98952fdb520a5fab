"""The product as `make run` serves it: its own process on the embedded default (an SQLite
file, tasks in-process, no broker, no worker), the demo seeded, driven in Chromium.

The in-process test server shares the test process, whose imports hide what a fresh web
process lacks (a task module nobody imported yet, say); this server starts from nothing.
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.celery_stack import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_ADMIN, DEMO_PASSWORD = "admin@demo.example.com", "kam-demo-2026"


def _env(database):
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    # Nothing of CI's stack: no REDIS_URL (so tasks run in-process), an SQLite file.
    env.update(DJANGO_SETTINGS_MODULE="kam.settings", DEBUG="1", PYTHONUNBUFFERED="1",
               DATABASE_URL=f"sqlite:///{database}")
    return env


def _manage(*args, env, timeout=300):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """The base URL of `manage.py runserver` on a freshly migrated and seeded SQLite file."""
    tmp = tmp_path_factory.mktemp("embedded")
    env = _env(tmp / "db.sqlite3")
    _manage("migrate", "--noinput", env=env)
    _manage("seed_demo", env=env)
    port = free_port()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 — closed below
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the server did not start:\n"
                                + (tmp / "server.log").read_text(errors="replace"))
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


@pytest.fixture
def visitor(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def log_in_as_demo_admin(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", DEMO_ADMIN)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_run_now_runs_the_job_in_process_and_shows_its_run(embedded_server, visitor):
    log_in_as_demo_admin(visitor, embedded_server)
    visitor.goto(f"{embedded_server}/jobs/")
    job = visitor.locator("section", has=visitor.locator("#job-opl-reminders"))
    runs_before = job.locator("tbody tr a").count()

    job.get_by_role("button", name="Run now").click()

    visitor.wait_for_selector(".alert-success")
    assert "“OPL reminders” ran: OK." in visitor.locator(".alert-success").inner_text()
    job = visitor.locator("section", has=visitor.locator("#job-opl-reminders"))
    assert job.locator("tbody tr a").count() == runs_before + 1
    newest = job.locator("tbody tr").first
    assert "by hand" in newest.inner_text() and "OK" in newest.inner_text()
