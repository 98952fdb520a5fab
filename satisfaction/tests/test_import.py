"""Staff import of agency results (CSV/XLSX): the downloaded template round-trips, every
bad row is reported by line and column, and a file with any error saves nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from satisfaction import services
from satisfaction.models import Answer, Invitation, OplProposal, Response, Survey


def xlsx(rows, name="agency.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_file(rows, name="agency.csv"):
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    return SimpleUploadedFile(name, ("\ufeff" + text + "\n").encode())


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


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_downloaded_template_imports_as_filled_in(survey_setup, admin_client, fmt):
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
    upload = (xlsx if fmt == "xlsx" else csv_file)(rows)
    response = admin_client.post(reverse("campaign_import", args=[campaign.pk]),
                                 {"file": upload, "source": "agency"})
    assert response.status_code == 302, response.context and response.context["errors"]
    # The rows nobody answered were skipped; the two filled ones saved, marked as agency.
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
    detail = admin_client.get(reverse("survey_detail", args=[logistics.survey_id]))
    assert "Outside agency" in detail.content.decode()


def test_every_bad_row_is_reported_and_nothing_is_saved(survey_setup, admin_client):
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
    response = admin_client.post(reverse("campaign_import", args=[campaign.pk]),
                                 {"file": xlsx(rows), "source": "agency"})
    assert response.status_code == 400
    errors = {(line, column) for line, column, _message in response.context["errors"]}
    assert (3, "customer_code") in errors and (4, "department") in errors
    assert (5, "recommend") in errors and (5, codes[0]) in errors
    assert (6, purchasing_only.code) in errors
    assert (7, "department") in errors
    assert (8, codes[0]) in errors
    assert any(line == 9 for line, _column in errors)  # a respondent but no answers
    assert not any(line in (2, 10) for line, _column in errors)
    text = response.content.decode()
    assert "nothing was imported" in text and "Line 3" in text
    assert not Response.objects.exists() and not Answer.objects.exists()


@pytest.mark.parametrize("name,content,message", [
    ("agency.txt", b"customer_code,department\n", "Upload a .csv or .xlsx file."),
    ("agency.xlsx", b"not a workbook", "This is not a readable XLSX file."),
    ("agency.csv", "customer_code;department\n".encode("utf-16"), "Save the CSV file as UTF-8."),
    ("agency.csv", b"\n\n", "The file is empty."),
    ("agency.csv", b"customer,dept\nX,quality\n", "Required column missing."),
])
def test_unreadable_files_are_refused(survey_setup, admin_client, name, content, message):
    response = admin_client.post(
        reverse("campaign_import", args=[survey_setup["campaign"].pk]),
        {"file": SimpleUploadedFile(name, content), "source": "agency"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Response.objects.exists()


def test_an_error_while_saving_rolls_back_the_rows_before_it(survey_setup, monkeypatch):
    setup = survey_setup
    survey = Survey.objects.get(customer=setup["alpha"])
    rows = [["customer_code", "department", *[q.code for q in services.questions_for(
        survey, "purchasing")]]]
    rows.append([setup["alpha"].code, "purchasing", *[4] * (len(rows[0]) - 2)])
    rows.append([setup["beta"].code, "purchasing", *[4] * (len(rows[0]) - 2)])
    real = services.save_response

    def fail_on_beta(survey, department, **kwargs):
        if survey.customer_id == setup["beta"].pk:
            raise services.ValidationError({"department": "Changed meanwhile."})
        return real(survey, department, **kwargs)

    monkeypatch.setattr(services, "save_response", fail_on_beta)
    result = services.import_responses(setup["campaign"], csv_file(rows), user=setup["kam"])
    assert result.saved == 0 and result.errors == [(3, "department", "Changed meanwhile.")]
    assert not Response.objects.exists()


def test_staff_source_and_replacing_an_online_answer(survey_setup, client):
    setup = survey_setup
    survey = Survey.objects.get(customer=setup["alpha"])
    questions = services.questions_for(survey, "quality")
    invitation = Invitation.objects.get(survey=survey, department="quality")
    services.respond_by_link(invitation, scores={q.pk: 5 for q in questions})
    rows = [["customer_code", "department", *[q.code for q in questions]],
            [setup["alpha"].code, "quality", *[3] * len(questions)]]
    result = services.import_responses(setup["campaign"], csv_file(rows), user=setup["kam"],
                                       source="staff")
    assert result.saved == 1 and not result.errors
    response = Response.objects.get()
    assert response.source == "staff" and response.entered_by == setup["kam"]
    assert set(response.answers.values_list("score", flat=True)) == {3}


def test_a_draft_campaign_imports_nothing(in_tenant):
    template = services.ensure_default_template(in_tenant)
    draft = services.create_campaign(in_tenant, year=2031, quarter=1, template=template,
                                     closes_on=in_tenant.today(), customers=[])
    result = services.import_responses(draft, csv_file([["customer_code", "department"]]),
                                       user=None)
    assert result.errors and "not open" in str(result.errors[0][2])
