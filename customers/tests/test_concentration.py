"""Revenue concentration worked by hand (customers/scoring.py): the HHI over the window
and per quarter, and the largest customer's share, one formula for both."""

from decimal import Decimal

from customers import scoring
from tests.factories import CustomerFactory, PeriodFigureFactory

# Revenue of three customers per quarter (2026Q4: no figures yet).
REVENUE = {
    "2026Q1": {"A": 600, "B": 300, "C": 100},
    "2026Q2": {"A": 500, "B": 250, "C": 250},
    "2026Q3": {"A": 100, "B": 100, "C": 100},
}
PERIODS = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def three_customers(tenant):
    customers = {code: CustomerFactory(tenant=tenant, code=code) for code in "ABC"}
    for period, revenues in REVENUE.items():
        for code, revenue in revenues.items():
            PeriodFigureFactory(tenant=tenant, customer=customers[code], period=period,
                                revenue=revenue)
    # An inactive customer is no part of the portfolio, however large.
    gone = CustomerFactory(tenant=tenant, code="GONE", is_active=False)
    PeriodFigureFactory(tenant=tenant, customer=gone, period="2026Q1", revenue=10_000)
    return customers


def test_hhi_per_quarter_by_hand(in_tenant, django_assert_max_num_queries):
    three_customers(in_tenant)

    with django_assert_max_num_queries(1):
        trend = scoring.concentration_trend(periods=PERIODS)

    assert trend == [
        # 60² + 30² + 10²
        {"period": "2026Q1", "hhi": Decimal("4600.0"), "top1_share": Decimal("0.6"),
         "customers": 3},
        # 50² + 25² + 25²
        {"period": "2026Q2", "hhi": Decimal("3750.0"), "top1_share": Decimal("0.5"),
         "customers": 3},
        # 3 × 33.33…² = 10,000 / 3
        {"period": "2026Q3", "hhi": Decimal("3333.3"),
         "top1_share": Decimal(1) / Decimal(3), "customers": 3},
        {"period": "2026Q4", "hhi": None, "top1_share": None, "customers": 0},
    ]


def test_the_window_and_the_quarters_share_the_formula(in_tenant):
    three_customers(in_tenant)
    window = [{"customer_id": code, "revenue": sum(REVENUE[p].get(code, 0) for p in REVENUE)}
              for code in "ABC"]  # 1,200, 650 and 450 of 2,300

    figures = scoring.concentration_of(window, Decimal("0.3"))

    # 10,000 × (1,200² + 650² + 450²) / 2,300² = 3,903.59…
    assert figures["hhi"] == Decimal("3903.6")
    assert figures["top1_share"] == Decimal(1200) / Decimal(2300)
    one_quarter = [{"customer_id": code, "revenue": revenue}
                   for code, revenue in REVENUE["2026Q1"].items()]
    assert (scoring.concentration_of(one_quarter, Decimal("0.3"))["hhi"]
            == scoring.concentration_trend(periods=["2026Q1"])[0]["hhi"])
    assert scoring.concentration_of([], Decimal("0.3"))["hhi"] == Decimal("0.0")
    assert scoring.hhi(total=Decimal(0), squares=Decimal(0)) is None
