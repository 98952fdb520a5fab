"""Import of customers and period figures from CSV and XLSX: upload, dry run, commit."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers import import_jobs, import_selectors, importing, services
from customers.models import Customer, ImportJob, PeriodFigure
from kam import messages
from kam.imports import cells, files, kinds
from kam.imports import rows as import_rows
from kam.tenancy import tenant_context
from teams.tests.factories import TeamMemberFactory
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    PeriodFigureFactory,
    RegionFactory,
)

FIGURES_HEADER = "customer_code,period,revenue,supply_share,gross_margin,payment_days"


def csv_file(text, name="figures.csv", bom=False):
    data = text.encode("utf-8")
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data,
                              content_type="text/csv")


def xlsx_file(rows, name="figures.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")


def same_value(value, column):
    if column.type in cells.NUMERIC_TYPES:
        return Decimal(str(value)) == Decimal(str(column.example))
    return str(value) == str(column.example)


def upload(client, run_tasks, kind, file):
    """Upload `file` and run its check; returns the job and the job page's response."""
    with run_tasks():
        response = client.post(reverse(f"import_{kind}"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    job_url = response["Location"]
    page = client.get(job_url)
    assert page.status_code == 200
    pk = int(job_url.rstrip("/").rsplit("/", 1)[-1])
    return pk, page


def job_of(tenant, pk):
    with tenant_context(tenant):
        return ImportJob.objects.get(pk=pk)


def shown_errors(job):
    """A job's errors as the page shows them, in the active language."""
    return import_rows.rendered_errors(job.errors)


def figure_count(tenant):
    with tenant_context(tenant):
        return PeriodFigure.objects.count()


def commit(client, run_tasks, pk):
    with run_tasks():
        response = client.post(reverse("import_job_commit", args=[pk]))
    assert response.status_code == 302
    return client.get(response["Location"])


# --- templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customers", "figures"])
def test_csv_template_parses_back_to_its_example_row(admin_client, kind):
    response = admin_client.get(reverse(f"import_{kind}_template_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    parsed = kinds.get(kind).read(response.content, "csv")
    columns = importing.COLUMNS[kind]
    assert parsed.lines == [2]
    assert list(parsed.rows[0]) == [c.name for c in columns]
    for column in columns:
        assert same_value(parsed.rows[0][column.name], column), column.name


@pytest.mark.parametrize("kind", ["customers", "figures"])
def test_xlsx_template_parses_back_and_explains_every_column(admin_client, kind):
    response = admin_client.get(reverse(f"import_{kind}_template_xlsx"))
    assert response.status_code == 200
    parsed = kinds.get(kind).read(response.content, "xlsx")
    columns = importing.COLUMNS[kind]
    assert parsed.lines == [2]
    for column in columns:
        assert same_value(parsed.rows[0][column.name], column), column.name
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 2
    explained = {row[0]: row for row in workbook.worksheets[1].iter_rows(values_only=True)}
    for column in columns:
        assert explained[column.name][2], column.name  # a description for each column


def test_the_figures_template_example_imports_once_its_customer_exists(
        admin_client, tenant, run_tasks):
    CustomerFactory(tenant=tenant, code="OEM-001")
    template = admin_client.get(reverse("import_figures_template_xlsx")).content
    pk, page = upload(admin_client, run_tasks, "figures",
                      SimpleUploadedFile("template.xlsx", template))
    assert job_of(tenant, pk).status == ImportJob.Status.VALIDATED
    commit(admin_client, run_tasks, pk)
    with tenant_context(tenant):
        figure = PeriodFigure.objects.get()
    assert (figure.period, figure.revenue, figure.supply_share) == (
        "2026Q3", Decimal("1250000.00"), Decimal("35.50"))


# --- dry run and commit ------------------------------------------------------------------


def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_written(
        admin_client, tenant, customers, run_tasks):
    lines = [FIGURES_HEADER,
             "OEM-1,2026Q3,1000000,30,18,60",
             "OEM-2,2026Q3,2000000,40,20,45",
             "OEM-3,2026Q3,1500000,35,19,90",
             "OEM-4,2026Q3,900000,120,15,30"]  # line 5: supply share 120 %
    pk, page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    assert shown_errors(job) == [{"row": 5, "column": "supply_share",
                                  "message": "supply_share must be at most 100."}]
    html = page.content.decode()
    assert '<td>5</td><td><code>supply_share</code></td>' in html
    assert "Commit import" not in html
    assert figure_count(tenant) == 0
    # A job with errors cannot be committed.
    commit(admin_client, run_tasks, pk)
    assert job_of(tenant, pk).status == ImportJob.Status.INVALID
    assert figure_count(tenant) == 0


def test_a_good_file_is_previewed_then_committed_with_progress_to_100(
        admin_client, tenant, customers, run_tasks):
    PeriodFigureFactory(tenant=tenant, customer=customers[0], period="2026Q2", revenue=5)
    lines = [FIGURES_HEADER,
             "OEM-1,2026Q2,1000000,30,18,60",  # an update
             "OEM-1,2026Q3,1100000,31,18,60",
             "OEM-2,2026q3,\"2,000,000.50\",40,20,45"]
    pk, page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    html = page.content.decode()
    assert "3 rows ready: 2 new, 1 changed, 0 unchanged." in html
    assert "Commit import" in html
    assert figure_count(tenant) == 1  # the dry run wrote nothing

    page = commit(admin_client, run_tasks, pk)
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.processed_rows) == (3, 3)
    assert (job.created_count, job.updated_count) == (2, 1)
    assert import_selectors.progress(job) == (3, 100)
    assert "100 %" in page.content.decode()
    with tenant_context(tenant):
        figures = {(f.customer.code, f.period): f.revenue for f in PeriodFigure.objects.all()}
    assert figures == {("OEM-1", "2026Q2"): Decimal("1000000"),
                       ("OEM-1", "2026Q3"): Decimal("1100000"),
                       ("OEM-2", "2026Q3"): Decimal("2000000.50")}
    # Committing twice writes nothing twice.
    commit(admin_client, run_tasks, pk)
    assert figure_count(tenant) == 3


def test_progress_is_reported_chunk_by_chunk(tenant, customers, monkeypatch):
    monkeypatch.setattr(kinds, "CHUNK_ROWS", 2)
    rows = [{"customer_code": c.code, "period": "2026Q1", "revenue": "10"} for c in customers]
    rows.append({"customer_code": "OEM-1", "period": "2026Q2", "revenue": "11"})
    seen = []
    with tenant_context(tenant):
        result = services.upsert_figures(tenant, rows=rows, progress=seen.append)
        assert PeriodFigure.objects.count() == 5
    assert seen == [2, 4, 5]
    assert (result.created, result.updated, result.errors) == (5, 0, [])


def test_the_progress_partial_polls_while_running_and_reloads_when_done(
        admin_client, tenant, customers, run_tasks):
    pk, _page = upload(admin_client, run_tasks, "figures",
                       csv_file(f"{FIGURES_HEADER}\nOEM-1,2026Q3,10,1,1,1"))
    job = job_of(tenant, pk)
    with tenant_context(tenant):
        assert import_jobs.start_commit(job)
        import_jobs.set_progress(job, rows_done=1)
    response = admin_client.get(reverse("import_job_progress", args=[pk]))
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "100 %" in html
    page = admin_client.get(reverse("import_job", args=[pk])).content.decode()
    assert f'hx-get="{reverse("import_job_progress", args=[pk])}"' in page
    with tenant_context(tenant):
        import_jobs.commit_job(job)
    response = admin_client.get(reverse("import_job_progress", args=[pk]))
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"


def test_data_changed_since_the_dry_run_fails_the_commit_and_writes_nothing(
        admin_client, tenant, customers, run_tasks):
    lines = [FIGURES_HEADER, "OEM-1,2026Q3,10,1,1,1", "OEM-2,2026Q3,20,1,1,1"]
    pk, _page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    assert job_of(tenant, pk).status == ImportJob.Status.VALIDATED
    with tenant_context(tenant):
        Customer.objects.filter(code="OEM-2").delete()
    page = commit(admin_client, run_tasks, pk)
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.FAILED
    assert shown_errors(job) == [{"row": 3, "column": "customer_code",
                                  "message": "No customer with code “OEM-2” in this workspace."}]
    assert "Nothing was imported." in page.content.decode()
    assert figure_count(tenant) == 0


def test_another_tenants_customer_code_is_not_found_and_nothing_is_written(
        admin_client, tenant, other_tenant, customers, run_tasks):
    CustomerFactory(tenant=other_tenant, code="BETA-1")
    lines = [FIGURES_HEADER, "OEM-1,2026Q3,10,1,1,1", "BETA-1,2026Q3,20,1,1,1"]
    pk, page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    assert shown_errors(job) == [{"row": 3, "column": "customer_code",
                                  "message": "No customer with code “BETA-1” in this workspace."}]
    assert figure_count(tenant) == 0
    assert figure_count(other_tenant) == 0


# --- file formats ------------------------------------------------------------------------


def test_xlsx_files_import(admin_client, tenant, customers, run_tasks):
    rows = [["Customer Code", "PERIOD", "Revenue", "supply share", "Volume"],
            ["OEM-1", "2026Q3", 1234567.5, 35.25, 1200.0],
            [None, None, None, None, None],  # blank line: skipped, still counted
            ["OEM-2", "2026Q3", 10, None, 5]]
    pk, _page = upload(admin_client, run_tasks, "figures", xlsx_file(rows))
    assert job_of(tenant, pk).total_rows == 2
    commit(admin_client, run_tasks, pk)
    with tenant_context(tenant):
        figures = {f.customer.code: f for f in PeriodFigure.objects.all()}
    assert figures["OEM-1"].revenue == Decimal("1234567.50")
    assert figures["OEM-1"].supply_share == Decimal("35.25")
    assert figures["OEM-1"].volume == 1200
    assert figures["OEM-2"].supply_share is None


def test_xlsx_errors_carry_spreadsheet_line_numbers(admin_client, tenant, customers,
                                                    run_tasks):
    rows = [["customer_code", "period", "revenue"], ["OEM-1", "2026Q3", 1], [None] * 3,
            ["OEM-2", "2026Q9", 2]]
    pk, _page = upload(admin_client, run_tasks, "figures", xlsx_file(rows))
    errors = job_of(tenant, pk).errors
    assert [(e["row"], e["column"]) for e in errors] == [(4, "period")]


def test_semicolon_csv_with_bom_and_decimal_commas_imports(admin_client, tenant, customers,
                                                           run_tasks):
    text = ("customer_code;period;revenue;supply_share;gross_margin\n"
            "OEM-1;2026Q3;1.234.567,50;35,5 %;18\n"
            "OEM-2;2026Q3;1000;;\n")
    pk, _page = upload(admin_client, run_tasks, "figures", csv_file(text, bom=True))
    assert job_of(tenant, pk).status == ImportJob.Status.VALIDATED
    commit(admin_client, run_tasks, pk)
    with tenant_context(tenant):
        figures = {f.customer.code: f for f in PeriodFigure.objects.all()}
    assert figures["OEM-1"].revenue == Decimal("1234567.50")
    assert figures["OEM-1"].supply_share == Decimal("35.5")
    assert figures["OEM-2"].gross_margin is None


def test_unknown_and_missing_columns_are_one_error_naming_them(admin_client, tenant,
                                                               customers, run_tasks):
    pk, page = upload(admin_client, run_tasks, "figures",
                      csv_file("customer_code,period,turnover\nOEM-1,2026Q3,10"))
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    assert len(job.errors) == 1
    message = shown_errors(job)[0]["message"]
    assert "Unknown columns: turnover." in message
    assert "Missing required columns: revenue." in message
    assert job.errors[0]["row"] == 1
    assert "turnover" in page.content.decode()


def test_values_under_no_column_name_are_a_row_error(tenant, customers):
    parsed = kinds.get("figures").read(
        b"customer_code,period,revenue\nOEM-1,2026Q3,1,oops\n", "csv")
    assert [(e.row, e.field) for e in parsed.errors] == [(2, "")]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("figures.xls", b"\xd0\xcf\x11\xe0", "Save the spreadsheet as .xlsx or .csv"),
    ("figures.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
    ("figures.xlsx", b"customer_code,period\n", "This is not an XLSX workbook."),
    ("figures.csv", "customer_code\nÄ".encode("latin-1"), "not UTF-8 text"),
    ("figures.csv", b"", "The submitted file is empty."),
])
def test_wrong_file_types_are_form_errors(admin_client, tenant, name, content, message):
    response = admin_client.post(reverse("import_figures"),
                                 {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    with tenant_context(tenant):
        assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_a_form_error(admin_client, tenant):
    content = b"customer_code,period,revenue\n" + b"x" * files.MAX_UPLOAD_BYTES
    response = admin_client.post(reverse("import_figures"),
                                 {"file": SimpleUploadedFile("big.csv", content)})
    assert response.status_code == 200
    assert "the limit is 10 MB" in response.content.decode()
    with tenant_context(tenant):
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("text", "decimal_comma", "expected"), [
    ("1,234.50", False, "1234.50"),
    ("1,234", False, "1234"),
    ("1.234,50", True, "1234.50"),
    ("12,5", True, "12.5"),
    ("1 234 567", False, "1234567"),
    ("35 %", False, "35 %"),  # a percent sign only on percentage columns
    ("abc", False, "abc"),
    ("1,2,3", False, "1,2,3"),
])
def test_number_text(text, decimal_comma, expected):
    assert cells.number_text(text, decimal_comma) == expected


# --- customers -----------------------------------------------------------------------------


def test_customers_import_creates_updates_and_links_groups(admin_client, tenant, run_tasks):
    region = RegionFactory(tenant=tenant, code="east")
    kam = MembershipFactory(tenant=tenant, role="manager").user
    existing = CustomerFactory(tenant=tenant, code="OEM-1", name="Old name", city="Wuhan",
                               region=None)
    text = ("code,name,parent_code,region_code,segment,lifecycle_stage,owner_email,is_active\n"
            f"OEM-1,New name,GRP,EAST,,Key (elite),{kam.email.upper()},\n"
            "GRP,Group Holding,,east,OEM — passenger cars,mature,,yes\n"
            "JV-1,Joint Venture,OEM-1,,joint_venture,,,no\n")
    pk, page = upload(admin_client, run_tasks, "customers", csv_file(text, "customers.csv"))
    assert "3 rows ready: 2 new, 1 changed, 0 unchanged." in page.content.decode()
    commit(admin_client, run_tasks, pk)
    assert job_of(tenant, pk).status == ImportJob.Status.DONE
    with tenant_context(tenant):
        by_code = {c.code: c for c in Customer.objects.select_related("parent", "region")}
    updated = by_code["OEM-1"]
    assert updated.pk == existing.pk
    assert (updated.name, updated.city) == ("New name", "Wuhan")  # no city column: unchanged
    assert updated.parent == by_code["GRP"]
    assert updated.region == region
    assert updated.lifecycle_stage == "key"
    assert updated.owner == kam
    assert by_code["GRP"].segment == "oem_passenger"
    assert by_code["JV-1"].parent == updated
    assert by_code["JV-1"].is_active is False
    assert by_code["JV-1"].segment == "joint_venture"


def test_customer_rows_with_unknown_references_name_the_column(admin_client, tenant,
                                                               other_tenant, run_tasks):
    RegionFactory(tenant=other_tenant, code="west")
    CustomerFactory(tenant=other_tenant, code="BETA-GRP")
    outsider = MembershipFactory(tenant=other_tenant).user
    inactive = MembershipFactory(tenant=tenant, is_active=False).user
    text = ("code,name,parent_code,region_code,owner_email,segment,is_active\n"
            "A-1,Alpha,BETA-GRP,,,,\n"
            "A-2,Alpha,,west,,,\n"
            f"A-3,Alpha,,,{outsider.email},,\n"
            f"A-4,Alpha,,,{inactive.email},,\n"
            "A-5,,,,,,\n"
            "A-6,Alpha,,,,spaceship,maybe\n"
            "A-6,Alpha,,,,,\n"
            "A-7,Alpha,A-7,,,,\n")
    pk, _page = upload(admin_client, run_tasks, "customers", csv_file(text, "c.csv"))
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "parent_code"), (3, "region_code"), (4, "owner_email"), (5, "owner_email"),
        (6, "name"), (7, "segment"), (7, "is_active"), (8, "code"), (9, "parent_code")]
    with tenant_context(tenant):
        assert not Customer.objects.exists()


def test_group_links_that_make_a_loop_are_refused(tenant):
    CustomerFactory(tenant=tenant, code="A")
    rows = [{"code": "A", "name": "A", "parent_code": "B"},
            {"code": "B", "name": "B", "parent_code": "A"}]
    with tenant_context(tenant):
        result = importing.upsert_customers(tenant, rows, first_row_number=2)
        assert not Customer.objects.filter(code="B").exists()
    assert [(e.row, e.field) for e in result.errors] == [(2, "parent_code"), (3, "parent_code")]
    assert "A → B → A" in messages.render(result.errors[0].message)


def test_upsert_customers_in_chunks_links_parents_created_later_in_the_file(tenant,
                                                                            monkeypatch):
    monkeypatch.setattr(kinds, "CHUNK_ROWS", 2)
    rows = [{"code": f"JV-{n}", "name": f"JV {n}", "parent_code": "GRP"} for n in range(3)]
    rows.append({"code": "GRP", "name": "Group", "parent_code": "TOP"})
    rows.append({"code": "TOP", "name": "Top"})
    seen = []
    with tenant_context(tenant):
        result = importing.upsert_customers(tenant, rows, progress=seen.append)
        parents = dict(Customer.objects.values_list("code", "parent__code"))
    assert result.errors == []
    assert (result.created, result.updated) == (5, 0)
    assert parents == {"JV-0": "GRP", "JV-1": "GRP", "JV-2": "GRP", "GRP": "TOP", "TOP": None}
    assert seen[-1] == 5


# --- access --------------------------------------------------------------------------------


def test_another_tenants_import_job_is_404(admin_client, other_tenant):
    with tenant_context(other_tenant):
        job = ImportJob.objects.create(tenant=other_tenant, kind="figures",
                                       original_filename="beta.csv", file_format="csv",
                                       content=b"customer_code,period,revenue\n",
                                       status=ImportJob.Status.VALIDATED)
    for name in ("import_job", "import_job_progress"):
        assert admin_client.get(reverse(name, args=[job.pk])).status_code == 404
    assert admin_client.post(reverse("import_job_commit", args=[job.pk])).status_code == 404
    assert job_of(other_tenant, job.pk).status == ImportJob.Status.VALIDATED
    assert "beta.csv" not in admin_client.get(reverse("import_home")).content.decode()


@pytest.mark.parametrize("role", ["viewer", "member", "executive"])
def test_only_admins_and_managers_import(client, tenant, role):
    client.force_login(MembershipFactory(tenant=tenant, role=role).user)
    assert client.get(reverse("import_figures")).status_code == 403
    assert client.get(reverse("import_home")).status_code == 403


def test_a_manager_imports_figures_of_the_accounts_on_their_teams(client, tenant, customers,
                                                                    run_tasks):
    manager = MembershipFactory(tenant=tenant, role="manager").user
    with tenant_context(tenant):
        own = Customer.objects.get(code="OEM-1")
    TeamMemberFactory(tenant=tenant, team__customer=own, user=manager, role="AR")
    client.force_login(manager)

    pk, page = upload(client, run_tasks, "figures",
                      csv_file(f"{FIGURES_HEADER}\nOEM-1,2026Q3,10,1,1,1"))
    _pk, refused = upload(client, run_tasks, "figures",
                          csv_file(f"{FIGURES_HEADER}\nOEM-2,2026Q3,10,1,1,1", name="other.csv"))

    assert "1 row ready: 1 new, 0 changed, 0 unchanged." in page.content.decode()
    assert "not on the account team of OEM-2" in refused.content.decode()
    listing = client.get(reverse("import_home")).content.decode()
    assert "figures.csv" in listing


# --- the scoring benchmark (make bench-scoring), on a tiny tenant --------------------------


def test_bench_scoring_command_agrees_with_its_sql_floor(db):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("bench_scoring", "--customers", "40", "--quarters", "3", stdout=out)
    call_command("bench_scoring", "--customers", "40", "--quarters", "3", stdout=out)
    text = out.getvalue()
    assert "reusing the bench tenant's data" in text
    assert "top-10 check: OK" in text
    assert "same rank in run and floor: 40 of 40 customers" in text


def test_bench_import_command_imports_both_files_and_leaves_nothing_behind(db):
    from django.core.management import call_command

    from accounts.models import Tenant

    out = io.StringIO()
    call_command("bench_import", "--rows", "12", stdout=out)

    text = out.getvalue()
    assert "customers 12 rows: check" in text
    assert "figures   12 rows: check" in text
    with tenant_context(Tenant.objects.get(slug="bench-import")):
        assert not Customer.objects.exists()


# --- duplicate rows name the line of the first one --------------------------------------

def _sheet(kind):
    """(header, first row, blank, other row, the first row again with another case)."""
    if kind == "customers":
        return [["code", "name"], ["OEM-9", "Ninth"], [None, None], ["OEM-8", "Eighth"],
                [" oem-9 ", "Ninth again"]]
    return [["customer_code", "period", "revenue"], ["OEM-1", "2026Q3", 1], [None] * 3,
            ["OEM-2", "2026Q3", 2], ["OEM-1", "2026 Q3", 3]]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["customers", "figures"])
def test_a_duplicate_row_names_the_spreadsheet_line_of_the_first(
        admin_client, tenant, customers, run_tasks, kind, file_format):
    rows = _sheet(kind)
    if file_format == "csv":
        text = "\n".join(",".join("" if c is None else str(c) for c in row) for row in rows)
        file = csv_file(text, f"{kind}.csv")
    else:
        file = xlsx_file(rows, f"{kind}.xlsx")
    pk, page = upload(admin_client, run_tasks, kind, file)
    errors = shown_errors(job_of(tenant, pk))
    assert [(e["row"], e["column"]) for e in errors] == [
        (5, "code" if kind == "customers" else "period")]
    assert "(also line 2)" in errors[0]["message"]
    assert "(also line 2)" in page.content.decode()


# --- periods as people write them ----------------------------------------------------------

def test_quarters_written_in_common_ways_are_stored_as_2026Q2(admin_client, tenant,
                                                              customers, run_tasks):
    lines = ["customer_code,period,revenue", "OEM-1,2026-Q2,1", "OEM-2,2026 Q2,2",
             "OEM-3,Q1 2026,3", "OEM-4,q1-2026,4", "OEM-1,2026q3,5"]
    pk, _page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    assert job_of(tenant, pk).status == ImportJob.Status.VALIDATED
    commit(admin_client, run_tasks, pk)
    with tenant_context(tenant):
        stored = sorted(PeriodFigure.objects.values_list("customer__code", "period"))
    assert stored == [("OEM-1", "2026Q2"), ("OEM-1", "2026Q3"), ("OEM-2", "2026Q2"),
                      ("OEM-3", "2026Q1"), ("OEM-4", "2026Q1")]


@pytest.mark.parametrize("period", ["2026Q5", "26Q2", "2026/Q2", "Q2", "2026 Q2 Q3"])
def test_other_ways_of_writing_a_quarter_are_refused_with_the_clear_message(
        admin_client, tenant, customers, run_tasks, period):
    pk, _page = upload(admin_client, run_tasks, "figures",
                       csv_file(f"customer_code,period,revenue\nOEM-1,{period},1"))
    assert shown_errors(job_of(tenant, pk)) == [{
        "row": 2, "column": "period",
        "message": "Enter a quarter like 2026Q3 (year, the letter Q, quarter 1–4)."}]


# --- formula cells without a saved value -------------------------------------------------

def _with_cached_values(content, cells):
    """The workbook with cached values written into some formula cells: `cells` maps a
    coordinate to the <c> element Excel would save for it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for coordinate, element in cells.items():
                    text = re.sub(rf'<c r="{coordinate}"[^>]*>.*?</c>', element, text)
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_a_formula_without_a_saved_value_is_named_at_its_cell(admin_client, tenant, customers,
                                                                run_tasks):
    # openpyxl writes formulas without calculating them, like the programs that cause this.
    rows = [["customer_code", "period", "revenue", "supply_share"],
            ["OEM-1", "2026Q3", "=1000*2", 30],
            ["OEM-2", "2026Q3", 500, "=10+5"],
            ["OEM-3", "2026Q3", "=200*3", 20],
            ["OEM-4", "2026Q3", 400, '=IF(1=1,"",1)']]
    content = xlsx_file(rows).read()
    content = _with_cached_values(content, {
        "C4": '<c r="C4"><f>200*3</f><v>600</v></c>',  # saved by Excel: a value
        "D5": '<c r="D5" t="str"><f>IF(1=1,"",1)</f><v></v></c>',  # an empty text result
    })
    pk, page = upload(admin_client, run_tasks, "figures",
                      SimpleUploadedFile("figures.xlsx", content))
    errors = shown_errors(job_of(tenant, pk))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "revenue"), (3, "supply_share")]
    assert all("formula with no saved value" in e["message"] for e in errors)
    assert "open the file in Excel" in page.content.decode()


def test_formulas_with_saved_values_import_as_their_values(tenant, customers):
    rows = [["customer_code", "period", "revenue"], ["OEM-1", "2026Q3", "=1000*2"]]
    content = _with_cached_values(xlsx_file(rows).read(), {
        "C2": '<c r="C2"><f>1000*2</f><v>2000</v></c>'})
    parsed = kinds.get("figures").read(content, "xlsx")
    assert parsed.errors == []
    assert parsed.rows[0]["revenue"] == 2000


# --- the product's words, not the framework's ----------------------------------------------

FRAMEWORK_WORDS = ("Ensure ", "Select a valid choice", "Enter a valid", "This field",
                   "value must be", "is not a valid choice")


def test_figure_errors_name_the_column_and_its_rule(admin_client, tenant, customers,
                                                   run_tasks):
    lines = ["customer_code,period,revenue,payment_days,gross_margin,market_influence,volume",
             "OEM-1,2026Q3,lots,60,18,3,10",
             "OEM-2,2026Q3,1000,12.5,18,3,10",
             "OEM-3,2026Q3,1000,60,1.23456,9,-1",
             "OEM-4,2026Q3,,60,18,3,10"]
    pk, _page = upload(admin_client, run_tasks, "figures", csv_file("\n".join(lines)))
    errors = shown_errors(job_of(tenant, pk))
    assert [(e["row"], e["message"]) for e in errors] == [
        (2, "revenue must be a number, not “lots”."),
        (3, "payment_days must be a whole number, not “12.5”."),
        (4, "volume must be at least 0."),
        (4, "gross_margin takes at most 3 digits before the decimal point and 2 after it."),
        (4, "market_influence must be at most 5."),
        (5, "revenue must not be empty."),
    ]


def test_customer_errors_name_the_column_and_its_rule(admin_client, tenant, run_tasks):
    text = ("code,name,city\n"
            "A-1,,Wuhan\n"
            f"{'X' * 31},Long code,Wuhan\n"
            f"A-3,Long city,{'y' * 61}\n")
    pk, _page = upload(admin_client, run_tasks, "customers", csv_file(text, "c.csv"))
    errors = shown_errors(job_of(tenant, pk))
    assert [(e["row"], e["column"], e["message"]) for e in errors] == [
        (2, "name", "name must not be empty."),
        (3, "code", "code must be at most 30 characters long."),
        (4, "city", "city must be at most 60 characters long."),
    ]
    assert not any(word in e["message"] for e in errors for word in FRAMEWORK_WORDS)
