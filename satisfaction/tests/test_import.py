"""Staff import of agency results (CSV/XLSX) through the one import pipeline: the
downloaded template round-trips, the dry run previews every new and changed answer, every
bad row is reported by line and column, a file with any error saves nothing, and the
commit is set-based with the effects of answering one survey (invitations used up, OPL
proposals of low answers)."""

import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers import import_jobs
from customers.models import ImportJob
from kam.imports import kinds
from kam.imports.rows import rendered_errors
from satisfaction import importing, services
from satisfaction.models import Answer, Invitation, OplProposal, Response, Survey
from teams.tests.factories import TeamMemberFactory
from tests.factories import CustomerFactory, MembershipFactory


def xlsx(rows, name="agency.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows, name="agency.csv", separator=","):
    text = "\n".join(separator.join("" if v is None else str(v) for v in row) for row in rows)
    return SimpleUploadedFile(name, ("\ufeff" + text + "\n").encode())


@dataclass
class Imported:
    """A job of the answers kind after its dry run (and commit, if it got that far)."""

    job: ImportJob

    @property
    def errors(self):
        return [(e["row"], e["column"], e["message"]) for e in rendered_errors(self.job.errors)]

    @property
    def saved(self):
        done = self.job.status == ImportJob.Status.DONE
        return self.job.created_count + self.job.updated_count if done else 0


def import_answers(campaign, uploaded, *, user=None, source="agency", commit=True):
    """Run `uploaded` through the pipeline as the tasks do: check, then commit if clean.
    `user`: the uploader (default: an administrator, who may change every account)."""
    if user is None:
        user = MembershipFactory(tenant=campaign.tenant, role="admin").user
    job = import_jobs.create_job(
        campaign.tenant, kind="answers", name=uploaded.name, content=uploaded.read(),
        user=user, options={"campaign": campaign.pk, "period": campaign.period,
                            "source": source})
    job = import_jobs.validate_job(job)
    if commit and job.status == ImportJob.Status.VALIDATED:
        assert import_jobs.start_commit(job)
        job = import_jobs.commit_job(job)
    return Imported(job)


@pytest.fixture
def run_tasks(eager, django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def upload(client, run_tasks, campaign, file, source="agency"):
    """Post `file` on the campaign's import page and run its dry run: (job, job page)."""
    with run_tasks():
        response = client.post(reverse("campaign_import", args=[campaign.pk]),
                               {"file": file, "source": source})
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"])
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    return job, page.content.decode()


def commit(client, run_tasks, job):
    with run_tasks():
        response = client.post(reverse("import_job_commit", args=[job.pk]))
    assert response.status_code == 302
    return ImportJob.objects.get(pk=job.pk), client.get(response["Location"]).content.decode()


def template_rows(client, campaign, fmt):
    url = reverse("campaign_import_template", args=[campaign.pk]) + f"?export={fmt}"
    content = client.get(url).content
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).active
        return [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)]
    import csv

    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def fill(rows, customer_code, department, score, recommend="8"):
    """Fill the template's row for one customer and department: every asked question."""
    header = rows[0]
    for row in rows[1:]:
        if row[0] == customer_code and row[1] == department:
            row[2], row[3], row[4] = "Ms Wang (agency)", recommend, "Call-offs too short."
            for i in range(5, len(header)):
                if row[i] == "":
                    row[i] = str(score)
            return row
    raise AssertionError("no such row")


def answer_row(setup, customer, department, score):
    """(header, row) answering every question asked of `department`."""
    questions = services.questions_for(Survey.objects.get(customer=customer), department)
    return (["customer_code", "department", *[q.code for q in questions]],
            [customer.code, department, *[score] * len(questions)])


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_downloaded_template_imports_as_filled_in(survey_setup, admin_client, run_tasks,
                                                      fmt):
    setup = survey_setup
    campaign = setup["campaign"]
    rows = template_rows(admin_client, campaign, fmt)
    header = rows[0]
    assert header[:5] == ["customer_code", "department", "respondent", "recommend", "comment"]
    alpha_logistics = next(r for r in rows if r[:2] == [setup["alpha"].code, "logistics"])
    asked = {q.code for q in services.questions_for(
        Survey.objects.get(customer=setup["alpha"]), "logistics")}
    # Questions not asked of a department are marked "-" (as text, not a formula).
    assert {code for code, v in zip(header[5:], alpha_logistics[5:], strict=True)
            if v == "-"} == set(header[5:]) - asked
    fill(rows, setup["alpha"].code, "logistics", 2)
    fill(rows, setup["beta"].code, "quality", 5, recommend="10")
    file = (xlsx if fmt == "xlsx" else csv_file)(rows)
    job, page = upload(admin_client, run_tasks, campaign, file)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    # The rows nobody answered are skipped: they change nothing.
    assert f"{job.total_rows} rows ready: 2 new, 0 changed, {job.total_rows - 2} unchanged." \
        in page
    assert not Response.objects.exists()  # a dry run

    job, page = commit(admin_client, run_tasks, job)
    assert job.status == ImportJob.Status.DONE and "Imported." in page
    assert reverse("campaign_detail", args=[campaign.pk]) in page
    saved = {(r.survey.customer_id, r.department): r for r in Response.objects.all()}
    assert set(saved) == {(setup["alpha"].pk, "logistics"), (setup["beta"].pk, "quality")}
    logistics = saved[(setup["alpha"].pk, "logistics")]
    assert logistics.source == "agency" and logistics.entered_by_id is not None
    assert logistics.respondent == "Ms Wang (agency)" and logistics.recommend == 8
    assert set(logistics.answers.values_list("score", flat=True)) == {2}
    assert logistics.answers.count() == len(asked)
    # Agency answers use up the link and propose OPL items for the low scores.
    assert Invitation.objects.get(survey=logistics.survey, department="logistics").responded_at
    assert OplProposal.objects.filter(answer__response=logistics).count() == len(asked)
    assert not OplProposal.objects.filter(answer__response__department="quality").exists()
    detail = admin_client.get(reverse("survey_detail", args=[logistics.survey_id]))
    assert "Outside agency" in detail.content.decode()


def test_every_bad_row_is_reported_and_nothing_is_saved(survey_setup, admin_client, run_tasks):
    setup = survey_setup
    campaign = setup["campaign"]
    survey = Survey.objects.get(customer=setup["alpha"])
    logistics = services.questions_for(survey, "logistics")
    purchasing_only = next(q for q in services.questions_for(survey, "purchasing")
                           if "logistics" not in q.departments)
    codes = [q.code for q in logistics]
    header = ["customer_code", "department", "respondent", "recommend", "comment",
              *codes, purchasing_only.code]
    good = [setup["alpha"].code, "logistics", "A", 8, "", *[4] * len(codes), ""]
    rows = [
        header,
        good,                                                               # line 2: fine
        ["NOPE", "logistics", "", "", "", *[4] * len(codes), ""],           # 3: customer
        [setup["beta"].code, "canteen", "", "", "", *[4] * len(codes), ""],  # 4: department
        [setup["beta"].code, "logistics", "", 11, "", 6, *[4] * (len(codes) - 1), ""],  # 5
        [setup["beta"].code, "quality", "", "", "", "", "", "", "", "", "", "", "x"],   # 6
        [setup["alpha"].code, "Logistics", "", "", "", *[5] * len(codes), ""],  # 7: twice
        [setup["beta"].code, "engineering", "", "", "", "4.5", *[""] * len(codes)],  # 8
        [setup["beta"].code, "purchasing", "Mr Wu", "", "", *[""] * len(codes), ""],  # 9
        [setup["alpha"].code, "quality", "", "", "", *[""] * len(codes), ""],  # blank: skipped
    ]
    job, page = upload(admin_client, run_tasks, campaign, xlsx(rows))
    assert job.status == ImportJob.Status.INVALID
    errors = {(line, column) for line, column, _message in Imported(job).errors}
    assert (3, "customer_code") in errors and (4, "department") in errors
    assert (5, "recommend") in errors and (5, codes[0]) in errors
    assert (6, purchasing_only.code) in errors
    assert (7, "department") in errors
    assert (8, codes[0]) in errors
    assert any(line == 9 for line, _column in errors)  # a respondent but no answers
    assert not any(line in (2, 10) for line, _column in errors)
    messages = {(line, column): message for line, column, message in Imported(job).errors}
    assert messages[7, "department"] == (
        f"{setup['alpha'].code} Logistics appears twice in this upload (also line 2).")
    assert messages[8, codes[0]] == f"{codes[0]} must be a whole number, not “4.5”."
    assert "nothing has been written" in page and "<td>3</td>" in page
    assert "Commit import" not in page
    assert not Response.objects.exists() and not Answer.objects.exists()


@pytest.mark.parametrize("name,content,message", [
    ("agency.txt", b"\x00customer_code,department\n", "This is not a CSV text file."),
    ("agency.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
    ("agency.xlsx", b"not a workbook", "This is not an XLSX workbook."),
    ("agency.csv", "customer_code;department\n".encode("utf-16"), "This is not a CSV text"),
    ("agency.csv", "customer_code;department\nÄ".encode("latin-1"), "not UTF-8 text"),
])
def test_unreadable_files_are_refused_at_the_upload(survey_setup, admin_client, name,
                                                    content, message):
    response = admin_client.post(
        reverse("campaign_import", args=[survey_setup["campaign"].pk]),
        {"file": SimpleUploadedFile(name, content), "source": "agency"})
    assert response.status_code == 200 and message in response.content.decode()
    assert not ImportJob.objects.exists() and not Response.objects.exists()


@pytest.mark.parametrize("content,message", [
    (b"\n\n", "The file is empty: line 1 must hold the column names."),
    (b"customer,dept\nX,quality\n", "Missing required columns: customer_code, department."),
    (b"customer_code,department\n", "The file has no data rows below the column names."),
])
def test_files_the_check_cannot_use_are_one_error(survey_setup, admin_client, run_tasks,
                                                  content, message):
    job, page = upload(admin_client, run_tasks, survey_setup["campaign"],
                       SimpleUploadedFile("agency.csv", content))
    assert job.status == ImportJob.Status.INVALID
    assert message in Imported(job).errors[0][2] and message in page
    assert not Response.objects.exists()


def test_semicolon_files_and_codes_in_another_case_import(survey_setup):
    setup = survey_setup
    header, row = answer_row(setup, setup["alpha"], "quality", 4)
    row[0] = f" {setup['alpha'].code.lower()} "
    result = import_answers(setup["campaign"], csv_file([header, row], separator=";"))
    assert result.saved == 1 and not result.errors
    assert Response.objects.get().survey.customer == setup["alpha"]


def test_an_error_while_saving_rolls_back_the_rows_before_it(survey_setup, monkeypatch):
    setup = survey_setup
    header, alpha = answer_row(setup, setup["alpha"], "purchasing", 4)
    _header, beta = answer_row(setup, setup["beta"], "purchasing", 4)
    monkeypatch.setattr(kinds, "CHUNK_ROWS", 1)  # alpha is written before beta fails
    real = importing._write_chunk

    def fail_on_beta(chunk, plan, context, now):
        if chunk[0].survey.customer_id == setup["beta"].pk:
            raise IntegrityError("a response of beta was saved meanwhile")
        return real(chunk, plan, context, now)

    monkeypatch.setattr(importing, "_write_chunk", fail_on_beta)
    result = import_answers(setup["campaign"], csv_file([header, alpha, beta]))
    assert result.job.status == ImportJob.Status.FAILED and result.saved == 0
    assert [(line, column) for line, column, _message in result.errors] == [(None, "")]
    assert "nothing was written" in result.errors[0][2]
    assert not Response.objects.exists() and not Answer.objects.exists()
    assert not Invitation.objects.exclude(responded_at=None).exists()


def test_staff_source_replacing_an_online_answer_is_flagged_in_the_dry_run(
        survey_setup, client, run_tasks):
    setup = survey_setup
    survey = Survey.objects.get(customer=setup["alpha"])
    questions = services.questions_for(survey, "quality")
    invitation = Invitation.objects.get(survey=survey, department="quality")
    services.respond_by_link(invitation, scores={q.pk: 5 for q in questions})
    TeamMemberFactory(tenant=setup["tenant"], team__customer=setup["alpha"],
                      user=setup["kam"], role="AR")
    client.force_login(setup["kam"])
    rows = [["customer_code", "department", *[q.code for q in questions]],
            [setup["alpha"].code, "quality", 3, *[5] * (len(questions) - 1)]]

    job, page = upload(client, run_tasks, setup["campaign"], csv_file(rows), source="staff")
    assert "1 row ready: 0 new, 1 changed, 0 unchanged." in page
    flagged = page.split('id="import-flagged"', 1)[1].split("</section>", 1)[0]
    assert "Replaces an answer given online" in flagged
    assert "Online (invitation link)" in flagged and "Entered by staff" in flagged
    changes = page.split('id="import-changes"', 1)[1].split("</table>", 1)[0]
    assert f"{questions[0].code}</code>" in changes and "5</del> → <ins>3" in changes
    assert f"{questions[1].code}</code>" not in changes  # the same score: no change
    assert Response.objects.get().source == "online"  # a dry run

    job, _page = commit(client, run_tasks, job)
    assert (job.status, job.created_count, job.updated_count) == ("done", 0, 1)
    response = Response.objects.get()
    assert response.source == "staff" and response.entered_by == setup["kam"]
    assert response.invitation == invitation
    assert sorted(response.answers.values_list("score", flat=True)) == sorted(
        [3, *[5] * (len(questions) - 1)])
    # The answer that is low now proposes an item; the others do not.
    assert list(OplProposal.objects.values_list("answer__question_id", flat=True)) == [
        questions[0].pk]


def test_answers_no_longer_low_lose_their_pending_proposals(survey_setup):
    setup = survey_setup
    header, low = answer_row(setup, setup["alpha"], "logistics", 2)
    assert import_answers(setup["campaign"], csv_file([header, low])).saved == 1
    proposals = OplProposal.objects.count()
    assert proposals == len(low) - 2

    _header, better = answer_row(setup, setup["alpha"], "logistics", 5)
    result = import_answers(setup["campaign"], csv_file([header, better]))
    assert (result.saved, result.job.updated_count) == (1, 1)
    assert not OplProposal.objects.exists()
    assert Answer.objects.count() == proposals  # updated in place, one per question


def test_a_draft_campaign_imports_nothing(in_tenant, admin_client):
    template = services.ensure_default_template(in_tenant)
    draft = services.create_campaign(in_tenant, year=2031, quarter=1, template=template,
                                     closes_on=in_tenant.today(), customers=[])
    page = admin_client.get(reverse("campaign_import", args=[draft.pk])).content.decode()
    assert "The campaign is not open yet." in page and 'name="file"' not in page
    result = import_answers(draft, csv_file([["customer_code", "department"], ["X", "quality"]]))
    assert result.errors and "not open" in str(result.errors[0][2])


def test_the_shared_import_pages_offer_the_campaigns(survey_setup, admin_client):
    campaign = survey_setup["campaign"]
    home = admin_client.get(reverse("import_home")).content.decode()
    assert "Import survey answers" in home and reverse("import_answers") in home
    chooser = admin_client.get(reverse("import_answers")).content.decode()
    assert f'<option value="{campaign.pk}">' in chooser and 'name="file"' not in chooser
    page = admin_client.get(reverse("import_answers") + f"?campaign={campaign.pk}")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="file"' in html and 'name="source"' in html
    assert f"{reverse('import_answers_template_xlsx')}?campaign={campaign.pk}" in html
    questions = services.questions_for(Survey.objects.get(customer=survey_setup["alpha"]),
                                       "quality")
    assert f"<code>{questions[0].code}</code>" in html  # every question is a column
    template = admin_client.get(reverse("import_answers_template_csv")
                                + f"?campaign={campaign.pk}")
    assert template.status_code == 200 and template.content.decode("utf-8-sig").startswith(
        "customer_code,department,respondent,recommend,comment,")
    assert admin_client.get(reverse("import_answers_template_csv")).status_code == 404


# --- set-based: the cost does not grow with the rows -------------------------------------


@pytest.fixture
def big_campaign(in_tenant):
    """An open campaign of 12 customers (48 departments to answer)."""
    template = services.ensure_default_template(in_tenant)
    customers = [CustomerFactory(tenant=in_tenant, tier="A", code=f"BIG-{n:02d}")
                 for n in range(12)]
    today = in_tenant.today()
    campaign = services.create_campaign(in_tenant, year=today.year, quarter=2,
                                        template=template, closes_on=today, customers=customers)
    return services.open_campaign(campaign, email_links=True).campaign


def _answers_file(campaign, customers, score):
    survey = Survey.objects.filter(campaign=campaign).first()
    questions = {d: services.questions_for(survey, d) for d in ("quality", "logistics")}
    codes = sorted({q.code for qs in questions.values() for q in qs})
    rows = [["customer_code", "department", "respondent", "recommend", *codes]]
    for customer in customers:
        for department, asked in questions.items():
            asked_codes = {q.code for q in asked}
            rows.append([customer.code, department, "Agency", 7,
                         *[score if code in asked_codes else "-" for code in codes]])
    return csv_file(rows)


def test_the_check_and_the_commit_cost_the_same_queries_for_four_times_the_rows(
        big_campaign):
    customers = [s.customer for s in Survey.objects.filter(campaign=big_campaign)
                 .select_related("customer").order_by("customer__code")]
    admin = MembershipFactory(tenant=big_campaign.tenant, role="admin").user

    def run(some, score):
        job = import_jobs.create_job(
            big_campaign.tenant, kind="answers", name="a.csv", user=admin,
            content=_answers_file(big_campaign, some, score).read(),
            options={"campaign": big_campaign.pk, "period": big_campaign.period,
                     "source": "agency"})
        with CaptureQueriesContext(connection) as check:
            job = import_jobs.validate_job(job)
        assert job.status == ImportJob.Status.VALIDATED, job.errors
        import_jobs.start_commit(job)
        with CaptureQueriesContext(connection) as write:
            job = import_jobs.commit_job(job)
        assert job.status == ImportJob.Status.DONE, job.errors
        return len(check), len(write)

    # New responses (low scores: a proposal each), then the same rows again (updates).
    # (Four customers' 56 answers stay within one batch of the database's bulk writes.)
    assert run(customers[:1], 2) == run(customers[1:5], 2)
    assert run(customers[:1], 3) == run(customers[1:5], 3)
    assert Response.objects.count() == 10
    assert not Invitation.objects.filter(survey__campaign=big_campaign,
                                         survey__customer__in=customers[:5],
                                         department__in=["quality", "logistics"],
                                         responded_at=None).exists()
