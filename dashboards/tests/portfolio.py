"""A small, complete portfolio built with the factories: what the dashboard tests (and the
browser tests) look at. Every customer gets figures, a contact, a visit, an account team,
a programme with milestones, OPL items and answered surveys in two quarters."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from kam.periods import Quarter
from kam.tenancy import tenant_context
from satisfaction.models import Campaign, Question
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    MembershipFactory,
    MilestoneFactory,
    OplItemFactory,
    PeriodFigureFactory,
    ProgrammeFactory,
    QuestionFactory,
    RegionFactory,
    ResponseFactory,
    ServiceStandardFactory,
    SurveyFactory,
    SurveyTemplateFactory,
    TeamMemberFactory,
)

TIERS = "ABCCC"


def quarter_of(day, back=0):
    """(year, quarter) `back` quarters before the one `day` is in."""
    quarter = Quarter.of(day) - back
    return quarter.year, quarter.number


@dataclass
class Portfolio:
    tenant: object
    owner: object
    region: object
    customers: list = field(default_factory=list)
    programmes: list = field(default_factory=list)
    opl_items: list = field(default_factory=list)


def build_portfolio(tenant, size=5, owner=None, prefix="P"):
    """`size` customers of `tenant`, tiers A, B, C, C, C, … (all owned by `owner`, a manager
    by default, who is also their AR), with a figure of each of the last two quarters."""
    today = tenant.today()
    if owner is None:
        owner = MembershipFactory(tenant=tenant, role="manager").user
    region = RegionFactory(tenant=tenant, name=f"{prefix} region")
    portfolio = Portfolio(tenant=tenant, owner=owner, region=region)
    for tier, kind, days in (("A", "executive_visit", 90), ("A", "business_review", 90),
                             ("B", "business_review", 180)):
        ServiceStandardFactory(tenant=tenant, tier=tier, kind=kind, max_days=days)
    with tenant_context(tenant):  # a second portfolio in the tenant joins its campaigns
        question = Question.objects.first()
    if question is None:
        question = QuestionFactory(tenant=tenant, template=SurveyTemplateFactory(tenant=tenant))
    campaigns = []
    for back in (2, 1):
        year, quarter = quarter_of(today, back)
        with tenant_context(tenant):
            campaign = Campaign.objects.filter(year=year, quarter=quarter).first()
        campaigns.append(campaign or CampaignFactory(
            tenant=tenant, template=question.template, year=year, quarter=quarter,
            status="closed"))
    periods = ["{}Q{}".format(*quarter_of(today, back)) for back in (2, 1)]
    with tenant_context(tenant):
        for number in range(size):
            tier = TIERS[number % len(TIERS)]
            customer = CustomerFactory(
                tenant=tenant, region=region, owner=owner, tier=tier, tier_source="computed",
                code=f"{prefix}{number:04d}", name=f"{prefix} Carmaker {number:04d}")
            portfolio.customers.append(customer)
            for position, period in enumerate(periods):
                PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                                    revenue=1_000_000 * (size - number) + 1000 * position,
                                    on_time_delivery=95, quality_ppm=200)
            ContactFactory(tenant=tenant, customer=customer, department="purchasing",
                           decision_role="decision_maker", attitude=2)
            InteractionFactory(tenant=tenant, customer=customer, kind="business_review",
                               occurred_on=today - timedelta(days=20))
            TeamMemberFactory(tenant=tenant, team__customer=customer, user=owner, role="AR")
            programme = ProgrammeFactory(tenant=tenant, customer=customer,
                                         code=f"{prefix}-PRG-{number:04d}",
                                         sop_date=today + timedelta(days=60 + number))
            portfolio.programmes.append(programme)
            MilestoneFactory(tenant=tenant, programme=programme, kind="design_freeze",
                             planned_date=today - timedelta(days=5), owner=owner)
            MilestoneFactory(tenant=tenant, programme=programme, kind="ots",
                             planned_date=today + timedelta(days=40))
            portfolio.opl_items += [
                OplItemFactory(tenant=tenant, customer=customer, owner=owner, accountable=owner,
                               title=f"Overdue point of {customer.code}",
                               opened_on=today - timedelta(days=45),
                               due_date=today - timedelta(days=3)),
                OplItemFactory(tenant=tenant, customer=customer, owner=owner, accountable=owner,
                               title=f"Open point of {customer.code}",
                               due_date=today + timedelta(days=7),
                               last_update_at=timezone.now() - timedelta(days=20)),
            ]
            for position, campaign in enumerate(campaigns):
                survey = SurveyFactory(tenant=tenant, campaign=campaign, customer=customer)
                response = ResponseFactory(tenant=tenant, survey=survey)
                AnswerFactory(tenant=tenant, response=response, question=question,
                              score=2 + (number + position) % 4)
    return portfolio
