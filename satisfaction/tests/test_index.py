from decimal import Decimal

import pytest

from satisfaction import index
from satisfaction.models import Answer
from tests.factories import AnswerFactory, QuestionFactory, ResponseFactory


def test_index_is_the_weighted_mean_rescaled():
    # (2·5 + 1·2)/3 = 4 on 1–5 → (4 − 1)/(5 − 1) = 75
    assert index.satisfaction_index([(2, 5, 1, 5), (1, 2, 1, 5)]) == Decimal("75.0")


def test_index_ignores_unanswered_and_is_none_without_answers():
    assert index.satisfaction_index([(1, None, 1, 5)]) is None
    assert index.satisfaction_index([(1, None, 1, 5), (1, 1, 1, 5)]) == Decimal("0.0")
    assert index.satisfaction_index([(1, 10, 1, 10)]) == Decimal("100.0")


def test_nps_counts_promoters_minus_detractors():
    # promoters 9, 10; passives 7, 8; detractors 0, 6 → (2 − 2)/6
    assert index.nps([9, 10, 7, 8, 0, 6]) == Decimal("0.0")
    assert index.nps([10, 9, 6, None]) == Decimal("33.3")
    assert index.nps([]) is None


def test_trend():
    assert index.trend(Decimal("70"), Decimal("65.5")) == Decimal("4.5")
    assert index.trend(None, 3) is None


def test_set_based_index_matches_the_formula(in_tenant):
    response = ResponseFactory(tenant=in_tenant)
    template = response.survey.template
    q1 = QuestionFactory(tenant=in_tenant, template=template, weight=2, dimension="quality")
    q2 = QuestionFactory(tenant=in_tenant, template=template, weight=1, dimension="cost")
    AnswerFactory(tenant=in_tenant, response=response, question=q1, score=5)
    AnswerFactory(tenant=in_tenant, response=response, question=q2, score=2)

    answers = Answer.objects.all()
    assert index.total(answers) == Decimal("75.0")
    assert index.grouped(answers, "dimension") == {"quality": Decimal("100.0"),
                                                   "cost": Decimal("25.0")}


@pytest.mark.parametrize("value,band", [(None, "sat-none"), (85, "sat-high"), (70, "sat-good"),
                                        (55, "sat-mid"), (20, "sat-low")])
def test_colour(value, band):
    assert index.colour(value) == band
