"""Real Celery processes for the tests that need them: a private `redis-server`, a worker,
beat and one-off web processes, all pointed at the test database (PostgreSQL).

Test modules using it set `pytestmark = celery_stack.MARKS` (they run where CI runs them:
REDIS_URL set, Redis installed, PostgreSQL; elsewhere they are skipped, saying why) and
take the `stack` fixture (registered in the root conftest).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]
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


# For the modules of these tests: `pytestmark = celery_stack.MARKS`.
MARKS = [
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
        # The application's processes: its role only (the owner's URL names the real
        # database, not the test one).
        env.pop("DATABASE_OWNER_URL", None)
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

    def run_web(self, code, **env):
        """Run `code` in a fresh Django process (the web side), pointed at this Redis;
        returns what it printed as JSON."""
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                                 textwrap.dedent(code)], cwd=BASE_DIR, env=self.env(**env),
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
