"""Every resource with a history of changes serves it at `GET …/{id}/history/`, for its
own tenant only (records.history)."""

import pytest

from kam.tenancy import tenant_context
from tests.factories import (
    AccountPlanFactory,
    ContactFactory,
    CustomerFactory,
    InitiativeFactory,
    PeriodFigureFactory,
    ProgrammeFactory,
    ScoringPolicyFactory,
    TeamFactory,
    TeamMemberFactory,
    TierOverrideFactory,
)

API = "/api/v1"

# resource, factory, a field to change and its new value (as the history shows it)
TRACKED = [
    ("customers", CustomerFactory, "name", "Renamed"),
    ("contacts", ContactFactory, "title", "Head of quality"),
    ("customer-figures", PeriodFigureFactory, "payment_days", 45),
    ("account-plans", AccountPlanFactory, "strategy", "Hold the platform."),
    ("initiatives", InitiativeFactory, "title", "Renamed initiative"),
    ("tier-overrides", TierOverrideFactory, "reason", "Renewed award"),
    ("scoring-policies", ScoringPolicyFactory, "lookback_quarters", 8),
    ("teams", TeamFactory, "notes", "Fortnightly stand-up."),
    ("team-members", TeamMemberFactory, "notes", "Also quality."),
    ("programmes", ProgrammeFactory, "vehicle", "Large SUV platform"),
]


@pytest.mark.parametrize(("resource", "factory", "field", "value"), TRACKED,
                         ids=[row[0] for row in TRACKED])
def test_each_tracked_resource_serves_its_changes_to_its_tenant_only(
        tenant, other_tenant, api, resource, factory, field, value):
    with tenant_context(tenant):
        row = factory(tenant=tenant)
        old = getattr(row, field)
        setattr(row, field, value)
        row.save()
    with tenant_context(other_tenant):
        theirs = factory(tenant=other_tenant)
    client = api("admin")

    response = client.get(f"{API}/{resource}/{row.pk}/history/")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["field"], r["old"], r["new"]) for r in rows if r["change"] == "changed"] == [
        (field, None if old is None else str(old), str(value))]
    assert rows[-1]["change"] == "created"
    assert client.get(f"{API}/{resource}/{theirs.pk}/history/").status_code == 404
