"""The integrator guide's worked example (docs/integrators.md), call by call, as an
integrator would run it against a workspace: if the guide stops being true, this fails."""

import json
import re
from pathlib import Path

from django.conf import settings

from customers.models import Customer, PeriodFigure
from kam.tenancy import tenant_context
from tests.factories import CustomerFactory

API = "/api/v1"
GUIDE = Path(settings.BASE_DIR, "docs", "integrators.md").read_text(encoding="utf-8")


def curl_bodies():
    """The JSON bodies of the guide's curl calls, by path."""
    calls = re.findall(r"-d '(.*?)' \\\n\s+(?:-H '[^']*' \\\n\s+)*\"\$KAM(/[^\"]+)\"", GUIDE)
    return {path: json.loads(body) for body, path in calls}


def test_the_guides_sync_and_upserts_work_as_written(tenant, admin_api_client):
    bodies = curl_bodies()
    assert set(bodies) == {"/customers/by-code/CJA/", "/customer-figures/bulk/"}
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, code="GWM", name="Great Wall")
    client = admin_api_client

    changed = client.get(f"{API}/customers/",
                         {"updated_since": "2026-01-01T00:00:00Z", "page_size": 200})
    assert changed.status_code == 200, changed.content
    assert [row["code"] for row in changed.json()["results"]] == ["GWM"]
    assert changed.json()["results"][0]["updated_at"]

    created = client.put(f"{API}/customers/by-code/CJA/", bodies["/customers/by-code/CJA/"],
                         content_type="application/json")
    assert created.status_code == 201, created.content
    again = client.put(f"{API}/customers/by-code/CJA/", {"name": "Changjiang Automobile"},
                       content_type="application/json")
    assert again.status_code == 200, again.content

    figures = bodies["/customer-figures/bulk/"]
    headers = {"Idempotency-Key": "figures-2026Q3-run-41"}
    first = client.post(f"{API}/customer-figures/bulk/", figures,
                        content_type="application/json", headers=headers)
    retried = client.post(f"{API}/customer-figures/bulk/", figures,
                          content_type="application/json", headers=headers)
    assert first.status_code == retried.status_code, first.content
    assert first.status_code < 300, first.content
    assert retried.headers["Idempotent-Replayed"] == "true"

    with tenant_context(tenant):
        assert Customer.objects.get(code="CJA").name == "Changjiang Automobile"
        assert PeriodFigure.objects.filter(customer__code="CJA", period="2026Q3").count() == 1
        Customer.objects.filter(code="GWM").delete()

    gone = client.get(f"{API}/deletions/", {"since": "2026-01-01T00:00:00Z",
                                           "resource": "customers", "page_size": 200})
    assert gone.status_code == 200, gone.content
    assert [row["code"] for row in gone.json()["results"]] == ["GWM"]
