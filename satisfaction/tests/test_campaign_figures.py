"""A campaign's figures worked by hand, as the report pages, the monthly report and the
dashboard read them (satisfaction.selectors): each customer's index, the quarter before's
and the trend, the portfolio's index, the heatmap's cells and the movers. Scale 1–5, one
question of weight 1, so an answer s scores 25 × (s − 1)."""

from decimal import Decimal

import pytest

from customers.models import Customer
from satisfaction import selectors
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
    SurveyTemplateFactory,
)


@pytest.fixture
def quarters(in_tenant):
    tenant = in_tenant
    template = SurveyTemplateFactory(tenant=tenant, scale_max=5)
    question = QuestionFactory(tenant=tenant, template=template, weight=1)
    before, now = (CampaignFactory(tenant=tenant, template=template, year=2026, quarter=q,
                                   status="closed") for q in (2, 3))
    customers = {code: CustomerFactory(tenant=tenant, code=code, name=f"Carmaker {code}")
                 for code in "UVWXYZ"}
    surveys = {}

    def answer(campaign, code, department, score):
        key = (campaign.pk, code)
        if key not in surveys:
            surveys[key] = SurveyFactory(tenant=tenant, campaign=campaign,
                                         customer=customers[code])
        response = ResponseFactory(tenant=tenant, survey=surveys[key], department=department)
        AnswerFactory(tenant=tenant, response=response, question=question, score=score)

    answer(now, "U", "purchasing", 4)  # 75, was 50: +25
    answer(before, "U", "purchasing", 3)
    answer(now, "V", "purchasing", 5)  # 100, new: no trend
    answer(before, "W", "purchasing", 5)  # 100 the quarter before only
    answer(now, "X", "purchasing", 5)  # 100
    answer(now, "X", "quality", 1)  # 0 → X 50, was 50: no change
    answer(before, "X", "purchasing", 3)
    answer(now, "Y", "purchasing", 2)  # 25, was 75: −50
    answer(before, "Y", "purchasing", 4)
    answer(now, "Z", "logistics", 4)  # 75, was 50: +25
    answer(before, "Z", "logistics", 3)
    return {"before": before, "now": now, "customers": customers}


def by_code(figures):
    return {c.code: (c.answered, c.index, c.previous, c.trend) for c in figures.customers}


def test_campaign_indices_by_hand(quarters, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        figures = selectors.campaign_indices(campaign=quarters["now"],
                                             previous=quarters["before"])

    d = Decimal
    assert by_code(figures) == {
        "U": (True, d("75.0"), d("50.0"), d("25.0")),
        "V": (True, d("100.0"), None, None),
        "W": (False, None, d("100.0"), None),
        "X": (True, d("50.0"), d("50.0"), d("0.0")),
        "Y": (True, d("25.0"), d("75.0"), d("-50.0")),
        "Z": (True, d("75.0"), d("50.0"), d("25.0")),
    }
    assert [c.code for c in figures.customers] == list("UVWXYZ")  # by name
    # Now (0.75 + 1 + 1 + 0 + 0.25 + 0.75) / 6 = 62.5; before (0.5 + 1 + 0.5 + 0.75 +
    # 0.5) / 5 = 65, W included: every answer weighted together, not a mean of means.
    assert (figures.index, figures.previous_index, figures.trend) == (
        d("62.5"), d("65.0"), d("-2.5"))


def test_campaign_indices_of_some_customers(quarters):
    figures = selectors.campaign_indices(
        campaign=quarters["now"], previous=quarters["before"],
        customers=Customer.objects.filter(code__in=["W", "X", "Y"]))

    assert set(by_code(figures)) == {"W", "X", "Y"}
    # Now (1 + 0 + 0.25) / 3 = 41.67; before (1 + 0.5 + 0.75) / 3 = 75.
    assert (figures.index, figures.previous_index, figures.trend) == (
        Decimal("41.7"), Decimal("75.0"), Decimal("-33.3"))


def test_without_a_quarter_before_there_is_no_trend(quarters):
    figures = selectors.campaign_indices(campaign=quarters["now"])

    assert "W" not in by_code(figures)
    assert all(c.previous is None and c.trend is None for c in figures.customers)
    assert (figures.index, figures.previous_index, figures.trend) == (Decimal("62.5"), None,
                                                                     None)


def test_movers_largest_change_first_ties_by_name(quarters):
    figures = selectors.campaign_indices(campaign=quarters["now"],
                                         previous=quarters["before"])

    up, down = selectors.movers(reversed(figures.customers))

    assert [c.code for c in up] == ["U", "Z"]  # both +25: by name, whatever the order
    assert [c.code for c in down] == ["Y"]
    assert [c.code for c in selectors.movers(figures.customers, limit=1)[0]] == ["U"]


def test_department_cells_by_hand(quarters, django_assert_max_num_queries):
    customers = quarters["customers"]
    with django_assert_max_num_queries(1):
        cells = selectors.department_indices(campaign=quarters["now"])

    assert {(code, department): cells[(c.pk, department)]
            for code, c in customers.items() for department in ("purchasing", "quality",
                                                                 "logistics")
            if (c.pk, department) in cells} == {
        ("U", "purchasing"): Decimal("75.0"), ("V", "purchasing"): Decimal("100.0"),
        ("X", "purchasing"): Decimal("100.0"), ("X", "quality"): Decimal("0.0"),
        ("Y", "purchasing"): Decimal("25.0"), ("Z", "logistics"): Decimal("75.0")}
    only_x = selectors.department_indices(campaign=quarters["now"],
                                          customer_ids=[customers["X"].pk])
    assert set(only_x) == {(customers["X"].pk, "purchasing"), (customers["X"].pk, "quality")}


def test_the_report_page_shows_the_same_figures(quarters):
    report = selectors.portfolio_report(quarters["now"])
    figures = selectors.campaign_indices(campaign=quarters["now"],
                                         previous=quarters["before"])

    assert (report["index"], report["previous_index"], report["trend"]) == (
        figures.index, figures.previous_index, figures.trend)
    rows = {row["customer"].code: row for row in report["rows"]}
    assert set(rows) == {"U", "V", "X", "Y", "Z"}  # surveyed this quarter
    for found in figures.customers:
        if found.code in rows:
            row = rows[found.code]
            assert (row["index"], row["previous"], row["trend"]) == (
                found.index, found.previous, found.trend)
    assert [r["customer"].code for r in report["movers_up"]] == ["U", "Z"]
    assert [r["customer"].code for r in report["movers_down"]] == ["Y"]
    assert rows["X"]["colour"] == "sat-mid" and rows["V"]["colour"] == "sat-high"
