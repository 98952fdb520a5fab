"""factory-boy factories for satisfaction models; re-exported by tests/factories.py."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import hash_token
from tests.factories import (  # noqa: F401
    ContactFactory,
    CustomerFactory,
    SameTenantSubFactory,
    TenantOwnedFactory,
    UserFactory,
)


class SurveyTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.SurveyTemplate"

    name = factory.Sequence(lambda n: f"Quarterly survey {n}")
    description = "Quality, delivery, cost, technical support, service, communication."
    scale_max = 5
    ask_recommend = True


class QuestionFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.Question"

    template = SameTenantSubFactory(SurveyTemplateFactory)
    code = factory.Sequence(lambda n: f"Q-{n}")
    dimension = "quality"
    text_en = factory.Sequence(lambda n: f"How satisfied are you with our quality ({n})?")
    text_zh = "您对我们的质量满意吗？"
    departments = factory.LazyFunction(lambda: ["purchasing", "engineering", "logistics",
                                                "quality"])
    weight = 1
    position = factory.Sequence(lambda n: n)


class SatisfactionSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.SatisfactionSettings"
        django_get_or_create = ["tenant"]

    interim_share = Decimal("0.75")


class CampaignFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.Campaign"

    year = factory.Sequence(lambda n: 2000 + n % 100)
    quarter = factory.Sequence(lambda n: n % 4 + 1)
    template = SameTenantSubFactory(SurveyTemplateFactory)
    status = "open"
    closes_on = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=30))
    note = "Quarterly customer survey"


class CampaignCustomerFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.CampaignCustomer"

    campaign = SameTenantSubFactory(CampaignFactory)
    customer = SameTenantSubFactory(CustomerFactory)


class SurveyFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.Survey"

    campaign = SameTenantSubFactory(CampaignFactory)
    customer = SameTenantSubFactory(CustomerFactory)
    template = factory.SelfAttribute("campaign.template")
    scale_max = factory.SelfAttribute("template.scale_max")


class InvitationFactory(TenantOwnedFactory):
    """An invitation whose raw token is `factory-token-<n>` (see `raw_token`)."""

    class Meta:
        model = "satisfaction.Invitation"

    class Params:
        raw_token = factory.Sequence(lambda n: f"factory-token-{n}")

    survey = SameTenantSubFactory(SurveyFactory)
    department = "purchasing"
    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"),
                                 customer=factory.SelfAttribute("..survey.customer"))
    language = "en"
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.raw_token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ResponseFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.Response"

    survey = SameTenantSubFactory(SurveyFactory)
    invitation = None
    department = "purchasing"
    source = "agency"
    respondent = factory.Faker("name")
    recommend = 8
    comment = "Good support on the last launch; logistics must improve."
    submitted_at = factory.LazyFunction(timezone.now)


class AnswerFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.Answer"

    response = SameTenantSubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory, tenant=factory.SelfAttribute("..tenant"),
                                  template=factory.SelfAttribute("..response.survey.template"))
    dimension = factory.SelfAttribute("question.dimension")
    weight = factory.SelfAttribute("question.weight")
    score = 4
    scale_min = 1
    scale_max = factory.SelfAttribute("response.survey.scale_max")
    comment = "Fine overall"


class OplItemFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.OplItem"

    customer = SameTenantSubFactory(CustomerFactory)
    source = "meeting"
    title = factory.Sequence(lambda n: f"Fix the open point number {n}")
    description = "Raised in the quarterly business review."
    department = "quality"
    priority = "medium"
    owner = factory.SubFactory(UserFactory)
    accountable = factory.SubFactory(UserFactory)
    opened_on = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=5))
    due_date = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=20))
    status = "open"
    last_update_at = factory.LazyFunction(timezone.now)


class OplUpdateFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.OplUpdate"

    item = SameTenantSubFactory(OplItemFactory)
    author = factory.SubFactory(UserFactory)
    note = "Containment in place; root cause analysis started."
    progress = 25
    created_at = factory.LazyFunction(timezone.now)


class OplProposalFactory(TenantOwnedFactory):
    class Meta:
        model = "satisfaction.OplProposal"

    answer = factory.SubFactory(AnswerFactory, tenant=factory.SelfAttribute("..tenant"),
                                score=2)
    customer = factory.SelfAttribute("answer.response.survey.customer")
    department = factory.SelfAttribute("answer.response.department")
    title = factory.Sequence(lambda n: f"Quality: purchasing scored 2/5 ({n})")
    description = "Survey answer below the threshold."
