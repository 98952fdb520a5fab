"""The demo teams: incomplete A-tier triangles on purpose, two years of reviews, a
talent-pool candidate, recognitions; running the seed again changes nothing."""

from accounts.seed import seed_tenants
from customers import seed as customer_seed
from customers.models import Customer
from kam.tenancy import tenant_context
from teams import coefficients, seed, triangle
from teams.models import Recognition, Review, Team, TeamMember


def test_demo_seed(db):
    tenants = seed_tenants()
    demo = tenants["demo"]
    with tenant_context(demo):
        customer_seed.seed(demo)
        seed.seed(demo)
        today = demo.today()
        counts = (Team.objects.count(), TeamMember.objects.count(), Review.objects.count())
        assert counts[0] >= 8
        gaps = list(triangle.incomplete_a_tier(today).filter(teams__isnull=False))
        assert len(gaps) >= 2
        years = {int(period[:4]) for period in Review.objects.values_list("period", flat=True)}
        assert len(years) >= 2
        assert coefficients.talent_pool()
        assert Recognition.objects.filter(kind="annual_best_team").exists()
        # The owner of a customer with an active AR is that AR.
        for team in Team.objects.select_related("customer"):
            ar = TeamMember.objects.filter(team=team, role="AR", end_on__isnull=True).first()
            if ar is not None:
                assert Customer.objects.get(pk=team.customer_id).owner_id == ar.user_id
        seed.seed(demo)
        assert (Team.objects.count(), TeamMember.objects.count(),
                Review.objects.count()) == counts
    second = tenants["second"]
    with tenant_context(second):
        customer_seed.seed(second)
        seed.seed(second)
        assert Team.objects.count() == 2
