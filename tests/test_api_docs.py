"""The API's published description: the OpenAPI schema, the offline Swagger UI, and the
401 that tells a client how to authenticate."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_openapi_3_and_public(openapi):
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "KAM API"


def test_schema_names_the_core_paths(openapi):
    assert "get" in openapi["paths"]["/api/v1/me/"]
    assert "get" in openapi["paths"]["/api/v1/notifications/"]
    assert "post" in openapi["paths"]["/api/v1/notifications/{id}/read/"]


def test_schema_declares_bearer_authentication(openapi):
    schemes = openapi["components"]["securitySchemes"]
    bearer = [name for name, scheme in schemes.items()
              if scheme.get("type") == "http" and scheme.get("scheme") == "bearer"]
    assert bearer, schemes
    for path in ("/api/v1/me/", "/api/v1/notifications/"):
        security = openapi["paths"][path]["get"]["security"]
        assert {bearer[0]: []} in security, (path, security)


def test_schema_documents_error_answers(openapi):
    me = openapi["paths"]["/api/v1/me/"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)
    # One object (a retrieve at `me/`, without an id), not a list.
    assert me["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Me"
    }
    retrieve = openapi["paths"]["/api/v1/notifications/{id}/"]["get"]["responses"]
    assert "404" in retrieve


class _AssetCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_swagger_ui_is_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="swagger-ui"' in page

    # Nothing is loaded from another host (no CDN): no absolute or protocol-relative URL.
    foreign = [url for url in re.findall(r"""(?:https?:)?//[^\s"'<>()]+""", page)
               if urlsplit(url if url.startswith("http") else "http:" + url).hostname
               != "testserver"]
    assert foreign == []

    # Every src/href is one of our static files, found by the staticfiles finders
    # (so `collectstatic` ships it and WhiteNoise serves it), but for the start-up script,
    # which the page asks of itself (no inline script: the Content-Security-Policy).
    collector = _AssetCollector()
    collector.feed(page)
    start_up = "/api/docs/?script="
    assert start_up in collector.urls
    assets = [url for url in collector.urls if url != start_up]
    assert any(url.endswith(".js") for url in assets), assets
    assert any(url.endswith(".css") for url in assets), assets
    for url in assets:
        path = urlsplit(url).path
        assert path.startswith(settings.STATIC_URL), f"{url} is not a static file"
        assert finders.find(path.removeprefix(settings.STATIC_URL)), f"{url} is not found"
    assert "<script>" not in page and "<style>" not in page

    # The start-up script loads the schema from this site.
    script = client.get(start_up)
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()


def test_api_root_without_credentials_asks_for_a_bearer_token(client):
    response = client.get("/api/v1/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


def test_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/no-such-resource/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
