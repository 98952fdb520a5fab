"""Templates, campaigns (draft → open → closed, the editable customer list), staff entry
and API responses: every answer checked, nothing saved on an error."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Department
from kam.tenancy import tenant_context
from satisfaction import selectors, services
from satisfaction.models import (
    Campaign,
    Dimension,
    Invitation,
    Question,
    Response,
    Survey,
    SurveyTemplate,
)
from tests.factories import CustomerFactory, MembershipFactory, SurveyFactory

FOUR = ["purchasing", "engineering", "logistics", "quality"]


# --- templates -------------------------------------------------------------------------

def test_default_template_gives_each_department_its_own_questions(in_tenant):
    template = services.ensure_default_template(in_tenant)
    assert services.ensure_default_template(in_tenant) == template  # idempotent
    questions = list(Question.objects.filter(template=template))
    assert template.scale_max == 5 and template.ask_recommend
    assert {q.dimension for q in questions} == set(Dimension.values)
    assert all(q.text_en and q.text_zh and q.weight > 0 for q in questions)
    assert services.template_departments(template) == [
        d for d in Department.values if d in FOUR]
    for department in FOUR:
        own = [q for q in questions if q.departments == [department]]
        assert own, f"{department} has no question of its own"


@pytest.mark.parametrize("payload,field", [
    ({"name": "Seven", "scale_max": 7}, "scale_max"),
    ({"name": ""}, "name"),
])
def test_template_scale_is_five_or_ten(admin_api_client, payload, field):
    response = admin_api_client.post("/api/v1/survey-templates/", payload,
                                     content_type="application/json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("change,field", [
    ({"departments": ["canteen"]}, "departments"),
    ({"departments": []}, "departments"),
    ({"weight": "0"}, "weight"),
    ({"dimension": "price"}, "dimension"),
])
def test_question_fields_are_checked(admin_api_client, tenant, change, field):
    with tenant_context(tenant):
        template = SurveyTemplate.objects.create(name="Short", scale_max=10)
    payload = {"template": template.pk, "code": "Q1", "dimension": "quality",
               "text_en": "Quality?", "departments": ["quality"], "weight": "1", **change}
    response = admin_api_client.post("/api/v1/survey-questions/", payload,
                                     content_type="application/json")
    assert response.status_code == 400 and field in response.json()
    with tenant_context(tenant):
        assert not Question.objects.exists()


def test_only_admins_edit_templates(bearer_client, tenant):
    manager = bearer_client(MembershipFactory(tenant=tenant, role="manager"))
    assert manager.post("/api/v1/survey-templates/", {"name": "Mine"},
                        content_type="application/json").status_code == 403


# --- campaigns -------------------------------------------------------------------------

@pytest.fixture
def draft(in_tenant):
    template = services.ensure_default_template(in_tenant)
    a = CustomerFactory(tenant=in_tenant, tier="A", name="A-tier")
    b = CustomerFactory(tenant=in_tenant, tier="B", name="B-tier")
    c = CustomerFactory(tenant=in_tenant, tier="C", name="C-tier")
    CustomerFactory(tenant=in_tenant, tier="A", is_active=False, name="Gone")
    campaign = services.create_campaign(in_tenant, year=2031, quarter=3, template=template,
                                        closes_on=in_tenant.today() + timedelta(days=20))
    return {"campaign": campaign, "a": a, "b": b, "c": c, "tenant": in_tenant}


def included(campaign):
    return set(campaign.inclusions.values_list("customer__name", flat=True))


def test_customers_default_to_active_a_and_b_and_the_list_is_editable(draft):
    campaign = draft["campaign"]
    assert campaign.status == "draft" and included(campaign) == {"A-tier", "B-tier"}
    services.update_campaign(campaign, customers=[draft["a"], draft["c"]])
    assert included(campaign) == {"A-tier", "C-tier"}
    result = services.open_campaign(campaign)
    assert {s.customer.name for s in Survey.objects.all()} == {"A-tier", "C-tier"}
    assert result.surveys == 2 and Invitation.objects.count() == 2 * 4
    # Opened: the list, quarter and template are fixed; the note and closing day are not.
    with pytest.raises(ValidationError) as exc:
        services.update_campaign(campaign, customers=[draft["b"]])
    assert "customers" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.update_campaign(campaign, quarter=4)
    assert "quarter" in exc.value.message_dict
    # `campaign` is still the draft object from before opening: the service reads the
    # status from the database, so this edit neither reopens the list nor reverts it.
    services.update_campaign(campaign, note="Agency: Ipsos")
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.status, stored.note) == ("open", "Agency: Ipsos")
    assert included(campaign) == {"A-tier", "C-tier"}


def test_status_goes_draft_open_closed_only(draft):
    campaign = draft["campaign"]
    with pytest.raises(ValidationError):
        services.close_campaign(campaign)
    services.open_campaign(campaign)
    with pytest.raises(ValidationError):
        services.open_campaign(campaign)
    services.close_campaign(campaign)
    campaign.refresh_from_db()
    assert campaign.status == "closed" and campaign.closed_at
    for action in (services.open_campaign, services.close_campaign):
        with pytest.raises(ValidationError):
            action(campaign)


@pytest.mark.parametrize("problem", ["no customers", "past closing day", "same quarter"])
def test_bad_campaigns_are_field_errors(draft, problem):
    campaign, tenant = draft["campaign"], draft["tenant"]
    if problem == "same quarter":
        with pytest.raises(ValidationError) as exc:
            services.create_campaign(tenant, year=2031, quarter=3,
                                     template=campaign.template, closes_on=tenant.today())
        assert "quarter" in exc.value.message_dict
        return
    if problem == "no customers":
        services.update_campaign(campaign, customers=[])
        field = "customers"
    else:
        Campaign.objects.filter(pk=campaign.pk).update(
            closes_on=tenant.today() - timedelta(days=1))
        field = "closes_on"
    with pytest.raises(ValidationError) as exc:
        services.open_campaign(campaign)
    assert field in exc.value.message_dict
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"
    assert not Survey.objects.exists()


def test_a_new_campaign_defaults_to_the_first_quarter_without_one(in_tenant, admin_client):
    template = services.ensure_default_template(in_tenant)
    today = in_tenant.today()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    after = (following[0] + 1, 1) if following[1] == 4 else (following[0], following[1] + 1)
    for taken_year, taken_quarter in ((year, quarter), following):
        services.create_campaign(in_tenant, year=taken_year, quarter=taken_quarter,
                                 template=template, closes_on=today + timedelta(days=20))

    page = admin_client.get(reverse("campaign_create")).content.decode()

    assert re.search(r'<input[^>]*name="year"[^>]*value="(\d+)"', page)[1] == str(after[0])
    assert re.search(r'<input[^>]*name="quarter"[^>]*value="(\d)"', page)[1] == str(after[1])
    closes_on = date.fromisoformat(
        re.search(r'<input[^>]*name="closes_on"[^>]*value="([\d-]+)"', page)[1])
    assert closes_on > date(after[0], 3 * after[1] - 2, 1)  # within the quarter surveyed


def test_the_first_free_quarter_runs_over_the_year_end(in_tenant):
    template = services.ensure_default_template(in_tenant)
    for year, quarter in ((2031, 4), (2032, 1), (2030, 2)):
        services.create_campaign(in_tenant, year=year, quarter=quarter, template=template,
                                 closes_on=in_tenant.today())

    assert selectors.first_free_quarter(today=date(2031, 11, 5)) == (2032, 2)
    assert selectors.first_free_quarter(today=date(2030, 1, 2)) == (2030, 1)


def test_viewers_and_members_cannot_run_campaigns(draft, client):
    campaign = draft["campaign"]
    for role in ("viewer", "member", "executive"):
        client.force_login(MembershipFactory(tenant=draft["tenant"], role=role).user)
        assert client.post(reverse("campaign_open", args=[campaign.pk])).status_code == 403
        assert client.get(reverse("campaign_import", args=[campaign.pk])).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"


def test_opening_in_the_browser_shows_each_link_once(draft, admin_client):
    response = admin_client.post(reverse("campaign_open", args=[draft["campaign"].pk]))
    assert response.status_code == 200
    links = [row["url"] for row in response.context["links"]]
    assert len(links) == 8 and all("/satisfaction/r/" in url for url in links)
    for url in links:
        assert admin_client.get(url).status_code == 200
    detail = admin_client.get(reverse("campaign_detail", args=[draft["campaign"].pk]))
    assert not any(url.rsplit("/r/", 1)[1] in detail.content.decode() for url in links)


# --- staff entry -----------------------------------------------------------------------

def test_staff_entry_checks_every_answer_and_marks_the_source(survey_setup, admin_client,
                                                              admin_membership):
    survey = Survey.objects.get(customer=survey_setup["alpha"])
    questions = services.questions_for(survey, "engineering")
    url = reverse("survey_enter", args=[survey.pk])
    data = {"department": "engineering", "source": "agency", "respondent": "Mr Li",
            **{f"q_{q.pk}": "4" for q in questions}}
    for bad in ({f"q_{questions[0].pk}": "6"}, {f"q_{questions[0].pk}": ""},
                {"recommend": "11"}):
        response = admin_client.post(url, {**data, **bad})
        assert response.status_code == 400
        assert set(bad) <= set(response.context["form"].errors)
    assert not Response.objects.exists()
    assert admin_client.post(url, data).status_code == 302
    response = Response.objects.get()
    assert (response.source, response.respondent, response.department) == (
        "agency", "Mr Li", "engineering")
    assert response.entered_by == admin_membership.user
    page = admin_client.get(reverse("survey_detail", args=[survey.pk])).content.decode()
    assert "Outside agency · Mr Li" in page


def test_api_responses_check_every_answer(admin_api_client, survey_setup, other_tenant):
    survey = Survey.objects.get(customer=survey_setup["alpha"])
    questions = services.questions_for(survey, "quality")
    purchasing_only = next(q for q in services.questions_for(survey, "purchasing")
                           if "quality" not in q.departments)
    answers = [{"question": q.pk, "score": 4} for q in questions]

    def post(**changes):
        return admin_api_client.post("/api/v1/responses/", {
            "survey": survey.pk, "department": "quality", "answers": answers, **changes},
            content_type="application/json")

    assert post(answers=answers[1:]).status_code == 400  # a required answer missing
    assert "answers" in post(answers=[*answers, {"question": purchasing_only.pk,
                                                 "score": 4}]).json()
    assert "answers" in post(answers=[{**answers[0], "score": 0}, *answers[1:]]).json()
    assert "recommend" in post(recommend=11).json()
    assert "department" in post(department="canteen").json()
    with tenant_context(other_tenant):
        foreign = SurveyFactory(tenant=other_tenant)
    assert "survey" in post(survey=foreign.pk).json()
    assert not Response.objects.exists()
    created = post(source="staff", respondent="Quality manager")
    assert created.status_code == 201 and created.json()["source"] == "staff"


def test_an_admin_sets_when_an_open_campaign_counts(client, tenant):
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)
    page = client.get(reverse("satisfaction_home")).content.decode()
    assert 'id="satisfaction-settings"' in page and 'value="75"' in page

    response = client.post(reverse("satisfaction_settings"), {"interim_percent": "60"},
                           follow=True)
    assert "counts once 60 % of its invitations are answered" in response.content.decode()
    with tenant_context(tenant):
        assert selectors.interim_share() == Decimal("0.6")

    response = client.post(reverse("satisfaction_settings"), {"interim_percent": "150"},
                           follow=True)
    assert "Enter a whole percentage from 0 to 100." in response.content.decode()


def test_only_admins_set_it(client, tenant):
    client.force_login(MembershipFactory(tenant=tenant, role="manager").user)
    assert 'id="satisfaction-settings"' not in client.get(
        reverse("satisfaction_home")).content.decode()
    assert client.post(reverse("satisfaction_settings"),
                       {"interim_percent": "10"}).status_code == 403
