from datetime import timedelta

import pytest
from django.utils import timezone

from kam.tenancy import tenant_context
from satisfaction import services
from satisfaction.models import Campaign, OplItem, Response
from teams.tests.factories import TeamMemberFactory
from tests.factories import (
    AnswerFactory,
    CustomerFactory,
    MembershipFactory,
    OplItemFactory,
    OplUpdateFactory,
    SurveyFactory,
)


def test_campaign_lifecycle_over_the_api(admin_api_client, tenant):
    with tenant_context(tenant):
        template = services.ensure_default_template(tenant)
        customer = CustomerFactory(tenant=tenant, tier="A")
        CustomerFactory(tenant=tenant, tier="C")
    closes_on = (tenant.today() + timedelta(days=20)).isoformat()
    response = admin_api_client.post("/api/v1/campaigns/", {
        "year": 2031, "quarter": 2, "template": template.pk, "closes_on": closes_on},
        content_type="application/json")
    assert response.status_code == 201, response.json()
    campaign = response.json()
    assert campaign["status"] == "draft" and campaign["customers"] == [customer.pk]

    duplicate = admin_api_client.post("/api/v1/campaigns/", {
        "year": 2031, "quarter": 2, "template": template.pk, "closes_on": closes_on},
        content_type="application/json")
    assert duplicate.status_code == 400 and "quarter" in duplicate.json()

    opened = admin_api_client.post(f"/api/v1/campaigns/{campaign['id']}/open/")
    assert opened.status_code == 200
    body = opened.json()
    assert body["campaign"]["status"] == "open" and len(body["invitations"]) == 4
    assert "/satisfaction/r/" in body["invitations"][0]["url"]
    # The raw token is never readable afterwards.
    listed = admin_api_client.get("/api/v1/invitations/").json()
    assert listed["count"] == 4 and "url" not in listed["results"][0]
    assert "token" not in str(listed)

    survey = admin_api_client.get("/api/v1/surveys/").json()["results"][0]
    assert survey["index"] is None
    with tenant_context(tenant):
        questions = services.questions_for(
            services.Survey.objects.get(pk=survey["id"]), "purchasing")
    bad = admin_api_client.post("/api/v1/responses/", {
        "survey": survey["id"], "department": "purchasing",
        "answers": [{"question": q.pk, "score": 6} for q in questions]},
        content_type="application/json")
    assert bad.status_code == 400 and "answers" in bad.json()
    good = admin_api_client.post("/api/v1/responses/", {
        "survey": survey["id"], "department": "purchasing", "recommend": 10,
        "answers": [{"question": q.pk, "score": 5} for q in questions]},
        content_type="application/json")
    assert good.status_code == 201, good.json()
    assert good.json()["source"] == "agency"
    survey = admin_api_client.get(f"/api/v1/surveys/{survey['id']}/").json()
    assert survey["index"] == 100.0 and survey["nps"] == 100.0

    closed = admin_api_client.post(f"/api/v1/campaigns/{campaign['id']}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_survey_list_query_count_is_fixed(admin_api_client, tenant,
                                          django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            survey = SurveyFactory(tenant=tenant)
            AnswerFactory(tenant=tenant, response__survey=survey, response__tenant=tenant)

    make(2)
    with django_assert_max_num_queries(12) as small:
        assert admin_api_client.get("/api/v1/surveys/").status_code == 200
        queries = len(small)
    make(20)
    with django_assert_max_num_queries(queries):
        assert admin_api_client.get("/api/v1/surveys/").json()["count"] == 22


def test_opl_list_flags_and_query_count(admin_api_client, tenant,
                                        django_assert_max_num_queries):
    today = tenant.today()
    OplItemFactory(tenant=tenant, due_date=today - timedelta(days=2))
    OplItemFactory(tenant=tenant, last_update_at=timezone.now() - timedelta(days=15))
    with django_assert_max_num_queries(12) as small:
        data = admin_api_client.get("/api/v1/opl-items/").json()
        queries = len(small)
    flags = sorted((row["overdue"], row["stale"]) for row in data["results"])
    assert flags == [(False, True), (True, False)]
    assert admin_api_client.get("/api/v1/opl-items/?overdue=true").json()["count"] == 1
    assert admin_api_client.get("/api/v1/opl-items/?stale=true").json()["count"] == 1
    OplItemFactory.create_batch(20, tenant=tenant)
    with django_assert_max_num_queries(queries):
        assert admin_api_client.get("/api/v1/opl-items/").json()["count"] == 22


def test_opl_updates_and_verification_rules(bearer_client, tenant):
    kam = MembershipFactory(tenant=tenant, role="manager")
    other_manager = MembershipFactory(tenant=tenant, role="manager")
    item = OplItemFactory(tenant=tenant, accountable=kam.user)
    OplUpdateFactory(tenant=tenant, item=item)
    # On the account's team, so they may update the item, but not its accountable KAM.
    TeamMemberFactory(tenant=tenant, team__customer=item.customer, user=other_manager.user,
                      role="SR")
    api = bearer_client(other_manager)
    url = f"/api/v1/opl-items/{item.pk}/updates/"
    assert api.get(url).json()["count"] == 1
    response = api.post(url, {"note": "Done at the plant", "progress": 100, "status": "done"},
                        content_type="application/json")
    assert response.status_code == 201, response.json()
    # A manager who is not the accountable KAM cannot verify: field error, nothing saved.
    refused = api.patch(f"/api/v1/opl-items/{item.pk}/",
                        {"status": "verified", "verification": "Checked"},
                        content_type="application/json")
    assert refused.status_code == 400 and "status" in refused.json()
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=item.pk).status == "done"
    verified = bearer_client(kam).patch(f"/api/v1/opl-items/{item.pk}/",
                                        {"status": "verified", "verification": "Checked"},
                                        content_type="application/json")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "verified" and verified.json()["progress"] == 100


def test_viewer_cannot_write_and_member_only_own_items(bearer_client, tenant):
    viewer = bearer_client(MembershipFactory(tenant=tenant, role="viewer"))
    member = MembershipFactory(tenant=tenant, role="member")
    mine = OplItemFactory(tenant=tenant, owner=member.user)
    theirs = OplItemFactory(tenant=tenant)
    payload = {"note": "x", "progress": 10}
    assert viewer.post(f"/api/v1/opl-items/{mine.pk}/updates/", payload,
                       content_type="application/json").status_code == 403
    api = bearer_client(member)
    assert api.post(f"/api/v1/opl-items/{mine.pk}/updates/", payload,
                    content_type="application/json").status_code == 201
    assert api.post(f"/api/v1/opl-items/{theirs.pk}/updates/", payload,
                    content_type="application/json").status_code == 403
    assert api.post("/api/v1/opl-items/", {"customer": mine.customer_id, "title": "x"},
                    content_type="application/json").status_code == 403


def test_other_tenants_ids_are_rejected(admin_api_client, tenant, other_tenant):
    foreign = CustomerFactory(tenant=other_tenant)
    response = admin_api_client.post("/api/v1/opl-items/", {
        "customer": foreign.pk, "title": "Leak"}, content_type="application/json")
    assert response.status_code == 400 and "customer" in response.json()
    foreign_item = OplItemFactory(tenant=other_tenant)
    assert admin_api_client.get(f"/api/v1/opl-items/{foreign_item.pk}/").status_code == 404


@pytest.mark.parametrize("path", ["survey-templates", "survey-questions", "campaigns",
                                  "surveys", "invitations", "responses", "opl-items",
                                  "opl-proposals"])
def test_lists_answer(admin_api_client, path):
    assert admin_api_client.get(f"/api/v1/{path}/").status_code == 200


def test_campaign_of_draft_can_be_deleted_but_not_open(admin_api_client, tenant):
    with tenant_context(tenant):
        template = services.ensure_default_template(tenant)
        draft = services.create_campaign(tenant, year=2030, quarter=1, template=template,
                                         closes_on=tenant.today(), customers=[])
    assert admin_api_client.delete(f"/api/v1/campaigns/{draft.pk}/").status_code == 204
    with tenant_context(tenant):
        assert not Campaign.objects.exists() and not Response.objects.exists()
