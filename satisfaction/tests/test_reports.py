"""Reports over two quarters: index by department and dimension, trend, movers, NPS, the
CSV and XLSX exports and the print layout."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from satisfaction import index, selectors, services
from satisfaction.models import Survey, SurveyTemplate
from tests.factories import CustomerFactory, OplItemFactory, QuestionFactory


def answer_all(campaign, customer, department, score, **kwargs):
    survey = Survey.objects.get(campaign=campaign, customer=customer)
    questions = services.questions_for(survey, department)
    return services.save_response(survey, department=department, source="agency",
                                  scores={q.pk: score for q in questions}, **kwargs)


@pytest.fixture
def two_quarters(survey_setup):
    """Last quarter: Alpha purchasing 3/5 (50), Beta quality 5/5 (100). This quarter:
    Alpha purchasing 4/5 (75) and logistics 2/5 (25), Beta quality 2/5 (25)."""
    setup = survey_setup
    tenant, current = setup["tenant"], setup["campaign"]
    previous = services.create_campaign(
        tenant, year=current.year - 1, quarter=4, template=setup["template"],
        closes_on=tenant.today() + timedelta(days=1))
    services.open_campaign(previous)
    answer_all(previous, setup["alpha"], "purchasing", 3, recommend=6)
    answer_all(previous, setup["beta"], "quality", 5, recommend=10)
    services.close_campaign(previous)
    answer_all(current, setup["alpha"], "purchasing", 4, recommend=9,
               comment="Prices are fair now.")
    answer_all(current, setup["alpha"], "logistics", 2, recommend=5)
    answer_all(current, setup["beta"], "quality", 2, recommend=3,
               comment="=HYPERLINK(\"http://evil.example\")")
    return {**setup, "previous": previous, "current": current}


def test_portfolio_heatmap_trend_and_movers(two_quarters):
    setup = two_quarters
    report = selectors.portfolio_report(setup["current"])
    assert report["previous"] == setup["previous"]
    rows = {r["customer"].pk: r for r in report["rows"]}
    alpha, beta = rows[setup["alpha"].pk], rows[setup["beta"].pk]
    cells = {c["department"]: c["index"] for c in alpha["cells"]}
    assert cells["purchasing"] == Decimal("75.0") and cells["logistics"] == Decimal("25.0")
    assert cells["quality"] is None
    assert {c["department"]: c["colour"] for c in alpha["cells"]}["logistics"] == "sat-low"
    # Alpha: all its answers weighted together, against its 50 of last quarter.
    alpha_index = index.total(selectors.Answer.objects.filter(
        response__survey__customer=setup["alpha"], response__survey__campaign=setup["current"]))
    assert alpha["index"] == alpha_index and alpha["previous"] == Decimal("50.0")
    assert alpha["trend"] == alpha_index - 50
    assert (beta["index"], beta["previous"], beta["trend"]) == (
        Decimal("25.0"), Decimal("100.0"), Decimal("-75.0"))
    assert [r["customer"] for r in report["movers_down"]] == [setup["beta"]]
    assert report["movers_up"] == ([] if alpha["trend"] <= 0 else [alpha])
    # NPS over this quarter's answers: one promoter (9), two detractors (5, 3) of three.
    assert report["nps"] == Decimal("-33.3")


def test_customer_report_by_quarter_department_dimension_and_comments(two_quarters):
    setup = two_quarters
    report = selectors.customer_report(setup["beta"])
    assert [h["campaign"] for h in report["history"]] == [setup["current"], setup["previous"]]
    latest, before = report["history"]
    assert (latest["index"], latest["trend"], latest["nps"]) == (
        Decimal("25.0"), Decimal("-75.0"), Decimal("-100.0"))
    assert before["trend"] is None and before["nps"] == Decimal("100.0")
    assert report["departments"] == ["quality"]
    assert latest["departments"] == [{"department": "quality", "index": Decimal("25.0"),
                                      "colour": "sat-low"}]
    dimensions = {d["dimension"]: d["index"] for d in latest["dimensions"]}
    assert dimensions["quality"] == Decimal("25.0") and dimensions["cost"] is None
    assert [r.comment for r in report["comments"]] == ["=HYPERLINK(\"http://evil.example\")"]


def test_trend_needs_the_quarter_right_before(two_quarters, in_tenant):
    setup = two_quarters
    gap = services.create_campaign(in_tenant, year=setup["current"].year + 1, quarter=1,
                                   template=setup["template"],
                                   closes_on=in_tenant.today() + timedelta(days=3))
    services.open_campaign(gap)
    answer_all(gap, setup["beta"], "quality", 4)
    report = selectors.customer_report(setup["beta"])
    assert report["latest"]["campaign"] == gap and report["latest"]["trend"] is None
    assert selectors.portfolio_report(gap)["trend"] is None


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response.content[:2] == b"PK" and ".xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_portfolio_exports(two_quarters, admin_client):
    setup = two_quarters
    url = reverse("satisfaction_portfolio") + f"?campaign={setup['current'].pk}&export="
    rows = read_csv(admin_client.get(url + "csv"))
    header = rows[rows.index(["# Heatmap"]) + 1]
    assert header[:2] == ["Customer", "Code"] and header[-3:] == [
        "Index", "Previous quarter", "Trend"]
    beta = next(r for r in rows if r[:1] == [setup["beta"].name])
    assert beta[header.index("Quality")] == "25.0" and beta[-3:] == ["25.0", "100.0", "-75.0"]
    assert ["NPS", "-33.3"] in rows

    workbook = read_xlsx(admin_client.get(url + "xlsx"))
    assert workbook.sheetnames == ["Heatmap", "Dimensions", "Summary"]
    sheet = workbook["Heatmap"]
    head = [c.value for c in sheet[1]]
    beta_row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == setup["beta"].name)
    quality = beta_row[head.index("Quality")]
    assert quality.value == 25 and quality.fill.fgColor.rgb.endswith("FFC7CE")
    assert beta_row[head.index("Trend")].value == -75


def test_customer_exports_keep_comments_as_text(two_quarters, admin_client):
    url = reverse("satisfaction_customer_report", args=[two_quarters["beta"].pk]) + "?export="
    rows = read_csv(admin_client.get(url + "csv"))
    assert rows[1][0] == "Quarter" and rows[2][:3] == [two_quarters["current"].period,
                                                       "25.0", "-75.0"]
    # A comment that looks like a formula is quoted in CSV and stored as text in XLSX.
    assert any(r and r[-1] == "'=HYPERLINK(\"http://evil.example\")" for r in rows)
    sheet = read_xlsx(admin_client.get(url + "xlsx"))["Comments"]
    cell = next(r[2] for r in sheet.iter_rows(min_row=2))
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_opl_export_follows_the_filters(survey_setup, admin_client):
    tenant = survey_setup["tenant"]
    OplItemFactory(tenant=tenant, title="Late door panels",
                   due_date=tenant.today() - timedelta(days=3))
    OplItemFactory(tenant=tenant, title="Price gap")
    rows = read_csv(admin_client.get(reverse("opl_list") + "?overdue=1&export=csv"))
    assert len(rows) == 2 and rows[1][1] == "Late door panels"
    assert rows[1][rows[0].index("Overdue")] == "yes"
    sheet = read_xlsx(admin_client.get(reverse("opl_list") + "?export=xlsx"))["OPL"]
    assert sorted(r[1].value for r in sheet.iter_rows(min_row=2)) == [
        "Late door panels", "Price gap"]


@pytest.mark.parametrize("name", ["portfolio", "customer"])
def test_reports_are_printable(two_quarters, admin_client, name):
    url = (reverse("satisfaction_portfolio") if name == "portfolio"
           else reverse("satisfaction_customer_report", args=[two_quarters["beta"].pk]))
    text = admin_client.get(url).content.decode()
    # The print button is kam.js's (data-print): the Content-Security-Policy runs no
    # inline handler.
    assert "data-print" in text and "@media print" in text
    assert "print-color-adjust: exact" in text  # the heatmap keeps its colours on paper
    # The export and print buttons sit in a `.no-print` block, which kam.css's print
    # rules hide with the navigation.
    title = text.index("<h1")
    assert "no-print" in text[title:text.index("data-print")]
    assert "kam.css" in text


def test_nps_only_where_asked_and_the_index_on_a_ten_point_scale(in_tenant):
    template = SurveyTemplate.objects.create(name="Ten-point, no NPS", scale_max=10,
                                             ask_recommend=False)
    heavy = QuestionFactory(tenant=in_tenant, template=template, weight=3,
                            departments=["quality"], dimension="quality")
    light = QuestionFactory(tenant=in_tenant, template=template, weight=1,
                            departments=["quality"], dimension="delivery")
    customer = CustomerFactory(tenant=in_tenant, tier="A")
    campaign = services.create_campaign(in_tenant, year=2032, quarter=2, template=template,
                                        closes_on=in_tenant.today(), customers=[customer])
    services.open_campaign(campaign)
    survey = Survey.objects.get()
    assert survey.scale_max == 10
    with pytest.raises(services.ValidationError) as exc:
        services.save_response(survey, department="quality",
                               scores={heavy.pk: 10, light.pk: 4},
                               recommend=9)
    assert "recommend" in exc.value.message_dict
    with pytest.raises(services.ValidationError):
        services.save_response(survey, department="quality", scores={heavy.pk: 11, light.pk: 4})
    services.save_response(survey, department="quality", scores={heavy.pk: 10, light.pk: 4})
    # (3·10 + 1·4)/4 = 8.5 on 1–10 → 100 × (8.5 − 1)/9 = 83.3
    figures = selectors.survey_figures([survey.pk])[survey.pk]
    assert figures["index"] == Decimal("83.3") and figures["nps"] is None
    assert selectors.portfolio_report(campaign)["nps"] is None
