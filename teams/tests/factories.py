"""factory-boy factories for teams models; re-exported by tests/factories.py."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories import (  # noqa: F401
    CustomerFactory,
    SameTenantSubFactory,
    TenantOwnedFactory,
    UserFactory,
)


def _last_quarter():
    today = timezone.now().date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return f"{year}Q{quarter}"


class TeamFactory(TenantOwnedFactory):
    class Meta:
        model = "teams.Team"

    customer = SameTenantSubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Account team {n}")
    notes = "Weekly stand-up on Mondays."


class TeamMemberFactory(TenantOwnedFactory):
    class Meta:
        model = "teams.TeamMember"

    team = SameTenantSubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = "AR"
    allocation = 30
    start_on = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=400))
    end_on = None
    notes = "Commercial lead and escalation point."


class ReviewFactory(TenantOwnedFactory):
    class Meta:
        model = "teams.Review"

    member = SameTenantSubFactory(TeamMemberFactory)
    period = factory.LazyFunction(_last_quarter)
    reviewer = factory.SubFactory(UserFactory)
    objectives = "Close the 2027 price agreement."
    attainment = 80
    business_results = 4
    customer_satisfaction = 4
    project_delivery = 3
    collaboration = 5
    capability_growth = 4
    coefficient = Decimal("0.85")
    next_objectives = "Win the cockpit module RFQ."
    comments = "Solid quarter."


class RecognitionFactory(TenantOwnedFactory):
    class Meta:
        model = "teams.Recognition"

    kind = "quarterly_award"
    year = factory.LazyFunction(lambda: date.today().year)
    quarter = 1
    team = SameTenantSubFactory(TeamFactory)
    user = None
    citation = "Saved the launch with a weekend recovery plan."
