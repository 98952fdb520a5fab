import email
import email.policy
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import hash_token
from kam.tenancy import cross_tenant
from satisfaction import selectors, services
from satisfaction.models import Answer, Campaign, Invitation, OplProposal, Response, Survey
from tests.factories import ContactFactory, CustomerFactory

from .test_import import import_answers


def link_for(setup, customer, department):
    for invitation, raw in setup["links"]:
        if invitation.survey.customer_id == customer.pk and invitation.department == department:
            return invitation, f"/satisfaction/r/{raw}/"
    raise AssertionError("no such invitation")


def answers_for(invitation, score="4"):
    questions = services.questions_for(invitation.survey, invitation.department)
    return {f"q_{q.pk}": score for q in questions}, questions


def test_opening_creates_surveys_for_a_and_b_and_one_invitation_per_department(survey_setup):
    setup = survey_setup
    surveys = Survey.objects.all()
    assert {s.customer for s in surveys} == {setup["alpha"], setup["beta"]}
    assert setup["campaign"].status == Campaign.Status.OPEN
    invitations = Invitation.objects.filter(survey__customer=setup["alpha"])
    assert sorted(i.department for i in invitations) == [
        "engineering", "logistics", "purchasing", "quality"]
    purchasing = invitations.get(department="purchasing")
    assert purchasing.contact.email == "buyer@alpha.example.com"
    assert invitations.get(department="logistics").contact is None
    # Only the e-mail address gets mail; only hashes are stored.
    assert len(mail.outbox) == 1 and "/satisfaction/r/" in mail.outbox[0].body
    for invitation, raw in setup["links"]:
        assert invitation.token_hash == hash_token(raw) and raw not in invitation.token_hash
        assert len(raw) >= 40


def sender_of(message):
    """(display name, address) of a sent message's From header, as a mail client reads it."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    [address] = parsed["From"].addresses
    return address.display_name, address.addr_spec


@pytest.mark.parametrize("language, supplier, subject, greeting, ask", [
    ("en", "Huaxin Automotive Interiors",
     "Huaxin Automotive Interiors — customer satisfaction survey {period}", "Dear Li Wei,",
     "please tell Huaxin Automotive Interiors how it did as your supplier in {period}"),
    ("zh-hans", "华鑫汽车内饰", "华鑫汽车内饰 — {period} 客户满意度调查", "尊敬的 Li Wei：",
     "华鑫汽车内饰 诚邀您评价我们在 {period} 作为您的供应商的表现"),
], ids=["English", "简体中文"])
def test_invitation_emails_name_the_supplier_in_the_contacts_language(
        in_tenant, settings, open_and_email, language, supplier, subject, greeting, ask):
    settings.DEFAULT_FROM_EMAIL = "KAM <surveys@kam.example.com>"
    in_tenant.name, in_tenant.default_language = supplier, language
    in_tenant.save(update_fields=["name", "default_language"])
    customer = CustomerFactory(tenant=in_tenant, tier="A")
    ContactFactory(tenant=in_tenant, customer=customer, department="purchasing", name="Li Wei",
                   email="li.wei@oem.example.com")
    campaign = services.create_campaign(
        in_tenant, year=2031, quarter=3, template=services.ensure_default_template(in_tenant),
        closes_on=in_tenant.today() + timedelta(days=20))

    open_and_email(campaign)

    [message] = mail.outbox
    assert sender_of(message) == (f"{supplier} via KAM", "surveys@kam.example.com")
    assert message.subject == subject.format(period="2031Q3")
    assert message.body.startswith(greeting)
    assert ask.format(period="2031Q3") in message.body
    assert message.body.rstrip().endswith(supplier)


def test_a_contacts_own_language_wins_over_the_workspaces(in_tenant, settings, open_and_email):
    in_tenant.name, in_tenant.default_language = "Huaxin Automotive Interiors", "en"
    in_tenant.save(update_fields=["name", "default_language"])
    customer = CustomerFactory(tenant=in_tenant, tier="A")
    ContactFactory(tenant=in_tenant, customer=customer, department="purchasing", name="Li Wei",
                   email="li.wei@oem.example.com", language="zh-hans")
    ContactFactory(tenant=in_tenant, customer=customer, department="quality", name="Ann Lee",
                   email="ann.lee@oem.example.com")
    campaign = services.create_campaign(
        in_tenant, year=2031, quarter=3, template=services.ensure_default_template(in_tenant),
        closes_on=in_tenant.today() + timedelta(days=20))

    open_and_email(campaign)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["li.wei@oem.example.com"].body.startswith("尊敬的 Li Wei：")
    assert by_address["ann.lee@oem.example.com"].body.startswith("Dear Ann Lee,")


def test_opening_twice_is_refused(survey_setup):
    with pytest.raises(services.ValidationError):
        services.open_campaign(survey_setup["campaign"])


def test_public_form_shows_only_the_departments_questions(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "logistics")
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    asked = services.questions_for(invitation.survey, "logistics")
    all_questions = invitation.survey.template.questions.all()
    text = response.content.decode()
    with cross_tenant():
        for question in all_questions:
            assert (question.text_en in text) == (question in asked)


def test_public_form_in_chinese(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    response = client.get(url + "?lang=zh-hans")
    assert response.status_code == 200
    question = services.questions_for(invitation.survey, "quality")[0]
    assert question.text_zh in response.content.decode()


def test_valid_answers_are_saved_once_and_can_be_edited(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    data, questions = answers_for(invitation)
    response = client.post(url, {**data, "recommend": "9", "comment": "Fine"})
    assert response.status_code == 200 and "received" in response.content.decode()
    assert Response.objects.count() == 1
    assert Answer.objects.count() == len(questions)
    client.post(url, {**data, questions[0] and f"q_{questions[0].pk}": "2", "recommend": "9"})
    assert Response.objects.count() == 1
    assert Answer.objects.get(question=questions[0]).score == 2
    invitation.refresh_from_db()
    assert invitation.responded_at is not None
    # The low answer proposes an OPL item.
    proposal = OplProposal.objects.get()
    assert proposal.customer == survey_setup["alpha"] and proposal.department == "purchasing"


@pytest.mark.parametrize("bad", ["9", "0", "x", None])
def test_off_scale_or_missing_answers_are_field_errors(survey_setup, client, bad):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "engineering")
    data, questions = answers_for(invitation)
    name = f"q_{questions[0].pk}"
    if bad is None:
        del data[name]
    else:
        data[name] = bad
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors[name]
    assert not Response.objects.exists()


def test_recommend_off_scale_is_an_error(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "engineering")
    data, _ = answers_for(invitation)
    response = client.post(url, {**data, "recommend": "11"})
    assert response.status_code == 400 and "recommend" in response.context["form"].errors
    assert not Response.objects.exists()


def test_unknown_and_tampered_tokens_are_404(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    assert client.get("/satisfaction/r/not-a-token/").status_code == 404
    assert client.get(url[:-3] + "xx/").status_code == 404
    data, _ = answers_for(invitation)
    assert client.post("/satisfaction/r/not-a-token/", data).status_code == 404
    assert not Response.objects.exists()


def test_expired_and_closed_links_write_nothing(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    data, _ = answers_for(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(url, data)
    assert response.status_code == 410 and not Response.objects.exists()
    other, other_url = link_for(survey_setup, survey_setup["beta"], "purchasing")
    services.close_campaign(survey_setup["campaign"])
    assert client.post(other_url, data).status_code == 410
    assert not Response.objects.exists()


def test_link_is_used_up_once_staff_entered_the_department(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "quality")
    _data, questions = answers_for(invitation)
    services.save_response(invitation.survey, department="quality", source="agency",
                           scores={q.pk: 5 for q in questions}, user=survey_setup["kam"])
    assert client.get(url).status_code == 410
    assert Response.objects.get().source == "agency"


def test_a_token_cannot_touch_another_invitations_answers(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    other, _ = link_for(survey_setup, survey_setup["alpha"], "logistics")
    data, _ = answers_for(invitation)
    other_data, other_questions = answers_for(other, "1")
    client.post(url, {**data, **other_data})
    response = Response.objects.get()
    assert response.department == "purchasing"
    assert not Answer.objects.filter(question__in=[
        q for q in other_questions if "purchasing" not in q.departments]).exists()


def test_reissued_link_replaces_the_old_one(survey_setup, client):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    raw = services.reissue_invitation(Invitation.objects.get(pk=invitation.pk))
    assert client.get(url).status_code == 404
    assert client.get(f"/satisfaction/r/{raw}/").status_code == 200


def test_logged_in_user_of_another_tenant_answers_in_the_invitations_tenant(
        survey_setup, other_admin_membership):
    invitation, url = link_for(survey_setup, survey_setup["alpha"], "purchasing")
    browser = Client()
    browser.force_login(other_admin_membership.user)
    data, _ = answers_for(invitation)
    assert browser.post(url, data).status_code == 200
    with cross_tenant():
        assert Response.objects.get().tenant_id == survey_setup["tenant"].pk


def xlsx_upload(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("agency.xlsx", buffer.getvalue())


def test_import_is_all_or_nothing(survey_setup):
    setup = survey_setup
    questions = list(services.questions_for(
        Survey.objects.get(customer=setup["alpha"]), "logistics"))
    header = ["customer_code", "department", "respondent", "recommend", "comment",
              *[q.code for q in questions]]
    good = [setup["alpha"].code, "logistics", "Ms Wang", 8, "ok", *[4] * len(questions)]
    bad = [setup["beta"].code, "logistics", "", 8, "", 7, *[4] * (len(questions) - 1)]
    result = import_answers(setup["campaign"], xlsx_upload([header, good, bad]))
    assert result.errors and result.errors[0][0] == 3 and not Response.objects.exists()

    csv_file = SimpleUploadedFile("agency.csv", (
        ",".join(header) + "\n" + ",".join(str(v) for v in good) + "\n").encode())
    result = import_answers(setup["campaign"], csv_file)
    assert result.saved == 1 and not result.errors
    assert Response.objects.get().source == "agency"


def test_reports(survey_setup):
    setup = survey_setup
    for department in ("purchasing", "quality"):
        survey = Survey.objects.get(customer=setup["alpha"])
        services.save_response(survey, department=department, source="staff", user=setup["kam"],
                               scores={q.pk: 4 for q in services.questions_for(survey,
                                                                               department)})
    report = selectors.portfolio_report(setup["campaign"])
    row = next(r for r in report["rows"] if r["customer"] == setup["alpha"])
    assert row["index"] == 75
    assert report["index"] == 75
    customer = selectors.customer_report(setup["alpha"])
    assert customer["latest"]["index"] == 75
