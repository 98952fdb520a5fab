"""Who can be put in charge, across the apps: a customer's owner and an OPL item's
accountable KAM are account managers; the owner of a piece of work (an OPL item,
milestone, risk, initiative, PPAP element, a programme's project manager) is someone who
edits: an administrator, account manager or team member. The pickers offer just them, and
the API refuses anyone else with a field error."""

import json
import re

import pytest
from django.urls import reverse

from customers.forms import CustomerForm, InitiativeForm
from kam.tenancy import tenant_context
from projects.forms import MilestoneForm, PpapElementForm, ProgrammeForm, RiskForm
from projects.tests.factories import (
    MilestoneFactory,
    PpapElementFactory,
    ProgrammeFactory,
    RiskFactory,
)
from satisfaction.forms import OplItemForm
from tests.factories import (
    AccountPlanFactory,
    CustomerFactory,
    InitiativeFactory,
    MembershipFactory,
    OplItemFactory,
)

API = "/api/v1"
WORKERS = {"admin", "manager", "member"}


@pytest.fixture
def people(tenant):
    """One active member per role, plus a manager who left and one whose login is off."""
    people = {role: MembershipFactory(tenant=tenant, role=role).user
              for role in ("admin", "executive", "manager", "member", "viewer")}
    people["former manager"] = MembershipFactory(tenant=tenant, role="manager",
                                                 is_active=False).user
    people["disabled manager"] = MembershipFactory(tenant=tenant, role="manager",
                                                   user__is_active=False).user
    return people


def offered(field, people):
    """The names in `people` of the users a form field offers."""
    ids = {user.pk for user in field.queryset}
    return {name for name, user in people.items() if user.pk in ids}


def test_the_customer_owner_picker_lists_account_managers_only(tenant, people, client):
    client.force_login(people["admin"])

    page = client.get(reverse("customer_create")).content.decode()

    select = re.search(r'<select name="owner".*?</select>', page, re.S)[0]
    listed = set(re.findall(r'<option value="(\d+)"', select))
    assert listed == {str(people["manager"].pk)}


@pytest.mark.parametrize("form, field, expected", [
    (lambda tenant: InitiativeForm(plan=AccountPlanFactory(tenant=tenant), tenant=tenant),
     "owner", WORKERS),
    (lambda tenant: ProgrammeForm(tenant=tenant), "project_manager", WORKERS),
    (lambda tenant: MilestoneForm(tenant=tenant), "owner", WORKERS),
    (lambda tenant: RiskForm(tenant=tenant), "owner", WORKERS),
    (lambda tenant: PpapElementForm(tenant=tenant), "owner", WORKERS),
    (lambda tenant: OplItemForm(tenant=tenant), "owner", WORKERS),
    (lambda tenant: OplItemForm(tenant=tenant), "accountable", {"manager"}),
], ids=["initiative owner", "project manager", "milestone owner", "risk owner",
        "PPAP element owner", "OPL item owner", "OPL accountable KAM"])
def test_work_pickers_list_who_can_edit_it(tenant, people, form, field, expected):
    with tenant_context(tenant):
        assert offered(form(tenant).fields[field], people) == expected


def test_editing_keeps_a_current_owner_who_is_no_longer_offered(tenant, people, client):
    customer = CustomerFactory(tenant=tenant, owner=people["viewer"], code="KEEP")
    client.force_login(people["admin"])

    response = client.post(reverse("customer_edit", args=[customer.pk]), {
        "code": "KEEP", "name": "Kept Motors", "segment": customer.segment,
        "lifecycle_stage": customer.lifecycle_stage, "owner": people["viewer"].pk,
        "is_active": "on"})

    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(tenant):
        customer.refresh_from_db()
        assert (customer.name, customer.owner) == ("Kept Motors", people["viewer"])
        assert offered(CustomerForm(tenant=tenant).fields["owner"], people) == {"manager"}


def _send(client, method, url, data):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


# (the row to write to or None, method, endpoint, payload without the user field, field,
#  a role the field accepts)
WRITES = {
    "customer owner": (None, "post", "customers/",
                       lambda t: {"code": "NEW", "name": "New Motors"}, "owner", "manager"),
    "initiative owner": (None, "post", "initiatives/",
                         lambda t: {"plan": AccountPlanFactory(tenant=t).pk,
                                    "title": "Door panel RFQ"}, "owner", "member"),
    "OPL item owner": (None, "post", "opl-items/",
                       lambda t: {"customer": CustomerFactory(tenant=t).pk,
                                  "source": "meeting", "title": "Late deliveries",
                                  "department": "logistics", "priority": "high"},
                       "owner", "member"),
    "OPL accountable KAM": (None, "post", "opl-items/",
                            lambda t: {"customer": CustomerFactory(tenant=t).pk,
                                       "source": "meeting", "title": "Late deliveries",
                                       "department": "logistics", "priority": "high"},
                            "accountable", "manager"),
    "project manager": (ProgrammeFactory, "patch", "programmes/", lambda t: {},
                        "project_manager", "member"),
    "milestone owner": (MilestoneFactory, "patch", "milestones/", lambda t: {}, "owner",
                        "member"),
    "risk owner": (RiskFactory, "patch", "risks/", lambda t: {}, "owner", "member"),
    "PPAP element owner": (PpapElementFactory, "patch", "ppap-elements/", lambda t: {},
                           "owner", "member"),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_the_api_refuses_whom_the_pickers_do_not_offer(tenant, people, bearer_client, write):
    row_factory, method, endpoint, payload, field, allowed = write
    client = bearer_client(MembershipFactory(tenant=tenant, role="admin"))
    with tenant_context(tenant):
        row = row_factory(tenant=tenant) if row_factory else None
        data = payload(tenant)
    url = f"{API}/{endpoint}" + (f"{row.pk}/" if row is not None else "")

    for refused in ("viewer", "executive", "former manager", "disabled manager"):
        response = _send(client, method, url, {**data, field: people[refused].pk})
        assert response.status_code == 400, (refused, response.content)
        assert list(response.json()) == [field], refused

    response = _send(client, method, url, {**data, field: people[allowed].pk})
    assert response.status_code in (200, 201), response.content
    assert response.json()[field] == people[allowed].pk


def test_the_api_accepts_a_row_sent_back_with_its_current_owner(tenant, people,
                                                                bearer_client):
    customer = CustomerFactory(tenant=tenant, owner=people["viewer"])
    item = OplItemFactory(tenant=tenant, customer=customer, owner=people["executive"],
                          accountable=people["member"])
    initiative = InitiativeFactory(tenant=tenant, owner=people["viewer"])
    client = bearer_client(MembershipFactory(tenant=tenant, role="admin"))

    for url, data in ((f"{API}/customers/{customer.pk}/", {"owner": people["viewer"].pk,
                                                            "city": "Wuhu"}),
                      (f"{API}/opl-items/{item.pk}/", {"owner": people["executive"].pk,
                                                        "accountable": people["member"].pk,
                                                        "title": "Renamed"}),
                      (f"{API}/initiatives/{initiative.pk}/", {"owner": people["viewer"].pk,
                                                               "title": "Renamed"})):
        response = _send(client, "patch", url, data)
        assert response.status_code == 200, (url, response.content)
    # …but not someone else who is not offered.
    response = _send(client, "patch", f"{API}/customers/{customer.pk}/",
                     {"owner": people["member"].pk})
    assert response.status_code == 400 and list(response.json()) == ["owner"]
