"""Ops endpoints: /healthz (process up) and /readyz (database and broker reachable).

Both answer without login; load balancers and docker-compose's health checks call them.
"""

import pytest
from django.db import DatabaseError


def test_healthz_answers_without_login_or_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_database_and_configured_broker(client, settings):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"] == "ok"
    if settings.REDIS_URL:
        # CI (and the full stack) run with Redis: the broker must be checked, and be up.
        assert data["broker"] == "ok"
    else:
        # Embedded default: tasks run in-process, there is no broker to check.
        assert "broker" not in data
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "unavailable"
    assert data["broker"] == "unreachable"
    assert data["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_is_down(client, monkeypatch):
    from kam import views

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)

    response = client.get("/readyz")

    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "unavailable"
    assert data["database"] == "unreachable"

