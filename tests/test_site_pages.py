"""Pages and files of the whole site, outside any app: the page of a form refused by the
CSRF check, and the favicon."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory

DJANGO_WORDING = ("CSRF verification failed", "CSRF token", "Forbidden")


@pytest.fixture
def strict_client(db):
    """A client that is checked like a browser (the test client is exempt by default)."""
    return Client(enforce_csrf_checks=True)


def test_a_login_form_without_its_cookie_gets_a_plain_words_403(strict_client):
    member = MembershipFactory(role="manager").user
    response = strict_client.post(reverse("login"), {"username": member.email,
                                                     "password": "correct-horse-battery"})
    text = response.content.decode()
    assert response.status_code == 403
    assert "The form could not be sent" in text and "allow cookies" in text
    assert not any(words in text for words in DJANGO_WORDING)
    assert "no-cache" in response["Cache-Control"]
    # The site's layout, and a way back to a fresh form.
    assert 'href="/static/css/kam.css"' in text
    assert f'href="{reverse("login")}">Open the form again' in text
    assert "_auth_user_id" not in strict_client.session  # nobody was logged in


def test_the_page_offers_the_form_it_came_from_but_never_another_site(strict_client):
    came_from = "http://testserver/password/reset/?next=/customers/"
    text = strict_client.post(reverse("password_reset"), {"email": "x@example.com"},
                              headers={"Referer": came_from}).content.decode()
    assert f'href="{came_from}">Open the form again' in text
    text = strict_client.post(reverse("password_reset"), {"email": "x@example.com"},
                              headers={"Referer": "https://evil.example.com/"}).content.decode()
    assert "evil.example.com" not in text
    assert f'href="{reverse("password_reset")}">Open the form again' in text


def test_the_page_speaks_the_visitors_language(strict_client):
    strict_client.cookies["django_language"] = "zh-hans"
    response = strict_client.post(reverse("login"), {"username": "a@example.com"})
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "表单未能提交" in response.content.decode()


def test_a_logged_in_user_keeps_the_menu_and_a_way_home(strict_client):
    member = MembershipFactory(role="manager").user
    strict_client.force_login(member)
    response = strict_client.post(reverse("logout"))
    text = response.content.decode()
    assert response.status_code == 403 and "The form could not be sent" in text
    assert member.email in text  # the user menu
    assert f'href="{reverse("home")}">Go to the home page' in text


def test_favicon_ico_leads_to_the_icon_every_page_links(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert body.startswith(b"<svg")
    link = f'<link rel="icon" href="{response["Location"]}" type="image/svg+xml">'
    assert link in client.get(reverse("login")).content.decode()
    assert link in client.get("/satisfaction/r/no-such-token/").content.decode()
