"""factory-boy factories for the models of every app (cross-app tests use these)."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import ApiToken, Membership, Tenant, User, hash_token
from kam.tenancy import tenant_context
from notifications.models import Notification


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Supplier {n}")
    slug = factory.Sequence(lambda n: f"supplier-{n}")
    timezone = "Asia/Shanghai"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its tenant's context (tenant-owned managers require one)."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            # Users named on a tenant-owned row must be members of its tenant.
            if model_class is not Membership:
                for value in kwargs.values():
                    if isinstance(value, User):
                        Membership.objects.get_or_create(
                            user=value, defaults={"tenant": kwargs["tenant"], "role": "member"})
            return super()._create(model_class, *args, **kwargs)


class SameTenantSubFactory(factory.SubFactory):
    """A SubFactory for a tenant-owned related row, created in its parent's tenant.

    Use it for every foreign key between tenant-owned models, so that a factory never
    links rows of two tenants (saving such a link raises).
    """

    def __init__(self, factory_class, **kwargs):
        kwargs.setdefault("tenant", factory.SelfAttribute("..tenant"))
        super().__init__(factory_class, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = "manager"


class NotificationFactory(TenantOwnedFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "reminder"
    text = factory.Sequence(lambda n: f"Reminder {n}")
    dedup_key = factory.Sequence(lambda n: f"reminder-{n}")


class ApiTokenFactory(TenantOwnedFactory):
    """A token row with a known secret: the raw value is `kam_<prefix>_factory-secret`.

    Tests that call the API create tokens with `accounts.services.create_api_token`.
    """

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    # "t" is not a hex digit, so these never collide with real (hex) prefixes.
    prefix = factory.Sequence(lambda n: f"t{n:07d}")
    key_hash = factory.LazyAttribute(lambda o: hash_token(f"kam_{o.prefix}_factory-secret"))
    role = "viewer"


# --- customers ----------------------------------------------------------------------


class RegionFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.Region"

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"region-{n}")


class CustomerFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.Customer"

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Carmaker {n}")
    region = SameTenantSubFactory(RegionFactory)
    country = "China"
    city = "Shanghai"


class PeriodFigureFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.PeriodFigure"

    customer = SameTenantSubFactory(CustomerFactory)
    period = "2026Q3"
    revenue = 1_000_000
    supply_share = 30
    gross_margin = 18
    payment_days = 60
    cost_to_serve = 20_000


class ScoringPolicyFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.ScoringPolicy"
        django_get_or_create = ["tenant", "version"]

    version = 1


class ScoringRunFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.ScoringRun"

    policy = SameTenantSubFactory(ScoringPolicyFactory)
    started_at = factory.LazyFunction(timezone.now)
    window_start = "2025Q4"
    window_end = "2026Q3"


class TierAssessmentFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.TierAssessment"

    run = SameTenantSubFactory(ScoringRunFactory)
    customer = SameTenantSubFactory(CustomerFactory)
    score = 55
    rank = 1
    computed_tier = "A"
    tier = "A"
    tier_source = "computed"


class TierOverrideFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.TierOverride"

    customer = SameTenantSubFactory(CustomerFactory)
    tier = "A"
    reason = "Strategic platform award"
    expires_on = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=90))


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.Contact"

    customer = SameTenantSubFactory(CustomerFactory)
    name = factory.Faker("name")
    title = "Purchasing director"
    department = "purchasing"
    level = "executive"
    decision_role = "decision_maker"
    attitude = 2


class InteractionFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.Interaction"

    customer = SameTenantSubFactory(CustomerFactory)
    kind = "business_review"
    occurred_on = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=10))
    summary = "Quarterly business review: volumes and quality."


class InteractionParticipantFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.InteractionParticipant"

    interaction = SameTenantSubFactory(InteractionFactory)
    user = factory.SubFactory(UserFactory)


class InteractionContactFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.InteractionContact"

    interaction = SameTenantSubFactory(InteractionFactory)
    contact = factory.SubFactory(
        ContactFactory, tenant=factory.SelfAttribute("..tenant"),
        customer=factory.SelfAttribute("..interaction.customer"))


class ServiceStandardFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.ServiceStandard"
        django_get_or_create = ["tenant", "tier", "kind"]

    tier = "A"
    kind = "executive_visit"
    max_days = 90


class AccountPlanFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.AccountPlan"

    customer = SameTenantSubFactory(CustomerFactory)
    year = 2026
    revenue_target = 12_000_000
    share_target = 35
    strategy = "Win the next cockpit module platform."


class InitiativeFactory(TenantOwnedFactory):
    class Meta:
        model = "customers.Initiative"

    plan = SameTenantSubFactory(AccountPlanFactory)
    title = factory.Sequence(lambda n: f"Initiative {n}")


class ImportJobFactory(TenantOwnedFactory):
    """An uploaded customer file, checked and ready to import."""

    class Meta:
        model = "customers.ImportJob"

    kind = "customers"
    original_filename = factory.Sequence(lambda n: f"customers-{n}.csv")
    file_format = "csv"
    content = b"code,name\nC90001,Imported carmaker\n"
    status = "validated"
    total_rows = 1


# Each app keeps its own factories next to its tests; the cross-app suites see them all here.
from dashboards.tests.factories import *  # noqa: E402, F403
from integrations.tests.sync_factories import *  # noqa: E402, F403
from integrations.tests.webhook_factories import *  # noqa: E402, F403
from jobs.tests.factories import *  # noqa: E402, F403
from notifications.tests.factories import *  # noqa: E402, F403
from projects.tests.factories import *  # noqa: E402, F403
from records.tests.factories import *  # noqa: E402, F403
from satisfaction.tests.factories import *  # noqa: E402, F403
from teams.tests.factories import *  # noqa: E402, F403
