"""What every answer tells the browser: a strict Content-Security-Policy (django-csp) that
the templates keep to, and `Cache-Control: no-store` on whatever a signed-in user is
shown."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from satisfaction.tests.factories import InvitationFactory

ROOT = Path(settings.BASE_DIR)
APPS = ("accounts", "notifications", "jobs", "customers", "teams", "projects", "satisfaction",
        "dashboards")


def policy(response):
    """{directive: [sources]} of the response's Content-Security-Policy."""
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in
            (part.split() for part in header.split(";") if part.strip())}


def templates():
    yield from sorted((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        yield from sorted((ROOT / app / "templates").rglob("*.html"))


# --- the policy ------------------------------------------------------------------------

@pytest.fixture
def answers(admin_client, admin_api_client, tenant):
    invitation = InvitationFactory(tenant=tenant, raw_token="csp-survey-token")
    return {
        "log-in page": Client().get(reverse("login")),
        "signed-in page": admin_client.get(reverse("customer_list")),
        "survey link": Client().get("/satisfaction/r/csp-survey-token/"),
        "survey report": admin_client.get(
            reverse("survey_detail", args=[invitation.survey_id])),
        "API": admin_api_client.get("/api/v1/me/"),
        "API docs": admin_client.get("/api/docs/"),
        "404": admin_client.get("/no-such-page/"),
    }


def test_every_answer_has_a_strict_policy(answers):
    for name, response in answers.items():
        directives = policy(response)
        assert directives["default-src"] == ["'self'"], name
        assert directives["script-src"] == ["'self'"], name
        assert directives["object-src"] == ["'none'"], name
        assert directives["frame-ancestors"] == ["'none'"], name
        assert "'unsafe-inline'" not in directives["style-src-elem"], name
        assert not any("unsafe-eval" in sources for sources in directives.values()), name


def test_a_pages_style_element_carries_the_nonce_of_its_policy(answers):
    response = answers["survey report"]
    [nonce] = re.findall(r"<style nonce=\"([^\"]+)\">", response.content.decode())
    assert f"'nonce-{nonce}'" in policy(response)["style-src-elem"]
    # A page without a style element has no nonce to give away.
    assert not any(source.startswith("'nonce-")
                   for source in policy(answers["signed-in page"])["style-src-elem"])


def test_static_files_are_served_without_the_policy(client):
    response = client.get(f"{settings.STATIC_URL}js/kam.js")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


INLINE_HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
STYLE_ELEMENT = re.compile(r"<style(?![^>]*\snonce=)[^>]*>", re.I)


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(ROOT)))
                                  for p in templates() if "/email/" not in str(p)])
def test_templates_keep_to_the_policy(path):
    """No inline handler (onclick=, onchange=…), inline script (json_script data blocks
    are the template filter's, not written here), javascript: URL or style element
    without the nonce: behaviours live in static/js (kam.js's data-* attributes)."""
    text = path.read_text(encoding="utf-8")

    assert not INLINE_HANDLER.search(text)
    assert not INLINE_SCRIPT.search(text)
    assert "javascript:" not in text.lower()
    assert not STYLE_ELEMENT.search(text)


# --- Cache-Control ---------------------------------------------------------------------

def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_pages_and_api_answers_of_a_signed_in_user_are_not_stored(admin_client,
                                                                    admin_api_client):
    pages = [admin_client.get(reverse("home")), admin_client.get(reverse("customer_list")),
             admin_client.get("/api/v1/me/"), admin_api_client.get("/api/v1/customers/"),
             admin_client.get("/no-such-page/")]

    assert [no_store(response) for response in pages] == [True] * len(pages)
    assert all("private" in response["Cache-Control"] for response in pages)


def test_static_files_keep_their_cache_for_a_signed_in_user(admin_client):
    response = admin_client.get(f"{settings.STATIC_URL}css/kam.css")

    assert response.status_code == 200 and not no_store(response)
