"""The jobs on a real Celery worker and beat, against PostgreSQL and Redis.

These tests start `celery -A kam worker` (and `celery -A kam beat`) as subprocesses on a
private `redis-server` of their own, pointed at the test database, and check the jobs'
effects in that database. They run only where CI runs them: with REDIS_URL set (Redis is
installed) and PostgreSQL as the database; elsewhere they are skipped, saying why.

The second test takes Redis away in the middle: a web request that queues work must still
succeed (the task waits in the outbox), and once Redis is back the work is done.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from customers.models import ImportJob
from jobs import registry
from jobs.models import JobRun, ManagementReport, OutboxMessage
from kam.tenancy import cross_tenant
from notifications.models import Notification
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    OplItemFactory,
    PeriodFigureFactory,
    TenantFactory,
    UserFactory,
)

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
REDIS_SERVER = shutil.which("redis-server")
TIMEOUT = 60  # seconds to wait for an effect


def _skip_reason():
    if not settings.REDIS_URL:
        return "needs REDIS_URL (a real broker; CI sets it): eager mode proves nothing here"
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL): worker and test must share the database"
    if REDIS_SERVER is None:
        return "needs the redis-server program to run a private Redis"
    return None


pytestmark = [
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
    pytest.mark.django_db(transaction=True),
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subprocess_database_url():
    db = connection.settings_dict
    return (f"postgres://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")


class Stack:
    """A private Redis plus worker / beat / one-off web processes sharing the test
    database; every process is stopped at the end, and its log shown on failure."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.port}/0"
        self.processes = {}

    def env(self, **extra):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kam.settings", "DEBUG": "1",
               "DATABASE_URL": subprocess_database_url(), "REDIS_URL": self.redis_url,
               "DB_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"}
        env.pop("KAM_BEAT_INTERVAL", None)
        env.update(extra)
        return env

    def start(self, name, command, **env):
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 — closed in stop()
        process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env(**env), stdout=log,
                                   stderr=subprocess.STDOUT)
        self.processes[name] = (process, log)
        return process

    def start_redis(self):
        self.start("redis", [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"])
        wait_for(lambda: self.redis_answers(), "Redis to start", self)

    def redis_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_worker(self):
        return self.start("worker", [str(CELERY), "-A", "kam", "worker", "--pool=solo",
                                     "--concurrency=1", "-l", "info", "-n",
                                     f"jobs-test-{self.port}@%h", "--without-gossip",
                                     "--without-mingle"])

    def start_beat(self, interval):
        return self.start("beat", [str(CELERY), "-A", "kam", "beat", "-l", "info", "-s",
                                   str(self.tmp / "beat-schedule")],
                          KAM_BEAT_INTERVAL=str(interval))

    def stop(self, name):
        process, log = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)

    def logs(self):
        parts = []
        for path in sorted(self.tmp.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} (last 3000 characters) ---\n{text[-3000:]}")
        return "\n".join(parts)

    def run_web(self, code):
        """Run `code` in a fresh Django process (the web side), pointed at this Redis;
        returns what it printed as JSON."""
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                                 textwrap.dedent(code)], cwd=BASE_DIR, env=self.env(),
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])


def wait_for(condition, what, stack, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n{stack.logs()}")


@pytest.fixture
def stack(tmp_path):
    services = Stack(tmp_path)
    try:
        yield services
    finally:
        services.stop_all()


def afternoon_time_zone():
    """A time zone where it is now between 10:00 and 21:59, so that every job's hour has
    come (the latest is 09:00) without the date changing during the test."""
    now = timezone.now()
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"  # POSIX signs
        if 10 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("no suitable time zone")


def finished_runs():
    with cross_tenant():
        return list(JobRun.objects.exclude(status=JobRun.Status.RUNNING)
                    .values_list("job", "status", "trigger", "task_id"))


def test_worker_and_beat_run_every_job_once_against_the_database(stack):
    tenant = TenantFactory(slug="worker-test", name="Worker Test Trim",
                           timezone=afternoon_time_zone())
    kam = MembershipFactory(tenant=tenant, role="manager", user=UserFactory(
        email="kam@worker.example.com")).user
    MembershipFactory(tenant=tenant, role="executive")
    for n in range(5):
        customer = CustomerFactory(tenant=tenant, code=f"W{n}", tier="C", owner=kam)
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=(n + 1) * 1_000_000)
    OplItemFactory(tenant=tenant, customer=customer, owner=kam, accountable=None,
                   due_date=tenant.today() - timedelta(days=2), title="Late 8D report")

    stack.start_redis()
    stack.start_worker()
    stack.start_beat(interval=3)

    wait_for(lambda: {job for job, status, *_rest in finished_runs()} >= set(registry.JOBS),
             "a finished run of every job", stack)

    def report_written():
        with cross_tenant():
            return ManagementReport.objects.filter(tenant=tenant).exists()

    wait_for(report_written, "the management report", stack)
    time.sleep(7)  # two more beat rounds: nothing may run (or be sent) twice

    runs = finished_runs()
    assert sorted(job for job, *_rest in runs) == sorted(registry.JOBS), stack.logs()
    assert all(status in ("ok", "partial") for _job, status, *_rest in runs), runs
    assert all(trigger == "schedule" and task_id for _j, _s, trigger, task_id in runs), runs
    with cross_tenant():
        assert Notification.objects.filter(tenant=tenant, kind="opl_overdue").count() == 1
        assert Notification.objects.filter(tenant=tenant, kind="tier_change").exists()
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_with_redis_down_a_web_request_succeeds_and_the_work_is_done_once_it_is_back(stack):
    tenant = TenantFactory(slug="outage-test", name="Outage Test Trim")
    admin = MembershipFactory(tenant=tenant, role="admin", user=UserFactory(
        email="admin@outage.example.com")).user
    OplItemFactory(tenant=tenant, owner=admin, accountable=None,
                   due_date=tenant.today() - timedelta(days=2), title="Late 8D report")
    stack.start_redis()
    stack.start_worker()
    time.sleep(3)  # let the worker connect before Redis goes away
    stack.stop("redis")

    result = stack.run_web(f"""
        import json, time
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client
        from accounts.models import User

        client = Client()
        client.force_login(User.objects.get(pk={admin.pk}))
        started = time.monotonic()
        upload = client.post("/customers/import/customers/", {{"file": SimpleUploadedFile(
            "customers.csv", b"code,name\\nOUT-1,Outage Motors\\n", content_type="text/csv")}})
        job_page = client.get(upload["Location"])
        run_now = client.post("/jobs/run/", {{"name": "opl-reminders"}})
        print(json.dumps({{"upload": upload.status_code, "page": job_page.status_code,
                          "run_now": run_now.status_code,
                          "seconds": time.monotonic() - started}}))
    """)

    assert result["upload"] == 302 and result["page"] == 200 and result["run_now"] == 302
    assert result["seconds"] < 20, result
    with cross_tenant():
        job = ImportJob.objects.get(tenant=tenant)
        assert job.status == "uploaded"  # waiting for the queue, not failed
        waiting = list(OutboxMessage.objects.filter(sent_at__isnull=True))
    assert {m.task_name for m in waiting} == {"customers.tasks.validate_import",
                                              "jobs.tasks.run_job"}
    assert all(m.attempts >= 1 and m.last_error for m in waiting)

    stack.start_redis()  # Redis is back; beat's drain (every second here) publishes
    stack.start_beat(interval=1)

    def done():
        with cross_tenant():
            job.refresh_from_db()
            manual = JobRun.objects.filter(tenant=tenant, job="opl-reminders",
                                           trigger="manual", status="ok").exists()
        return job.status == "validated" and manual

    wait_for(done, "the import check and the manual run after Redis came back", stack)
    with cross_tenant():
        assert not OutboxMessage.objects.filter(pk__in=[m.pk for m in waiting],
                                                sent_at__isnull=True).exists()
        assert Notification.objects.filter(tenant=tenant, kind="opl_overdue").count() == 1
