"""The OPL: status flow and reasons, who verifies, stale and overdue (one definition for
Python, SQL, pages and API), the list's filters, "my OPL items", the item log, proposals
from low answers, and query counts that do not grow with the rows."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kam.tenancy import tenant_context
from satisfaction import opl, services
from satisfaction.models import OplItem, OplProposal, OplUpdate, Survey
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    OplItemFactory,
    OplUpdateFactory,
)

# --- status flow -----------------------------------------------------------------------

ALLOWED = [("open", "in_progress"), ("in_progress", "done"), ("done", "verified"),
           ("open", "blocked"), ("in_progress", "blocked"), ("blocked", "in_progress"),
           ("blocked", "open"), ("open", "cancelled"), ("blocked", "cancelled"),
           ("done", "in_progress"), ("cancelled", "open")]
REFUSED = [("open", "verified"), ("in_progress", "verified"), ("blocked", "done"),
           ("blocked", "verified"), ("verified", "open"), ("verified", "in_progress"),
           ("cancelled", "done"), ("done", "blocked"), ("cancelled", "verified")]


def move(item, status, user, role="admin"):
    return services.add_update(item, user=user, role=role, note="Step", progress=50,
                               status=status, status_reason="Customer drawing missing",
                               verification="Checked at the customer's plant")


@pytest.mark.parametrize("before,after", ALLOWED)
def test_allowed_steps(in_tenant, before, after):
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    item = OplItemFactory(tenant=in_tenant, status=before)
    update = move(item, after, admin)
    item.refresh_from_db()
    assert item.status == after
    assert (update.status_from, update.status_to) == (before, after)
    assert item.status_reason == ("Customer drawing missing"
                                  if after in ("blocked", "cancelled") else "")


@pytest.mark.parametrize("before,after", REFUSED)
def test_refused_steps_are_a_status_error_and_save_nothing(in_tenant, before, after):
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    item = OplItemFactory(tenant=in_tenant, status=before, progress=10)
    with pytest.raises(ValidationError) as exc:
        move(item, after, admin)
    assert "status" in exc.value.message_dict
    item = OplItem.objects.get(pk=item.pk)
    assert (item.status, item.progress) == (before, 10) and not item.updates.exists()


@pytest.mark.parametrize("status", ["blocked", "cancelled"])
def test_blocked_and_cancelled_need_a_reason(in_tenant, status):
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    item = OplItemFactory(tenant=in_tenant, status="in_progress")
    with pytest.raises(ValidationError) as exc:
        services.add_update(item, user=admin, role="admin", note="Stuck", progress=30,
                            status=status, status_reason="   ")
    assert "status_reason" in exc.value.message_dict
    assert OplItem.objects.get(pk=item.pk).status == "in_progress"
    assert not OplUpdate.objects.exists()


def test_verification_needs_a_note_and_the_right_person(in_tenant):
    kam = MembershipFactory(tenant=in_tenant, role="member").user
    owner = MembershipFactory(tenant=in_tenant, role="member").user
    manager = MembershipFactory(tenant=in_tenant, role="manager").user
    item = OplItemFactory(tenant=in_tenant, status="done", owner=owner, accountable=kam,
                          verification="")
    for user, role in ((owner, "member"), (manager, "manager")):
        with pytest.raises(ValidationError) as exc:
            services.add_update(item, user=user, role=role, note="ok", progress=100,
                                status="verified", verification="Looked fine")
        assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_update(item, user=kam, role="member", note="ok", progress=100,
                            status="verified")
    assert set(exc.value.message_dict) == {"verification"}
    assert OplItem.objects.get(pk=item.pk).status == "done" and not item.updates.exists()
    services.add_update(item, user=kam, role="member", note="ok", progress=100,
                        status="verified", verification="Three clean weeks")
    item.refresh_from_db()
    assert (item.status, item.verified_by, item.verification) == (
        "verified", kam, "Three clean weeks")
    # Verified is final: no more updates.
    with pytest.raises(ValidationError):
        services.add_update(item, user=kam, role="member", note="again", progress=100)


@pytest.mark.parametrize("role", ["admin", "executive"])
def test_executives_and_admins_verify_any_item(in_tenant, role):
    boss = MembershipFactory(tenant=in_tenant, role=role).user
    item = OplItemFactory(tenant=in_tenant, status="done", verification="Audit passed")
    services.add_update(item, user=boss, role=role, note="ok", progress=100,
                        status="verified")
    assert OplItem.objects.get(pk=item.pk).verified_by == boss


def test_api_reasons_and_verification(bearer_client, tenant):
    kam = MembershipFactory(tenant=tenant, role="manager")
    api = bearer_client(kam)
    item = OplItemFactory(tenant=tenant, accountable=kam.user, status="in_progress")
    url = f"/api/v1/opl-items/{item.pk}/"
    blocked = api.patch(url, {"status": "blocked"}, content_type="application/json")
    assert blocked.status_code == 400 and "status_reason" in blocked.json()
    assert api.patch(url, {"status": "blocked", "status_reason": "Waiting for drawings"},
                     content_type="application/json").json()["status_reason"] == (
        "Waiting for drawings")
    # Cancelling needs its own reason, not the one it was blocked for.
    cancelled = api.patch(url, {"status": "cancelled"}, content_type="application/json")
    assert cancelled.status_code == 400 and "status_reason" in cancelled.json()
    with tenant_context(tenant):
        assert OplItem.objects.get(pk=item.pk).status == "blocked"
    done = api.post(url + "updates/", {"note": "Unblocked", "progress": 70,
                                       "status": "in_progress"},
                    content_type="application/json")
    assert done.status_code == 201 and done.json()["status_to"] == "in_progress"
    verified = api.post(url + "updates/", {"note": "x", "progress": 100, "status": "verified",
                                           "verification": "ok"},
                        content_type="application/json")
    assert verified.status_code == 400 and "status" in verified.json()
    log = api.get(url + "updates/").json()["results"]
    assert [(u["status_from"], u["status_to"]) for u in log] == [
        ("blocked", "in_progress"), ("in_progress", "blocked")]


# --- stale and overdue -----------------------------------------------------------------

def flags(item_pk, today, now=None):
    row = opl.annotate_flags(OplItem.objects.filter(pk=item_pk), today=today, now=now).get()
    assert (opl.is_overdue(row, today), opl.is_stale(row, now)) == (row.is_overdue,
                                                                    row.is_stale)
    return row.is_overdue, row.is_stale


@pytest.mark.parametrize("status,age,due_days,expected", [
    ("open", timedelta(days=13, hours=23), 0, (False, False)),   # due today: not yet
    ("open", timedelta(days=14, minutes=1), -1, (True, True)),
    ("in_progress", timedelta(days=20), 5, (False, True)),
    ("blocked", timedelta(days=1), -10, (True, False)),
    ("done", timedelta(days=40), -10, (False, False)),
    ("verified", timedelta(days=40), -10, (False, False)),
    ("cancelled", timedelta(days=40), -10, (False, False)),
    ("open", timedelta(days=1), None, (False, False)),            # no due date
])
def test_stale_and_overdue_boundaries(in_tenant, status, age, due_days, expected):
    now = timezone.now()
    today = in_tenant.today()
    item = OplItemFactory(tenant=in_tenant, status=status, last_update_at=now - age,
                          due_date=None if due_days is None else today + timedelta(due_days))
    assert flags(item.pk, today, now) == expected


def test_only_a_progress_update_ends_staleness(in_tenant, admin_client):
    item = OplItemFactory(tenant=in_tenant, last_update_at=timezone.now() - timedelta(days=20))
    manager = MembershipFactory(tenant=in_tenant, role="manager").user
    services.update_item(item, user=manager, role="manager", title="Renamed")
    assert flags(item.pk, in_tenant.today()) == (False, True)
    services.add_update(OplItem.objects.get(pk=item.pk), user=manager, role="manager",
                        note="Called the plant", progress=20)
    assert flags(item.pk, in_tenant.today()) == (False, False)


def test_overdue_uses_the_tenants_date(tenant, admin_client):
    # 20:00 UTC is already the next day in Shanghai (the tenant's time zone): an item due
    # on the UTC date is overdue there.
    tomorrow = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    now = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 20, tzinfo=UTC)
    with tenant_context(tenant):
        OplItemFactory(tenant=tenant, title="Due on the UTC date", due_date=tomorrow,
                       last_update_at=now)
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert tenant.today() == tomorrow + timedelta(days=1)
        page = admin_client.get(reverse("opl_list") + "?overdue=1")
        assert titles(page) == ["Due on the UTC date"]
        api = admin_client.get("/api/v1/opl-items/?overdue=true").json()
    assert [r["title"] for r in api["results"]] == ["Due on the UTC date"]


# --- the list page, "my OPL items" and the item page -----------------------------------

@pytest.fixture
def opl_rows(tenant):
    with tenant_context(tenant):
        u1 = MembershipFactory(tenant=tenant, role="member").user
        u2 = MembershipFactory(tenant=tenant, role="manager").user
        c1 = CustomerFactory(tenant=tenant, name="Chery")
        c2 = CustomerFactory(tenant=tenant, name="Geely")
        today, now = tenant.today(), timezone.now()
        OplItemFactory(tenant=tenant, title="A", customer=c1, owner=u1, accountable=u2,
                       status="open", source="meeting", due_date=today - timedelta(days=2))
        OplItemFactory(tenant=tenant, title="B", customer=c2, owner=u2, accountable=u2,
                       status="in_progress", source="survey",
                       last_update_at=now - timedelta(days=30))
        OplItemFactory(tenant=tenant, title="C", customer=c1, owner=u2, accountable=u1,
                       status="done", source="audit", due_date=today - timedelta(days=9))
        OplItemFactory(tenant=tenant, title="D", customer=c2, owner=u2, accountable=u2,
                       status="blocked", source="visit", status_reason="Waiting")
    return {"u1": u1, "u2": u2, "c1": c1, "c2": c2}


def titles(response):
    assert response.status_code == 200
    return sorted(i.title for i in response.context["page"].object_list)


@pytest.mark.parametrize("query,expected", [
    ("", ["A", "B", "C", "D"]),
    ("customer={c1}", ["A", "C"]),
    ("owner={u2}", ["B", "C", "D"]),
    ("status=done", ["C"]),
    ("status=active", ["A", "B", "D"]),
    ("overdue=1", ["A"]),
    ("overdue=0", ["B", "C", "D"]),
    ("stale=1", ["B"]),
    ("stale=0", ["A", "C", "D"]),
    ("source=survey", ["B"]),
    ("customer={c2}&status=active&stale=0", ["D"]),
])
def test_opl_list_filters(opl_rows, admin_client, query, expected):
    ids = {k: v.pk for k, v in opl_rows.items()}
    assert titles(admin_client.get(reverse("opl_list") + "?" + query.format(**ids))) == expected


def test_my_opl_items_are_those_i_own_or_answer_for(opl_rows, client):
    client.force_login(opl_rows["u1"])
    assert titles(client.get(reverse("opl_mine"))) == ["A", "C"]
    assert titles(client.get(reverse("opl_mine") + "?status=active")) == ["A"]
    client.force_login(opl_rows["u2"])
    assert titles(client.get(reverse("opl_mine"))) == ["A", "B", "C", "D"]


def test_item_page_shows_its_log_newest_first(in_tenant, admin_client):
    kam = MembershipFactory(tenant=in_tenant, role="manager").user
    item = services.create_item(in_tenant, user=kam, customer=CustomerFactory(tenant=in_tenant),
                                title="Squeak on the centre console", accountable=kam)
    services.add_update(item, user=kam, role="manager", note="Clip tolerance found",
                        progress=40, status="in_progress")
    services.add_update(item, user=kam, role="manager", note="Tool corrected", progress=80)
    text = admin_client.get(reverse("opl_detail", args=[item.pk])).content.decode()
    log = text[text.index("opl-log"):]
    assert log.index("Tool corrected") < log.index("Clip tolerance found") < log.index(
        "Item opened.")
    assert "80 %" in log and "Open → In progress" in log


def test_browser_update_needs_a_reason_and_saves_nothing(in_tenant, admin_client):
    item = OplItemFactory(tenant=in_tenant, status="in_progress")
    response = admin_client.post(reverse("opl_update", args=[item.pk]), {
        "note": "Stuck", "progress": 30, "status": "blocked", "status_reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["status_reason"]
    assert OplItem.objects.get(pk=item.pk).status == "in_progress"
    assert not OplUpdate.objects.exists()


# --- low answers propose items ---------------------------------------------------------

def test_low_answers_propose_items_the_kam_accepts_or_dismisses(survey_setup,
                                                                 admin_api_client):
    setup = survey_setup
    survey = Survey.objects.get(customer=setup["alpha"])
    questions = services.questions_for(survey, "logistics")
    scores = {q.pk: 4 for q in questions}
    scores[questions[0].pk], scores[questions[1].pk] = 3, 1  # 60 % and 20 % of 5
    services.save_response(survey, department="logistics", scores=scores, source="agency",
                           answer_comments={questions[1].pk: "Two line stops in May."})
    proposals = {p.answer.question_id: p for p in OplProposal.objects.all()}
    assert set(proposals) == {questions[0].pk, questions[1].pk}
    worst = proposals[questions[1].pk]
    assert worst.customer == setup["alpha"] and worst.department == "logistics"
    assert "1/5" in worst.title and "Two line stops in May." in worst.description
    accepted = admin_api_client.post(f"/api/v1/opl-proposals/{worst.pk}/accept/")
    assert accepted.status_code == 201, accepted.json()
    item = accepted.json()
    assert (item["source"], item["department"], item["priority"], item["status"]) == (
        "survey", "logistics", "critical", "open")
    assert item["owner"] == item["accountable"] == setup["kam"].pk  # the customer's KAM
    assert item["title"] == worst.title and item["due_date"]
    again = admin_api_client.post(f"/api/v1/opl-proposals/{worst.pk}/accept/")
    assert again.status_code == 400
    other = proposals[questions[0].pk]
    dismissed = admin_api_client.post(f"/api/v1/opl-proposals/{other.pk}/dismiss/")
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert OplItem.objects.count() == 1
    # Answering better later withdraws a proposal still waiting; decided ones stay.
    services.save_response(survey, department="logistics", scores={q.pk: 5 for q in questions},
                           source="agency")
    assert sorted(OplProposal.objects.values_list("status", flat=True)) == [
        "accepted", "dismissed"]


# --- bounded queries -------------------------------------------------------------------

def make_items(tenant, count):
    with tenant_context(tenant):
        for n in range(count):
            item = OplItemFactory(tenant=tenant, due_date=tenant.today() - timedelta(days=n % 3),
                                  last_update_at=timezone.now() - timedelta(days=n % 20))
            OplUpdateFactory(tenant=tenant, item=item)


PAGE_QUERIES = 15
API_QUERIES = 8


@pytest.mark.parametrize("count", [5, 50])
def test_opl_list_page_queries_do_not_grow_with_rows(tenant, admin_client, count,
                                                     django_assert_max_num_queries):
    make_items(tenant, count)
    for url in (reverse("opl_list"), reverse("opl_list") + "?status=active&overdue=1",
                reverse("opl_mine")):
        with django_assert_max_num_queries(PAGE_QUERIES):
            assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_opl_api_list_queries_do_not_grow_with_rows(tenant, admin_api_client, count,
                                                    django_assert_max_num_queries):
    make_items(tenant, count)
    with django_assert_max_num_queries(API_QUERIES):
        body = admin_api_client.get("/api/v1/opl-items/?page_size=50").json()
    assert body["count"] == count and len(body["results"]) == count
    with django_assert_max_num_queries(API_QUERIES):
        assert admin_api_client.get("/api/v1/opl-items/?overdue=true&stale=false"
                                    ).status_code == 200


def test_api_overdue_and_stale_filters(opl_rows, admin_api_client):
    def names(query):
        data = admin_api_client.get("/api/v1/opl-items/?" + query).json()
        return sorted(r["title"] for r in data["results"])

    assert names("overdue=true") == ["A"]
    assert names("overdue=false") == ["B", "C", "D"]
    assert names("stale=true") == ["B"]
    assert names("stale=false") == ["A", "C", "D"]
    assert names(f"customer={opl_rows['c1'].pk}&overdue=false") == ["C"]
    assert names("source=survey&stale=true") == ["B"]
    row = admin_api_client.get("/api/v1/opl-items/?stale=true").json()["results"][0]
    assert {"customer", "title", "owner", "due_date", "status", "progress", "overdue",
            "stale"} <= set(row) and (row["overdue"], row["stale"]) == (False, True)


def test_an_accountable_viewer_cannot_verify_or_update(in_tenant, client):
    viewer = MembershipFactory(tenant=in_tenant, role="viewer").user
    item = OplItemFactory(tenant=in_tenant, status="done", accountable=viewer,
                          verification="Checked")
    assert not opl.can_verify(item, viewer, "viewer")
    client.force_login(viewer)
    client.post(reverse("opl_update", args=[item.pk]),
                {"note": "Fine", "progress": 100, "status": "verified"})
    assert OplItem.objects.get(pk=item.pk).status == "done" and not item.updates.exists()
    assert "Add a progress update" not in client.get(
        reverse("opl_detail", args=[item.pk])).content.decode()
