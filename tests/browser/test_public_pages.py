"""The pages reachable without login, in a browser that behaves like the visitors' own:
a customer answering the survey from the invitation link (phone and desktop), changing the
answers later, the link's 404 and 410 pages; log-in, the password reset by e-mail, and the
page of a form refused by the CSRF check. Each page passes axe-core; the public survey
loads nothing from another site.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from kam.tenancy import tenant_context
from satisfaction import services
from satisfaction.models import Invitation, Response
from tests.browser.conftest import PASSWORD, assert_accessible, url
from tests.factories import CustomerFactory, MembershipFactory, TenantFactory

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1400, "height": 900}}
SUPPLIER = "Huaxin Automotive Interiors"


@pytest.fixture
def survey_links(transactional_db):
    """An open campaign of one A customer: (tenant, {department: (invitation, link path)})."""
    tenant = TenantFactory(slug="huaxin", name=SUPPLIER)
    with tenant_context(tenant):
        template = services.ensure_default_template(tenant)
        CustomerFactory(tenant=tenant, tier="A", name="Alpha Motors")
        today = tenant.today()
        campaign = services.create_campaign(tenant, year=today.year, quarter=1,
                                            template=template,
                                            closes_on=today + timedelta(days=10))
        links = services.open_campaign(campaign).links
    return tenant, {invitation.department: (invitation, f"/satisfaction/r/{raw}/")
                    for invitation, raw in links}


def questions_of(tenant, invitation):
    with tenant_context(tenant):
        return services.questions_for(invitation.survey, invitation.department)


def watch_requests(page, live_server):
    """Every URL the page asks for that is not the site's own, or that fails."""
    problems = []

    def check(response):
        if not response.url.startswith(live_server.url) or response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    page.on("response", check)
    page.on("requestfailed", lambda request: problems.append(f"failed {request.url}"))
    return problems


def choose(page, group_name, value):
    """Pick a score the way the visitor does: tap on a phone, click elsewhere."""
    choice = page.get_by_role("group", name=group_name).get_by_text(str(value), exact=True)
    if page.evaluate("navigator.maxTouchPoints > 0"):
        choice.tap()
    else:
        choice.click()


def fits_the_screen(page):
    """Nothing sticks out sideways: the page does not scroll horizontally."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"]


def thanks(page):
    return page.get_by_role("heading", name="Thank you!")


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_customer_answers_the_survey_from_the_invitation_link(
        new_page, live_server, survey_links, device):
    tenant, links = survey_links
    invitation, link = links["quality"]
    questions = questions_of(tenant, invitation)
    page = new_page(**device)  # a fresh browser: no login, no cookie
    outside = watch_requests(page, live_server)

    page.goto(live_server.url + link)
    assert page.get_by_role("heading", name=f"How did {SUPPLIER} do this quarter?").is_visible()
    assert_accessible(page)
    if device is PHONE:
        assert fits_the_screen(page)

    for question in questions:
        choose(page, question.text_en, 4)
    choose(page, re.compile("recommend us"), 9)
    page.get_by_label("Anything else you want us to know?").fill("Fast answers on PPAP.")
    page.get_by_role("button", name="Send my answers").click()

    assert thanks(page).is_visible()
    assert page.get_by_text("Your answers have been received.").is_visible()
    assert_accessible(page)
    if device is PHONE:
        assert fits_the_screen(page)
    with tenant_context(tenant):
        response = Response.objects.get(invitation=invitation)
        assert response.source == Response.Source.ONLINE
        assert response.comment == "Fast answers on PPAP." and response.recommend == 9
        assert sorted(response.answers.values_list("score", flat=True)) == [4] * len(questions)
    assert not outside, outside  # nothing from other sites, no missing file (the icon)
    assert not page.errors


def test_the_same_link_shows_and_changes_the_earlier_answers(new_page, live_server,
                                                              survey_links):
    tenant, links = survey_links
    invitation, link = links["purchasing"]
    questions = questions_of(tenant, invitation)
    with tenant_context(tenant):
        services.respond_by_link(invitation, scores={q.pk: 5 for q in questions},
                                 comment="All good.", respondent="A buyer")
    page = new_page(**PHONE)

    page.goto(live_server.url + link)
    assert page.get_by_role("status").get_by_text(
        "We already have your answers; saving again replaces them.").is_visible()
    first = page.get_by_role("group", name=questions[0].text_en)
    assert first.get_by_role("radio", name="5").is_checked()
    comment = page.get_by_label("Anything else you want us to know?")
    assert comment.input_value() == "All good."
    assert_accessible(page)

    choose(page, questions[0].text_en, 2)
    comment.fill("Deliveries slipped in May.")
    page.get_by_role("button", name="Send my answers").click()

    assert page.get_by_text("Your changed answers have been received.").is_visible()
    with tenant_context(tenant):
        response = Response.objects.get(invitation=invitation)
        assert response.comment == "Deliveries slipped in May."
        assert response.answers.get(question=questions[0]).score == 2
        assert response.answers.filter(score=5).count() == len(questions) - 1
        assert Response.objects.count() == 1


def test_an_unknown_link_is_a_clear_404(new_page, live_server, survey_links):
    page = new_page(**PHONE)
    answer = page.goto(f"{live_server.url}/satisfaction/r/not-a-real-token/")
    assert answer.status == 404
    assert page.get_by_role("heading", name="This survey link is not valid").is_visible()
    assert page.get_by_text("copied the whole link").is_visible()
    assert_accessible(page)


def test_an_expired_link_is_a_clear_410_and_shows_no_form(new_page, live_server,
                                                          survey_links):
    tenant, links = survey_links
    invitation, link = links["logistics"]
    with tenant_context(tenant):
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1))
    page = new_page(**PHONE)
    answer = page.goto(live_server.url + link)
    assert answer.status == 410
    assert page.get_by_role("heading", name="This survey is closed").is_visible()
    assert page.get_by_text("The link has expired.").is_visible()
    assert page.get_by_role("button", name="Send my answers").count() == 0
    assert_accessible(page)


def test_a_survey_sent_without_its_cookie_explains_and_the_form_works_again(
        new_page, live_server, survey_links):
    tenant, links = survey_links
    invitation, link = links["engineering"]
    questions = questions_of(tenant, invitation)
    page = new_page(**PHONE)
    page.goto(live_server.url + link)
    for question in questions:
        choose(page, question.text_en, 3)
    page.context.clear_cookies(name="csrftoken")  # as if the browser dropped it

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send my answers").click()
    assert posted.value.status == 403
    assert page.get_by_role("heading", name="The form could not be sent").is_visible()
    assert page.get_by_text("allow cookies").is_visible()
    assert "CSRF" not in page.content()
    assert page.get_by_role("navigation", name="Main navigation").count() == 0  # survey layout
    assert fits_the_screen(page)
    assert_accessible(page)
    with tenant_context(tenant):
        assert not Response.objects.exists()

    page.get_by_role("link", name="Open the form again").click()
    for question in questions:
        choose(page, question.text_en, 3)
    page.get_by_role("button", name="Send my answers").click()
    assert thanks(page).is_visible()


# --- log-in and password pages ---------------------------------------------------------

@pytest.fixture
def member(transactional_db):
    tenant = TenantFactory(slug="huaxin", name=SUPPLIER)
    return MembershipFactory(tenant=tenant, role="manager").user


def log_in_form(page, email, password):
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("main").get_by_role("button", name="Log in").click()


def test_log_in_refuses_a_wrong_password_then_lets_the_right_one_in(new_page, live_server,
                                                                     member):
    page = new_page()
    page.goto(url(live_server, "login"))
    assert_accessible(page)

    log_in_form(page, member.email, "not-the-password")
    assert page.get_by_role("alert").get_by_text("didn't match").is_visible()
    assert_accessible(page)

    log_in_form(page, member.email, PASSWORD)
    page.wait_for_url(url(live_server, "home"))
    assert page.get_by_role("button", name=member.get_short_name()).is_visible()


def test_a_forgotten_password_is_reset_through_the_e_mailed_link(new_page, live_server, member,
                                                                 mailoutbox):
    page = new_page()
    page.goto(url(live_server, "login"))
    page.get_by_role("link", name="Forgot your password?").click()
    assert page.get_by_role("heading", name="Reset your password").is_visible()
    assert_accessible(page)

    page.get_by_label("Email").fill(member.email)
    page.get_by_role("button", name="Send the link").click()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    assert_accessible(page)

    assert [message.to for message in mailoutbox] == [[member.email]]
    link = re.search(r"http://\S+/password/reset/\S+/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    assert page.get_by_role("heading", name="Set a new password").is_visible()
    assert_accessible(page)

    new_password = "a-new-long-passphrase-2031"
    page.get_by_label("New password").first.fill(new_password)
    page.get_by_label("New password confirmation").fill(new_password)
    page.get_by_role("button", name="Set password").click()
    assert page.get_by_role("heading", name="Password set").is_visible()
    assert_accessible(page)

    page.locator("main").get_by_role("link", name="Log in").click()
    log_in_form(page, member.email, PASSWORD)  # the old one no longer works
    assert page.get_by_role("alert").get_by_text("didn't match").is_visible()
    log_in_form(page, member.email, new_password)
    page.wait_for_url(url(live_server, "home"))


def test_a_log_in_sent_without_its_cookie_gets_the_friendly_page(new_page, live_server, member):
    page = new_page()
    page.goto(url(live_server, "login"))
    page.context.clear_cookies(name="csrftoken")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        log_in_form(page, member.email, PASSWORD)
    assert posted.value.status == 403
    assert page.get_by_role("heading", name="The form could not be sent").is_visible()
    assert page.get_by_text("Nothing was saved.").is_visible()
    assert "CSRF verification failed" not in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="Open the form again").click()
    log_in_form(page, member.email, PASSWORD)
    page.wait_for_url(url(live_server, "home"))
