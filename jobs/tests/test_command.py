"""`manage.py run_job NAME [--tenant SLUG] [--date YYYY-MM-DD]`."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jobs.models import JobRun
from kam.tenancy import cross_tenant
from tests.factories import MembershipFactory, OplItemFactory, TenantFactory


def call(*args):
    out = StringIO()
    call_command("run_job", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def runs():
    with cross_tenant():
        return list(JobRun.objects.order_by("tenant__slug").values_list(
            "tenant__slug", "job", "day", "trigger", "status"))


def test_one_tenant_on_a_given_day(tenant, other_tenant):
    owner = MembershipFactory(tenant=tenant).user
    OplItemFactory(tenant=tenant, owner=owner, accountable=None,
                   due_date=date(2026, 5, 1), title="Late point")

    out = call("opl-reminders", "--tenant", "alpha", "--date", "2026-05-14")

    assert out.startswith("alpha: ok 2026-05-14 (")
    assert "notifications 1" in out and "e-mails sent 1" in out
    assert runs() == [("alpha", "opl-reminders", date(2026, 5, 14), "command", "ok")]
    # By hand again the same day: nothing is sent twice.
    assert "notifications" not in call("opl-reminders", "--tenant", "alpha", "--date",
                                       "2026-05-14")


def test_every_active_tenant_by_default(tenant, other_tenant):
    TenantFactory(slug="dormant", is_active=False)
    out = call("opl-chase")
    assert [line.split(":")[0] for line in out.splitlines()] == ["alpha", "beta"]
    assert {row[0] for row in runs()} == {"alpha", "beta"}
    assert all(row[2] == (tenant.today() if row[0] == "alpha" else other_tenant.today())
               for row in runs())


def test_problems_are_printed(tenant):
    OplItemFactory(tenant=tenant, owner=None, accountable=None, title="Orphan point",
                   customer__owner=None, due_date=tenant.today() - timedelta(days=3))
    out = call("opl-reminders", "--tenant", "alpha")
    assert "partial" in out and "1 problems" in out
    assert "“Orphan point”" in out


@pytest.mark.parametrize(("args", "message"), [
    (["nope"], "Unknown job 'nope'. The jobs are: rescoring, milestone-reminders"),
    (["rescoring", "--tenant", "nobody"], "No tenant with the slug 'nobody'."),
    (["rescoring", "--date", "14.5.2026"], "--date must look like 2026-07-01"),
])
def test_bad_input_is_a_command_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        call(*args)
