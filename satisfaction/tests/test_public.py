"""The respondent's page: token security, expiry, one invitation per response, another
tenant's token, no login, English and 简体中文."""

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.tenancy import cross_tenant, tenant_context
from satisfaction import services
from satisfaction.models import Answer, Invitation, Response, Survey
from satisfaction.tests.test_surveys import answers_for, link_for
from tests.factories import CustomerFactory


def raw_of(url):
    return url.rstrip("/").rsplit("/", 1)[1]


# --- the token -------------------------------------------------------------------------

def test_only_the_sha256_of_each_token_is_stored_and_it_is_no_key(survey_setup, client):
    raws = [raw for _invitation, raw in survey_setup["links"]]
    assert len(set(raws)) == len(raws) and min(len(r) for r in raws) >= 43  # 256 bits
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    raw = raw_of(url)
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    columns = [str(getattr(stored, f.attname)) for f in Invitation._meta.concrete_fields]
    assert not any(raw in value for value in columns)
    # Whoever reads the database cannot use the stored hash as a link.
    assert client.get(f"/satisfaction/r/{stored.token_hash}/").status_code == 404


@pytest.mark.parametrize("tamper", [
    lambda raw: raw[:-1], lambda raw: raw + "A", lambda raw: raw.swapcase(),
    lambda raw: ("B" if raw[0] != "B" else "C") + raw[1:], lambda raw: raw * 3,
])
def test_tampered_tokens_are_a_plain_404_and_write_nothing(survey_setup, client, tamper):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    data, _questions = answers_for(invitation)
    bad = f"/satisfaction/r/{tamper(raw_of(url))}/"
    page = client.get(bad)
    assert page.status_code == 404
    assert "This survey link is not valid" in page.content.decode()
    assert client.post(bad, data).status_code == 404
    assert not Response.objects.exists() and not Answer.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).responded_at is None


# --- expiry at the campaign's close ----------------------------------------------------

def test_links_expire_at_the_end_of_the_closing_day_in_the_tenants_time_zone(survey_setup):
    tenant, campaign = survey_setup["tenant"], survey_setup["campaign"]
    for invitation in Invitation.objects.all():
        local = invitation.expires_at.astimezone(tenant.tzinfo)
        assert local.date() == campaign.closes_on and (local.hour, local.minute) == (23, 59)
    later = campaign.closes_on + timedelta(days=7)
    services.update_campaign(campaign, closes_on=later)
    assert {i.expires_at.astimezone(tenant.tzinfo).date()
            for i in Invitation.objects.all()} == {later}
    # An open campaign's closing day cannot move into the past (close it instead).
    with pytest.raises(ValidationError) as exc:
        services.update_campaign(campaign, closes_on=tenant.today() - timedelta(days=1))
    assert "closes_on" in exc.value.message_dict
    campaign.refresh_from_db()
    assert campaign.closes_on == later


def test_a_link_works_until_its_expiry_and_not_a_second_later(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    data, _questions = answers_for(invitation)
    expires = Invitation.objects.get(pk=invitation.pk).expires_at
    with mock.patch("django.utils.timezone.now", return_value=expires - timedelta(seconds=1)):
        assert client.get(url).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=expires + timedelta(seconds=1)):
        page = client.get(url)
        assert page.status_code == 410 and "This survey is closed" in page.content.decode()
        assert client.post(url, data).status_code == 410
    assert not Response.objects.exists()


def test_closing_the_campaign_ends_the_links_and_keeps_the_answers(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    data, questions = answers_for(invitation, "4")
    assert client.post(url, data).status_code == 200
    services.close_campaign(survey_setup["campaign"])
    assert Invitation.objects.get(pk=invitation.pk).expires_at <= timezone.now()
    changed = {**data, f"q_{questions[0].pk}": "1"}
    assert client.post(url, changed).status_code == 410
    assert set(Answer.objects.values_list("score", flat=True)) == {4}


# --- once per invitation ---------------------------------------------------------------

def test_an_answered_link_edits_its_own_response_until_close(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    data, questions = answers_for(invitation, "5")
    first = client.post(url, {**data, "comment": "First"})
    assert "Your answers have been received." in first.content.decode()
    again = client.get(url)
    assert "We already have your answers" in again.content.decode()
    second = client.post(url, {**data, f"q_{questions[0].pk}": "3", "comment": "Second"})
    assert "Your changed answers have been received." in second.content.decode()
    response = Response.objects.get()
    assert response.comment == "Second" and response.invitation_id == invitation.pk
    assert Answer.objects.get(question=questions[0]).score == 3
    assert Answer.objects.count() == len(questions)


def test_a_link_never_edits_another_invitations_response(survey_setup, client):
    setup = survey_setup
    purchasing, p_url = link_for(setup, setup["alpha"], "purchasing")
    logistics, l_url = link_for(setup, setup["alpha"], "logistics")
    p_data, p_questions = answers_for(purchasing, "5")
    client.post(p_url, {**p_data, "recommend": "10", "comment": "From purchasing"})
    # The logistics link neither shows nor changes purchasing's answers, whatever is posted.
    page = client.get(l_url)
    assert page.context["existing"] is None
    assert "From purchasing" not in page.content.decode()
    l_data, _l_questions = answers_for(logistics, "1")
    tampered = {**dict.fromkeys(p_data, "1"), **l_data, "comment": "From logistics",
                "department": "purchasing", "invitation": purchasing.pk,
                "survey": Survey.objects.get(customer=setup["beta"]).pk}
    assert client.post(l_url, tampered).status_code == 200
    bought = Response.objects.get(department="purchasing")
    assert bought.comment == "From purchasing" and bought.invitation_id == purchasing.pk
    assert set(bought.answers.values_list("score", flat=True)) == {5}
    assert bought.answers.count() == len(p_questions)
    moved = Response.objects.get(department="logistics")
    assert moved.invitation_id == logistics.pk and moved.comment == "From logistics"
    assert Response.objects.count() == 2
    # The service refuses too: a response stays with the invitation that gave it.
    with pytest.raises(ValidationError):
        services.save_response(purchasing.survey, department="purchasing", invitation=logistics,
                               scores={q.pk: 1 for q in p_questions})
    assert set(bought.answers.values_list("score", flat=True)) == {5}


def test_a_link_is_used_up_once_staff_entered_its_department(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    data, questions = answers_for(invitation, "1")
    services.save_response(invitation.survey, department="quality", source="agency",
                           scores={q.pk: 5 for q in questions}, user=survey_setup["kam"])
    page = client.post(url, data)
    assert page.status_code == 410
    assert "This survey has already been answered" in page.content.decode()
    response = Response.objects.get()
    assert response.source == "agency"
    assert set(response.answers.values_list("score", flat=True)) == {5}


# --- another tenant's token ------------------------------------------------------------

@pytest.fixture
def beta_link(survey_setup, other_tenant):
    """An open campaign of the other tenant and its link for one department."""
    with tenant_context(other_tenant):
        template = services.ensure_default_template(other_tenant)
        customer = CustomerFactory(tenant=other_tenant, tier="A", name="Gamma Trucks")
        campaign = services.create_campaign(
            other_tenant, year=2030, quarter=1, template=template,
            closes_on=other_tenant.today() + timedelta(days=10), customers=[customer])
        links = services.open_campaign(campaign).links
        invitation, raw = next((i, r) for i, r in links if i.department == "purchasing")
    return invitation, f"/satisfaction/r/{raw}/"


def test_another_tenants_token_answers_only_in_its_own_tenant(
        survey_setup, beta_link, admin_client, other_tenant):
    invitation, url = beta_link
    page = admin_client.get(url)  # logged in to the first tenant
    text = page.content.decode()
    assert page.status_code == 200
    assert "Beta Seating" in text and "Gamma Trucks" in text
    assert survey_setup["tenant"].name not in text and survey_setup["alpha"].name not in text
    with tenant_context(other_tenant):
        data, _questions = answers_for(invitation)
    assert admin_client.post(url, data).status_code == 200
    with cross_tenant():
        assert list(Response.objects.values_list("tenant_id", flat=True)) == [other_tenant.pk]
    assert not Response.objects.exists()  # none in the first tenant


def test_staff_cannot_reach_another_tenants_invitation(survey_setup, beta_link, admin_client,
                                                      admin_api_client):
    invitation, url = beta_link
    survey_id = invitation.survey_id
    assert admin_client.post(reverse("invitation_link", args=[survey_id, invitation.pk])
                             ).status_code == 404
    assert admin_client.get(reverse("survey_detail", args=[survey_id])).status_code == 404
    assert admin_api_client.post(f"/api/v1/invitations/{invitation.pk}/link/").status_code == 404
    # The other tenant's link still works: nothing was replaced.
    assert Client().get(url).status_code == 200


# --- no login, phone, languages --------------------------------------------------------

def test_the_page_needs_no_login_and_fits_a_phone(survey_setup):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "engineering")
    page = Client().get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    # No referrer (the token) to other sites, but one to the page's own form: browsers send
    # "Origin: null" under "no-referrer", and the CSRF check refuses the answers.
    assert page["Referrer-Policy"] == "same-origin" and "noindex" in page["X-Robots-Tag"]
    questions = services.questions_for(invitation.survey, "engineering")
    for question in questions:  # one radio per point of the 1–5 scale, big tap targets
        for score in range(1, 6):
            assert f'name="q_{question.pk}" id="id_q_{question.pk}_{score - 1}" ' \
                   f'value="{score}"' in text
    assert text.count('class="btn-check"') == 5 * len(questions) + 11


def test_a_refused_post_keeps_the_survey_layout_and_language_and_saves_nothing(survey_setup):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    data, _questions = answers_for(invitation)
    browser = Client(enforce_csrf_checks=True)  # posts without the page's cookie
    page = browser.post(url, {**data, "lang": "zh-hans"},
                        headers={"Referer": f"http://testserver{url}?lang=zh-hans"})
    text = page.content.decode()
    assert page.status_code == 403
    assert '<html lang="zh-hans">' in text and "CSRF" not in text
    assert f'href="http://testserver{url}?lang=zh-hans"' in text  # back to a fresh form
    assert "navbar" not in text and 'href="/login/"' not in text  # no staff pages
    assert not Response.objects.exists()


def test_the_invitations_language_is_used_without_asking(survey_setup):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    Invitation.objects.filter(pk=invitation.pk).update(language="zh-hans")
    questions = services.questions_for(invitation.survey, "quality")
    page = Client().get(url)
    text = page.content.decode()
    assert '<html lang="zh-hans">' in text and "提交我的答复" in text
    assert all(q.text_zh in text and q.text_en not in text for q in questions)
    english = Client().get(url + "?lang=en").content.decode()
    assert "Send my answers" in english and questions[0].text_en in english
    assert "提交我的答复" in Client().get(url + "?lang=xx").content.decode()


def test_chinese_errors_thanks_and_stored_language(survey_setup):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "logistics")
    data, questions = answers_for(invitation)
    browser = Client()
    missing = {k: v for k, v in data.items() if k != f"q_{questions[0].pk}"}
    refused = browser.post(url + "?lang=zh-hans", {**missing, "lang": "zh-hans"})
    assert refused.status_code == 400 and "请回答此问题。" in refused.content.decode()
    assert not Response.objects.exists()
    thanks = browser.post(url, {**data, "lang": "zh-hans"})
    assert thanks.status_code == 200 and "已收到您的答复。" in thanks.content.decode()
    assert Response.objects.get().language == "zh-hans"


def test_problem_pages_speak_chinese_too(survey_setup):
    assert "此调查链接无效" in Client().get(
        "/satisfaction/r/nope/?lang=zh-hans").content.decode()
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    Invitation.objects.filter(pk=invitation.pk).update(
        language="zh-hans", expires_at=timezone.now() - timedelta(seconds=1))
    page = Client().get(url)
    assert page.status_code == 410 and "此调查已关闭" in page.content.decode()


def test_the_closing_day_shows_in_the_tenants_time_zone(in_tenant):
    # The link works until 23:59 on the closing day in New York: 04:59 UTC the day after.
    in_tenant.timezone = "America/New_York"
    in_tenant.save()
    template = services.ensure_default_template(in_tenant)
    CustomerFactory(tenant=in_tenant, tier="A")
    closes = in_tenant.today() + timedelta(days=5)
    campaign = services.create_campaign(in_tenant, year=2033, quarter=1, template=template,
                                        closes_on=closes)
    _invitation, raw = services.open_campaign(campaign).links[0]
    text = Client().get(f"/satisfaction/r/{raw}/").content.decode()
    assert f"change your answers until {closes.day} {closes:%b %Y}." in text  # 4 Dec 2026
