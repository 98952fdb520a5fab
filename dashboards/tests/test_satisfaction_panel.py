"""The dashboard's satisfaction panel worked by hand: each customer's index and change,
the heatmap's rows and columns, the movers and the portfolio's index (scale 1–5, one
question of weight 1, so an answer s scores 25 × (s − 1))."""

import pytest

from dashboards import selectors
from kam.tenancy import tenant_context
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
def answered(tenant):
    template = SurveyTemplateFactory(tenant=tenant, scale_max=5)
    question = QuestionFactory(tenant=tenant, template=template, weight=1)
    before = CampaignFactory(tenant=tenant, template=template, year=2026, quarter=2,
                             status="closed")
    now = CampaignFactory(tenant=tenant, template=template, year=2026, quarter=3,
                          status="closed")
    customers = {code: CustomerFactory(tenant=tenant, code=code, name=f"Carmaker {code}")
                 for code in "WXYZ"}

    surveys = {}

    def answer(campaign, code, department, score):
        if (campaign, code) not in surveys:
            surveys[campaign, code] = SurveyFactory(tenant=tenant, campaign=campaign,
                                                    customer=customers[code])
        survey = surveys[campaign, code]
        response = ResponseFactory(tenant=tenant, survey=survey, department=department)
        AnswerFactory(tenant=tenant, response=response, question=question, score=score)

    answer(now, "X", "purchasing", 5)  # 100
    answer(now, "X", "quality", 1)  # 0     → X 50
    answer(now, "Y", "purchasing", 2)  # 25  → Y 25
    answer(now, "Z", "logistics", 4)  # 75   → Z 75
    answer(before, "X", "purchasing", 3)  # X was 50: no change
    answer(before, "Y", "purchasing", 4)  # Y was 75: −50
    answer(before, "W", "purchasing", 5)  # W answered only the quarter before
    return customers


def test_the_satisfaction_panel_by_hand(tenant, answered):
    with tenant_context(tenant):
        panel = selectors.satisfaction(selectors.scope_for(tenant), limit=2)

    assert (panel["campaign"], panel["previous"]) == ("2026Q3", "2026Q2")
    assert panel["customers"] == 3  # those who answered this quarter
    # Lowest first, two rows shown, in the departments those two answered.
    assert [d["key"] for d in panel["departments"]] == ["purchasing", "quality"]
    assert [(r["customer"]["code"], r["index"], r["cells"], r["trend"])
            for r in panel["rows"]] == [("Y", 25.0, [25.0, None], -50.0),
                                        ("X", 50.0, [100.0, 0.0], 0.0)]
    assert [(m["customer"]["code"], m["previous"], m["trend"])
            for m in panel["movers_down"]] == [("Y", 75.0, -50.0)]
    assert panel["movers_up"] == []
    # Portfolio: (1 + 0 + 0.25 + 0.75) / 4 now; (0.5 + 0.75 + 1) / 3 before, W included.
    assert (panel["index"], panel["trend"]) == (50.0, -25.0)


def test_a_filter_narrows_the_satisfaction_panel(tenant, answered):
    from customers.models import Customer

    with tenant_context(tenant):
        Customer.objects.filter(code__in=["X", "W"]).update(is_active=False)
        panel = selectors.satisfaction(selectors.scope_for(tenant))

    assert [r["customer"]["code"] for r in panel["rows"]] == ["Y", "Z"]
    assert [d["key"] for d in panel["departments"]] == ["purchasing", "logistics"]
    assert (panel["index"], panel["trend"]) == (50.0, -25.0)  # before: Y alone, 75
