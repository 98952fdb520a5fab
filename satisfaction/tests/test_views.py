from django.template import Context, Template
from django.urls import reverse

from kam.tenancy import tenant_context
from satisfaction import services
from satisfaction.models import OplItem, OplProposal, Survey
from teams.tests.factories import TeamMemberFactory
from tests.factories import OplItemFactory


def fill(setup):
    survey = Survey.objects.get(customer=setup["alpha"])
    for department in ("purchasing", "logistics"):
        services.save_response(survey, department=department, source="agency", user=setup["kam"],
                               comment="Deliveries were late.",
                               scores={q.pk: 2 for q in services.questions_for(survey,
                                                                               department)})
    return survey


def test_pages_render(survey_setup, admin_client):
    setup = survey_setup
    survey = fill(setup)
    item = OplItemFactory(tenant=setup["tenant"], customer=setup["alpha"])
    proposal = OplProposal.objects.first()
    campaign = setup["campaign"]
    urls = [
        reverse("satisfaction_home"), reverse("survey_template_list"),
        reverse("survey_template_detail", args=[setup["template"].pk]),
        reverse("campaign_create"), reverse("campaign_detail", args=[campaign.pk]),
        reverse("campaign_edit", args=[campaign.pk]),
        reverse("campaign_import", args=[campaign.pk]),
        reverse("survey_detail", args=[survey.pk]),
        reverse("survey_enter", args=[survey.pk]),
        reverse("survey_enter", args=[survey.pk]) + "?department=quality",
        reverse("satisfaction_portfolio"),
        reverse("satisfaction_customer_report", args=[setup["alpha"].pk]),
        reverse("opl_list") + "?overdue=1&status=active", reverse("opl_mine"),
        reverse("opl_create") + f"?customer={setup['alpha'].pk}",
        reverse("opl_detail", args=[item.pk]), reverse("opl_edit", args=[item.pk]),
        reverse("opl_proposals"), reverse("opl_proposal_accept", args=[proposal.pk]),
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    portfolio = admin_client.get(reverse("satisfaction_portfolio")).content.decode()
    assert "sat-low" in portfolio and setup["alpha"].name in portfolio


def test_exports(survey_setup, admin_client):
    fill(survey_setup)
    for url in (reverse("satisfaction_portfolio"),
                reverse("satisfaction_customer_report", args=[survey_setup["alpha"].pk]),
                reverse("opl_list"),
                reverse("campaign_import_template", args=[survey_setup["campaign"].pk])):
        csv = admin_client.get(url + "?export=csv")
        assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv"), url
        xlsx = admin_client.get(url + "?export=xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK", url
    assert survey_setup["alpha"].name in admin_client.get(
        reverse("satisfaction_portfolio") + "?export=csv").content.decode()


def test_accepting_a_proposal_opens_a_prefilled_item(survey_setup, admin_client):
    fill(survey_setup)
    proposal = OplProposal.objects.first()
    form = admin_client.get(reverse("opl_proposal_accept", args=[proposal.pk])).context["form"]
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items()
            if v is not None}
    response = admin_client.post(reverse("opl_proposal_accept", args=[proposal.pk]), data)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.item.source == "survey" and proposal.item.answer == proposal.answer
    dismissed = OplProposal.objects.filter(status="pending").first()
    admin_client.post(reverse("opl_proposal_dismiss", args=[dismissed.pk]))
    dismissed.refresh_from_db()
    assert dismissed.status == "dismissed"


def test_verify_in_the_browser_by_a_non_kam_is_a_field_error(survey_setup, admin_client,
                                                             client):
    from tests.factories import MembershipFactory

    tenant = survey_setup["tenant"]
    manager = MembershipFactory(tenant=tenant, role="manager").user
    item = OplItemFactory(tenant=tenant, status="done", verification="Checked")
    # On the account's team, so they may update the item, but not its accountable KAM.
    TeamMemberFactory(tenant=tenant, team__customer=item.customer, user=manager, role="SR")
    client.force_login(manager)
    response = client.post(reverse("opl_update", args=[item.pk]), {
        "note": "Looks fine", "progress": 100, "status": "verified"})
    assert response.status_code == 400
    assert response.context["form"].errors["status"]
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=item.pk).status == "done"


def test_customer_panel_partial(survey_setup, rf):
    fill(survey_setup)
    OplItemFactory(tenant=survey_setup["tenant"], customer=survey_setup["alpha"],
                   title="Fix the door panel gaps")
    html = Template('{% include "satisfaction/_customer_panel.html" %}').render(Context({
        "customer": survey_setup["alpha"], "current_tenant": survey_setup["tenant"],
        "current_role": "admin"}))
    assert "Fix the door panel gaps" in html and "panel-satisfaction" in html
