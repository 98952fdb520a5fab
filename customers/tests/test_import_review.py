"""What a user reviews around an import: the dry run's changes (old → new), its errors in
the reader's language, and the re-scoring a committed figures import calls for."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import import_jobs, import_selectors
from customers.models import Customer, ImportJob, ScoringRun
from customers.tests.test_import import commit, csv_file, job_of, upload
from kam.imports import rows as import_rows
from kam.tenancy import tenant_context
from tests.factories import (
    CustomerFactory,
    ImportJobFactory,
    MembershipFactory,
    PeriodFigureFactory,
    RegionFactory,
)

CUSTOMERS_HEADER = "code,name,region_code,lifecycle_stage,owner_email,is_active"


def table_rows(html, table_id):
    """The text of each body row of a table, cells joined by " | "."""
    import re

    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, f"no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0).split("<tbody>", 1)[1], re.S)
    return [" | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
                       for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
            for row in rows]


@pytest.fixture
def portfolio(tenant):
    """Existing customers: an A-tier account with its KAM, a B one and a C one."""
    east = RegionFactory(tenant=tenant, code="east")
    old_kam = MembershipFactory(tenant=tenant, role="manager").user
    new_kam = MembershipFactory(tenant=tenant, role="manager").user
    key = CustomerFactory(tenant=tenant, code="KEY-1", name="Huaxin Motors", tier="A",
                          owner=old_kam, region=east, lifecycle_stage="key")
    b = CustomerFactory(tenant=tenant, code="B-1", name="Second Motors", tier="B",
                        owner=None, region=east, lifecycle_stage="developing")
    c = CustomerFactory(tenant=tenant, code="C-1", name="Third Motors", tier="C",
                        owner=old_kam, region=east, lifecycle_stage="mature")
    return {"key": key, "b": b, "c": c, "old_kam": old_kam, "new_kam": new_kam}


# --- the dry run shows the changes -------------------------------------------------------


def test_the_dry_run_lists_each_change_old_to_new_and_flags_the_risky_ones(
        admin_client, tenant, portfolio, run_tasks):
    old_kam, new_kam = portfolio["old_kam"], portfolio["new_kam"]
    text = "\n".join([
        CUSTOMERS_HEADER,
        f"KEY-1,Huaxin Motors Group,east,key,{old_kam.email},yes",  # A-tier renamed
        f"B-1,Second Motors,east,key,{new_kam.email},yes",  # stage, first KAM
        f"C-1,Third Motors,east,mature,{new_kam.email},no",  # new KAM, deactivated
        "NEW-1,New Motors,east,prospect,,",
    ])
    pk, page = upload(admin_client, run_tasks, "customers", csv_file(text, "c.csv"))
    html = page.content.decode()

    assert "4 rows ready: 1 new, 3 changed, 0 unchanged." in html
    assert table_rows(html, "import-changes") == [
        "2 | KEY-1 | name A-tier customer renamed | Huaxin Motors → Huaxin Motors Group",
        "3 | B-1 | lifecycle_stage | Developing (general) → Key (elite)",
        f"3 | B-1 | owner_email | — → {new_kam.email}",
        f"4 | C-1 | owner_email New account manager | {old_kam.email} → {new_kam.email}",
        "4 | C-1 | is_active Deactivated | yes → no",
        "5 | NEW-1 | new | name New Motors · region_code east · lifecycle_stage Prospect "
        "(potential)",
    ]
    flagged = html.split('id="import-flagged"', 1)[1].split("</section>", 1)[0]
    assert "3 changes to look at twice" in flagged
    for text in ("A-tier customer renamed", "New account manager", "Deactivated"):
        assert text in flagged
    assert "Commit import" in html
    with tenant_context(tenant):
        assert Customer.objects.get(code="KEY-1").name == "Huaxin Motors"  # nothing written


def test_the_dry_run_of_figures_shows_new_and_changed_values_and_counts_unchanged_rows(
        admin_client, tenant, customers, run_tasks):
    PeriodFigureFactory(tenant=tenant, customer=customers[0], period="2026Q2",
                        revenue=1_000_000, supply_share=30, gross_margin=18, payment_days=60)
    PeriodFigureFactory(tenant=tenant, customer=customers[1], period="2026Q2",
                        revenue=500, supply_share=30, gross_margin=18, payment_days=60)
    lines = ["customer_code,period,revenue,supply_share,gross_margin,payment_days",
             "OEM-1,2026Q2,1250000.5,30,18,45",  # revenue and payment days change
             "OEM-2,2026Q2,500,30.00,18,60",  # the same values
             "OEM-3,2026Q3,900,,,"]
    pk, page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    html = page.content.decode()
    assert "3 rows ready: 1 new, 1 changed, 1 unchanged." in html
    assert table_rows(html, "import-changes") == [
        "2 | OEM-1 2026Q2 | revenue | 1,000,000.00 → 1,250,000.50",
        "2 | OEM-1 2026Q2 | payment_days | 60 → 45",
        "4 | OEM-3 2026Q3 | new | revenue 900.00",
    ]
    assert "1 row changes nothing and is not listed." in html


def test_a_long_preview_lists_the_first_changes_and_says_how_many_more(
        admin_client, tenant, run_tasks, monkeypatch):
    monkeypatch.setattr(import_rows, "PREVIEW_LIMIT", 3)
    text = "code,name\n" + "".join(f"N-{n},New {n}\n" for n in range(5))
    pk, page = upload(admin_client, run_tasks, "customers", csv_file(text, "c.csv"))
    html = page.content.decode()
    assert len(table_rows(html, "import-changes")) == 3
    assert "2 more changes are not listed." in html
    assert job_of(tenant, pk).preview["new_rows"] == 5


def test_the_dry_run_costs_the_same_queries_for_ten_times_the_rows(tenant, portfolio,
                                                                   admin_membership):
    def dry_run(n):
        text = CUSTOMERS_HEADER + "\n" + "".join(
            f"Q-{i},Name {i},east,key,{portfolio['new_kam'].email},yes\n" for i in range(n))
        text += f"KEY-1,Renamed,east,key,{portfolio['new_kam'].email},no\n"
        with tenant_context(tenant):
            job = import_jobs.create_job(tenant, kind="customers", name="c.csv",
                                       content=text.encode(), user=admin_membership.user)
            with CaptureQueriesContext(connection) as queries:
                job = import_jobs.validate_job(job)
        assert job.status == ImportJob.Status.VALIDATED, job.errors
        return len(queries)

    assert dry_run(5) == dry_run(50)


def test_the_dry_run_of_figures_costs_the_same_queries_for_ten_times_the_rows(
        tenant, admin_membership):
    def dry_run(n):
        codes = [f"F{n}-{i}" for i in range(n)]
        for code in codes:
            PeriodFigureFactory(tenant=tenant, customer__code=code, period="2026Q2")
        text = "customer_code,period,revenue\n" + "".join(
            f"{code},2026Q2,{i}\n{code},2026Q3,{i}\n" for i, code in enumerate(codes))
        with tenant_context(tenant):
            job = import_jobs.create_job(tenant, kind="figures", name="f.csv",
                                       content=text.encode(), user=admin_membership.user)
            with CaptureQueriesContext(connection) as queries:
                job = import_jobs.validate_job(job)
        assert job.status == ImportJob.Status.VALIDATED, job.errors
        assert job.preview["changed_rows"] == job.preview["new_rows"] == n
        return len(queries)

    assert dry_run(5) == dry_run(50)


# --- errors in the reader's language ---------------------------------------------------------


def test_errors_checked_in_english_are_read_in_chinese(client, tenant, customers, run_tasks):
    admin = MembershipFactory(tenant=tenant, role="admin", user__language="en").user
    client.force_login(admin)
    pk, page = upload(client, run_tasks, "figures",
                      csv_file("customer_code,period,revenue\nNOPE,2026Q3,1"))
    assert "No customer with code “NOPE” in this workspace." in page.content.decode()

    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("import_job", args=[pk])).content.decode()
    assert "本工作区中没有代码为“NOPE”的客户。" in html
    assert "No customer with code" not in html


def test_errors_checked_in_chinese_are_read_in_english(client, tenant, customers, run_tasks):
    admin = MembershipFactory(tenant=tenant, role="admin", user__language="zh-hans").user
    client.force_login(admin)
    pk, page = upload(client, run_tasks, "figures",
                      csv_file("customer_code,period,revenue\nNOPE,2026Q3,1"))
    assert "本工作区中没有代码为“NOPE”的客户。" in page.content.decode()

    client.cookies["django_language"] = "en"
    html = client.get(reverse("import_job", args=[pk])).content.decode()
    assert "No customer with code “NOPE” in this workspace." in html
    assert "本工作区" not in html


def test_errors_stored_as_text_by_older_jobs_still_show(admin_client, tenant):
    job = ImportJobFactory(tenant=tenant, status=ImportJob.Status.INVALID, error_count=1,
                           errors=[{"row": 2, "column": "name",
                                    "message": "An error written before stored messages."}])
    html = admin_client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "An error written before stored messages." in html


# --- after a figures import: re-scoring -----------------------------------------------------


@pytest.fixture
def scored(tenant, customers):
    """Customers with figures and a scoring run before the import (OEM-1 on top)."""
    for n, customer in enumerate(customers):
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q2",
                            revenue=1_000_000 - n * 100_000)
    from customers import scoring

    with tenant_context(tenant):
        scoring.run_scoring(tenant)
    return customers


def figures_import(client, run_tasks, text):
    pk, _page = upload(client, run_tasks, "figures", csv_file(text))
    return pk, commit(client, run_tasks, pk).content.decode()


def test_a_committed_figures_import_offers_re_scoring_and_the_run_shows_its_tier_changes(
        admin_client, tenant, scored, run_tasks):
    # OEM-4, last so far, becomes the largest customer; OEM-2 gets the same figures again.
    pk, html = figures_import(admin_client, run_tasks, "customer_code,period,revenue\n"
                              "OEM-4,2026Q2,9000000\nOEM-3,2026Q2,750000\n"
                              "OEM-2,2026Q2,900000")
    offer = html.split('id="rescoring"', 1)[1].split("</section>", 1)[0]
    assert "This import changed the figures of 2 customers." in offer
    # The embedded default runs no scheduled jobs: nothing would re-score at night.
    assert "Nothing re-scores on a schedule here" in offer
    assert reverse("import_job_rescore", args=[pk]) in offer
    with tenant_context(tenant):
        assert ScoringRun.objects.count() == 1  # not re-scored by the import itself

    response = admin_client.post(reverse("import_job_rescore", args=[pk]), follow=True)
    html = response.content.decode()
    with tenant_context(tenant):
        run = ScoringRun.objects.order_by("-started_at", "-id").first()
        assert ScoringRun.objects.count() == 2
        assert Customer.objects.get(code="OEM-4").tier == "A"
    assert (run.trigger, run.triggered_by.email) == ("manual", response.wsgi_request.user.email)
    assert "Scoring run finished" in html
    changes = table_rows(html, "rescoring-changes")
    assert any(row.startswith("Carmaker 4 OEM-4 | C | A") for row in changes), changes
    assert f"{reverse('scoring_run', args=[run.pk])}?show=changed" in html
    assert reverse("import_job_rescore", args=[pk]) not in html  # done: no second offer


def test_a_manager_sees_the_offer_but_administrators_and_executives_re_score(
        client, tenant, scored, run_tasks):
    manager = MembershipFactory(tenant=tenant, role="manager").user
    from teams.tests.factories import TeamMemberFactory

    TeamMemberFactory(tenant=tenant, team__customer=scored[0], user=manager, role="AR")
    client.force_login(manager)
    pk, html = figures_import(client, run_tasks, "customer_code,period,revenue\n"
                              "OEM-1,2026Q2,5")
    offer = html.split('id="rescoring"', 1)[1].split("</section>", 1)[0]
    assert "This import changed the figures of 1 customer." in offer
    assert "ask one of them to re-score" in offer
    assert reverse("import_job_rescore", args=[pk]) not in offer
    assert client.post(reverse("import_job_rescore", args=[pk])).status_code == 403
    with tenant_context(tenant):
        assert ScoringRun.objects.count() == 1


def test_no_offer_when_the_import_changed_no_figure_or_imported_customers(
        admin_client, tenant, scored, run_tasks):
    _pk, html = figures_import(admin_client, run_tasks, "customer_code,period,revenue\n"
                               "OEM-1,2026Q2,1000000")  # the figures it already has
    assert 'id="rescoring"' not in html
    pk, _page = upload(admin_client, run_tasks, "customers",
                       csv_file("code,name\nNEW-1,New Motors", "c.csv"))
    assert 'id="rescoring"' not in commit(admin_client, run_tasks, pk).content.decode()
    response = admin_client.post(reverse("import_job_rescore", args=[pk]), follow=True)
    assert "This import changed no figures to re-score." in response.content.decode()
    with tenant_context(tenant):
        assert ScoringRun.objects.count() == 1


def test_with_a_scheduler_the_page_says_when_the_nightly_re_scoring_comes(
        admin_client, tenant, scored, run_tasks, celery_conf):
    pk, _html = figures_import(admin_client, run_tasks, "customer_code,period,revenue\n"
                               "OEM-1,2026Q2,5")
    celery_conf(task_always_eager=False)  # a worker and beat run the schedule
    html = admin_client.get(reverse("import_job", args=[pk])).content.decode()
    schedule = html.split('id="rescoring-schedule"', 1)[1].split("</p>", 1)[0]
    assert "The scheduled re-scoring runs next on" in schedule
    # 18:00 in Shanghai: tonight's run is at 02:05 tomorrow; at 01:00, the same night.
    evening = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    night = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    tonight = "2026-12-05T02:05:00+08:00"
    assert import_selectors.next_rescoring(tenant, evening).isoformat() == tonight
    assert import_selectors.next_rescoring(tenant, night).isoformat() == tonight
