"""The worst RAG per programme and per customer, and the counts by colour, worked by hand:
what health, the dashboard and the monthly report read (projects.selectors)."""

from datetime import date, timedelta

import pytest

from customers.models import Customer
from projects import rag, selectors
from projects.models import Programme
from projects.rag import Rag, RagPolicy
from tests.factories import CustomerFactory, MilestoneFactory, ProgrammeFactory

ON = date(2026, 5, 1)
D = timedelta
POLICY = RagPolicy()  # tolerance 7 days, due soon within 14


@pytest.fixture
def portfolio(in_tenant):
    """Carmaker A: programme A-1 with a green and an amber milestone (amber), A-2 with a
    green and a red one (red). Carmaker B: B-1 green; B-2 closed with a red milestone
    (no colour); B-3 with its only milestone done late (no open milestone: no colour)."""
    a = CustomerFactory(tenant=in_tenant, code="A", name="Carmaker A")
    b = CustomerFactory(tenant=in_tenant, code="B", name="Carmaker B")
    programmes = {code: ProgrammeFactory(tenant=in_tenant, customer=customer, code=code,
                                         stage=stage)
                  for code, customer, stage in (("A-1", a, "development"),
                                                ("A-2", a, "launch"),
                                                ("B-1", b, "validation"),
                                                ("B-2", b, "closed"),
                                                ("B-3", b, "production"))}

    def milestone(code, planned, **fields):
        MilestoneFactory(tenant=in_tenant, programme=programmes[code], planned_date=planned,
                         **fields)

    milestone("A-1", ON + D(60))  # green: far off
    milestone("A-1", ON + D(60), forecast_date=ON + D(63), status="in_progress")  # amber
    milestone("A-2", ON + D(90))  # green
    milestone("A-2", ON - D(1), status="in_progress")  # red: past its date
    milestone("B-1", ON + D(30), forecast_date=ON + D(20), status="in_progress")  # green
    milestone("B-2", ON - D(10))  # red, but the programme is closed
    milestone("B-3", ON - D(20), status="done", actual_date=ON - D(2),
              progress=100)  # done late
    return {"a": a, "b": b, **{code: p.pk for code, p in programmes.items()}}


def test_worst_rag_per_programme_by_hand(portfolio, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        colours = selectors.worst_rag_by_programme(programmes=Programme.objects.all(), on=ON,
                                                   policy=POLICY)

    assert colours == {portfolio["A-1"]: Rag.AMBER, portfolio["A-2"]: Rag.RED,
                       portfolio["B-1"]: Rag.GREEN}


def test_worst_rag_per_customer_by_hand(portfolio, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        colours = selectors.worst_rag_by_customer(customers=Customer.objects.all(), on=ON,
                                                  policy=POLICY)

    # A: amber and red programmes → red; B: green (its closed red programme is left out).
    assert colours == {portfolio["a"].pk: Rag.RED, portfolio["b"].pk: Rag.GREEN}
    only_b = selectors.worst_rag_by_customer(customers=Customer.objects.filter(code="B"),
                                             on=ON, policy=POLICY)
    assert only_b == {portfolio["b"].pk: Rag.GREEN}


def test_rag_counts_by_hand(portfolio, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        counts = selectors.programme_rag_counts(programmes=Programme.objects.all(), on=ON,
                                                policy=POLICY)

    # Four open programmes: A-1 amber, A-2 red, B-1 green, B-3 no open milestone.
    assert counts == {"red": 1, "amber": 1, "green": 1, "none": 1}


def test_the_sets_agree_with_the_programme_pages(portfolio):
    """The programme list's colours (`attach_programme_rag`, with reasons) and the
    set-based colours are the same fold of the same rule."""
    rows = selectors.attach_programme_rag(selectors.programmes(), ON, POLICY)
    colours = selectors.worst_rag_by_programme(programmes=Programme.objects.all(), on=ON,
                                               policy=POLICY)

    assert {p.pk: p.rag for p in rows if p.rag} == colours
    assert selectors.rag_counts([p for p in rows if p.is_open]) == (
        selectors.programme_rag_counts(programmes=Programme.objects.all(), on=ON,
                                       policy=POLICY))
    a2 = next(p for p in rows if p.pk == portfolio["A-2"])
    assert a2.rag_milestone.planned_date == ON - D(1) and "past the customer date" in str(
        a2.rag_reason)
    assert list(selectors.filter_programmes_by_rag(Programme.objects.all(), "none", ON,
                                                   POLICY).order_by("code")
                .values_list("code", flat=True)) == ["B-2", "B-3"]


@pytest.mark.parametrize("planned", [ON - D(3), ON, ON + D(10), ON + D(14), ON + D(40)])
@pytest.mark.parametrize("forecast", [None, -2, 3, 7, 8])
@pytest.mark.parametrize(("status", "actual"), [
    ("not_started", None), ("in_progress", None), ("done", 0), ("done", 5), ("done", 9)])
def test_colour_is_judges_colour(planned, forecast, status, actual):
    """`colour` is `judge` without its sentence: one rule, never two that drift apart."""
    fields = {"planned": planned, "status": status, "on": ON,
              "forecast": None if forecast is None else planned + D(forecast),
              "actual": None if actual is None else planned + D(actual)}
    assert rag.colour(**fields) == rag.judge(**fields).rag


def test_worst_of_keeps_the_first_of_equals():
    first, second = {"rag": "red"}, {"rag": "red"}
    assert rag.worst_of([{"rag": "green"}, first, second, {"rag": None}],
                        lambda item: item["rag"]) is first
    assert rag.worst_of([None, None]) is None
