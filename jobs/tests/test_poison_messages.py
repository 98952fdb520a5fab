"""A task that kills its worker every time, on a real worker (tests.celery_stack): it is
delivered TASK_MAX_DELIVERIES times, each attempt's run is marked abandoned when the next
one starts, and then it is given up as a failed run instead of coming back forever."""

import time

from django.conf import settings
from django.urls import reverse

from jobs.models import JobRun
from kam.tenancy import cross_tenant
from tests.celery_stack import CELERY, MARKS, wait_for
from tests.factories import MembershipFactory, TenantFactory

pytestmark = MARKS

# The job of jobs/tests/dying_job.py, which only the worker imports: imported here, it
# would join every other test's registry.
NAME = "test-dies"


def runs(tenant):
    with cross_tenant():
        return list(JobRun.objects.filter(tenant=tenant, job=NAME).order_by("pk"))


def test_a_task_that_kills_its_worker_is_given_up_after_its_deliveries(stack, client):
    tenant = TenantFactory(slug="poison-test", name="Poison Test Trim")
    admin = MembershipFactory(tenant=tenant, role="admin").user
    stack.start_redis()
    # A prefork pool: when its process dies the worker itself lives on and puts the
    # task back on the queue at once (acks late, rejected on a lost worker).
    stack.start("worker", [str(CELERY), "-A", "kam", "worker", "--pool=prefork",
                           "--concurrency=1", "-l", "info", "-n", f"poison-{stack.port}@%h",
                           "--without-gossip", "--without-mingle", "--include",
                           "jobs.tests.dying_job"])

    sent = stack.run_web(f"""
        import json
        from jobs.tasks import run_job

        result = run_job.apply_async(kwargs={{"name": "{NAME}", "tenant_id": {tenant.pk},
                                             "trigger": "manual"}})
        print(json.dumps({{"task_id": result.id}}))
    """)

    wait_for(lambda: any(r.status == "failed" for r in runs(tenant)),
             "the task to be given up", stack, timeout=90)
    time.sleep(5)  # it must not come back once given up

    attempts = settings.TASK_MAX_DELIVERIES
    recorded = runs(tenant)
    assert [r.status for r in recorded] == ["abandoned"] * attempts + ["failed"], (
        recorded, stack.logs())
    assert {r.task_id for r in recorded} == {sent["task_id"]}
    assert all(r.finished_at for r in recorded)
    given_up = recorded[-1]
    assert f"stopped {attempts} times" in given_up.error

    client.force_login(admin)
    page = client.get(reverse("job_run", args=[given_up.pk])).content.decode()
    assert "Failed" in page and f"stopped {attempts} times" in page
