"""The reader's language and formats: text the product stored earlier (notifications,
generated OPL titles) reads in the reader's language; the browser's language counts after
log-in until the user picks one; numbers and dates follow one style per language."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import formats, translation

from customers import jobs as customer_jobs
from jobs.services import RunLog
from kam import messages
from kam.tenancy import tenant_context
from notifications.models import Notification
from satisfaction import services as satisfaction_services
from satisfaction.models import OplProposal
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    MembershipFactory,
    PeriodFigureFactory,
    ServiceStandardFactory,
)

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def page(client, name, *args, **headers):
    return client.get(reverse(name, args=args), **headers).content.decode()


@pytest.fixture
def kam(tenant):
    return MembershipFactory(tenant=tenant, role="manager").user


def test_a_reminder_written_in_english_reads_in_chinese(client, tenant, kam):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant, tier="A", owner=kam, name="Changjiang")
        ServiceStandardFactory(tenant=tenant, tier="A", kind="business_review", max_days=90)
        InteractionFactory(tenant=tenant, customer=customer, kind="business_review",
                           occurred_on=tenant.today() - timedelta(days=100))
        with translation.override("en"):
            customer_jobs.cadence_reminders(tenant, tenant.today(), RunLog())
        notification = Notification.objects.get(recipient=kam)
    assert "Business review with Changjiang is overdue" in notification.text
    client.force_login(kam)

    chinese = page(client, "inbox", **CHINESE)
    english = page(client, "inbox", HTTP_ACCEPT_LANGUAGE="en")

    assert "与 Changjiang 的业务回顾已逾期" in chinese, chinese[-3000:]
    assert "要求每 90 天一次" in chinese
    assert "Business review with Changjiang is overdue" in english


def test_one_day_is_singular_in_a_stored_reminder():
    stored = messages.plural(translation.ngettext_lazy(
        "Milestone %(milestone)s of %(programme)s (%(customer)s) is due on %(date)s, in "
        "%(n)s day.",
        "Milestone %(milestone)s of %(programme)s (%(customer)s) is due on %(date)s, in "
        "%(n)s days.", "n"), n=1, milestone="SOP", programme="IP-1", customer="CJ",
        date=date(2026, 12, 4))
    with translation.override("en"):
        assert messages.render(stored).endswith("is due on 4 Dec 2026, in 1 day.")
    with translation.override("zh-hans"):
        assert "2026-12-04" in messages.render(stored)


def test_a_generated_opl_title_reads_in_the_readers_language_until_edited(client, tenant,
                                                                         kam):
    from tests.factories import AnswerFactory, QuestionFactory, ResponseFactory, SurveyFactory

    with tenant_context(tenant), translation.override("en"):
        customer = CustomerFactory(tenant=tenant, owner=kam)
        survey = SurveyFactory(tenant=tenant, customer=customer)
        question = QuestionFactory(tenant=tenant, template=survey.template, dimension="quality",
                                   text_en="How good is our quality?", text_zh="我们的质量如何？")
        response = ResponseFactory(tenant=tenant, survey=survey, department="purchasing")
        answer = AnswerFactory(tenant=tenant, response=response, question=question, score=1,
                               dimension="quality")
        satisfaction_services.propose_items(response, answers=[answer], questions=[question])
        proposal = OplProposal.objects.get()
    assert proposal.title == "Quality: Purchasing scored 1/5"
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)

    chinese = page(client, "opl_proposals", **CHINESE)
    assert "质量：采购 评分 1/5" in chinese
    assert "Quality: Purchasing scored 1/5" in page(client, "opl_proposals",
                                                   HTTP_ACCEPT_LANGUAGE="en")
    with tenant_context(tenant), translation.override("zh-hans"):
        assert "我们的质量如何？" in proposal.description_text
        proposal.title = "Purchasing unhappy with the scratches"
        assert proposal.title_text == "Purchasing unhappy with the scratches"


def test_the_browser_language_counts_after_log_in_until_the_user_picks_one(client, tenant,
                                                                          kam):
    client.force_login(kam)
    assert 'lang="zh-hans"' in page(client, "home", **CHINESE)

    client.post(reverse("set_language"), {"language": "en", "next": "/"}, **CHINESE)
    kam.refresh_from_db()
    assert kam.language == "en"
    client.cookies.pop("django_language")  # another browser of the same user
    assert 'lang="en"' in page(client, "home", **CHINESE)


def test_the_workspace_language_when_the_browser_says_nothing_we_speak(client, tenant, kam):
    tenant.default_language = "zh-hans"
    tenant.save(update_fields=["default_language"])
    client.force_login(kam)
    assert 'lang="zh-hans"' in page(client, "home", HTTP_ACCEPT_LANGUAGE="fr-FR")


def test_numbers_keep_thousands_separators_and_dates_one_style_per_language(client, tenant):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q2",
                            revenue=1234567)
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)

    for language, headers in (("en", {"HTTP_ACCEPT_LANGUAGE": "en"}), ("zh-hans", CHINESE)):
        text = page(client, "customer_detail", customer.pk, **headers)
        assert "1,234,567" in text, language
    with translation.override("en"):
        assert formats.date_format(date(2026, 12, 4)) == "4 Dec 2026"
        assert formats.date_format(date(2026, 12, 4), "SHORT_DATE_FORMAT") == "4 Dec 2026"
    with translation.override("zh-hans"):
        assert formats.date_format(date(2026, 12, 4)) == "2026-12-04"
        assert formats.date_format(date(2026, 12, 4), "SHORT_DATE_FORMAT") == "2026-12-04"
