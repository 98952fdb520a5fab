"""Programme and milestone use cases: generation, history, bad input, atomic re-dating."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from kam.tenancy import tenant_context
from projects import selectors, services
from projects.models import (
    Milestone,
    MilestoneChange,
    MilestoneTemplate,
    PpapElement,
    Programme,
    ProgrammeSettings,
    ppap_requirement,
)
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgrammeFactory,
)

TODAY = date(2026, 5, 1)
SOP = date(2027, 6, 1)


@pytest.fixture
def user(tenant):
    return MembershipFactory(tenant=tenant, role="manager").user


@pytest.fixture
def programme(in_tenant, user):
    return services.create_programme(
        tenant=in_tenant, customer=CustomerFactory(tenant=in_tenant), code="P-1",
        name="IP for C-SUV", stage="development", nomination_date=date(2025, 3, 1),
        sop_date=SOP, project_manager=user)


def milestone(programme, kind):
    return Milestone.objects.get(programme=programme, kind=kind)


def test_creating_a_programme_generates_milestones_and_ppap(programme):
    kinds = dict(Milestone.objects.filter(programme=programme)
                 .values_list("kind", "planned_date"))
    assert len(kinds) == len(services.DEFAULT_TEMPLATE) == 15
    assert kinds["sop"] == SOP
    assert kinds["design_freeze"] == SOP - timedelta(days=560)
    assert kinds["safe_launch_exit"] == SOP + timedelta(days=90)
    assert PpapElement.objects.filter(programme=programme).count() == 18
    assert MilestoneTemplate.objects.count() == 15


def test_inactive_template_rows_are_not_generated(in_tenant, user):
    services.ensure_default_template(in_tenant)
    rows = {r.kind: (r.offset_days, r.is_active) for r in MilestoneTemplate.objects.all()}
    rows["t0"] = (rows["t0"][0], False)
    services.save_template(in_tenant, rows=rows)
    programme = services.create_programme(
        tenant=in_tenant, customer=CustomerFactory(tenant=in_tenant), code="P-2", name="X",
        sop_date=SOP)
    assert not programme.milestones.filter(kind="t0").exists()


def test_template_with_sop_before_design_freeze_is_an_error(in_tenant):
    services.ensure_default_template(in_tenant)
    rows = {r.kind: (r.offset_days, r.is_active) for r in MilestoneTemplate.objects.all()}
    rows["design_freeze"] = (30, True)
    with pytest.raises(ValidationError) as exc:
        services.save_template(in_tenant, rows=rows)
    assert "sop" in exc.value.message_dict
    assert MilestoneTemplate.objects.get(kind="design_freeze").offset_days == -560


def test_template_needs_sop_at_day_zero(in_tenant):
    with pytest.raises(ValidationError) as exc:
        services.validate_template({"sop": (5, True), "design_freeze": (-300, True)})
    assert "sop" in exc.value.message_dict


def test_forecast_change_is_kept_in_history(programme, user):
    m = milestone(programme, "t1")
    changes = services.update_milestone(m, user=user, today=TODAY,
                                        forecast_date=m.planned_date + timedelta(days=5),
                                        reason="Tool rework")
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("forecast_date", "", (m.planned_date + timedelta(days=5)).isoformat())]
    row = MilestoneChange.objects.get(milestone=m)
    assert row.changed_by == user and row.reason == "Tool rework"


def test_moving_the_customer_date_needs_a_reason(programme, user):
    m = milestone(programme, "design_freeze")
    old = m.planned_date
    with pytest.raises(ValidationError) as exc:
        services.update_milestone(m, user=user, today=TODAY,
                                  planned_date=old + timedelta(days=14))
    assert "reason" in exc.value.message_dict
    assert m.planned_date == old
    m.refresh_from_db()
    assert m.planned_date == old and not MilestoneChange.objects.exists()

    services.update_milestone(m, user=user, today=TODAY, reason="Styling change",
                              planned_date=old + timedelta(days=14))
    change = MilestoneChange.objects.get()
    assert (change.field, change.old_value, change.reason) == (
        "planned_date", old.isoformat(), "Styling change")


def test_moving_the_sop_milestone_moves_the_programme_sop(programme, user):
    m = milestone(programme, "sop")
    services.update_milestone(m, user=user, today=TODAY, reason="Customer launch moved",
                              planned_date=SOP + timedelta(days=30))
    programme.refresh_from_db()
    assert programme.sop_date == SOP + timedelta(days=30)
    with pytest.raises(ValidationError):
        services.update_programme(programme, sop_date=SOP)


@pytest.mark.parametrize(("changes", "field"), [
    ({"status": "done", "actual_date": TODAY + timedelta(days=1)}, "actual_date"),
    ({"status": "done"}, "actual_date"),
    ({"actual_date": TODAY}, "status"),
    ({"forecast_date": date(2025, 2, 1)}, "forecast_date"),  # before the nomination
    ({"status": "not_started", "progress": 50}, "progress"),
    ({"psw_disposition": "approved"}, "psw_disposition"),  # not the PPAP approval one
    ({"planned_date": date(2200, 1, 1), "reason": "x"}, "planned_date"),
])
def test_bad_milestone_input_is_a_field_error_and_saves_nothing(programme, user, changes,
                                                                field):
    m = milestone(programme, "t1")
    reason = changes.pop("reason", "")
    with pytest.raises(ValidationError) as exc:
        services.update_milestone(m, user=user, today=TODAY, reason=reason, **changes)
    assert field in exc.value.message_dict
    assert not MilestoneChange.objects.exists()
    m.refresh_from_db()
    assert m.status == "not_started" and m.actual_date is None


def test_pre_nomination_milestones_may_be_forecast_before_nomination(programme, user):
    m = milestone(programme, "quote_submitted")
    services.update_milestone(m, user=user, today=TODAY, forecast_date=date(2025, 1, 1))


def test_done_and_reopen(programme, user):
    m = milestone(programme, "kick_off")
    services.update_milestone(m, user=user, today=TODAY, status="done",
                              actual_date=date(2025, 4, 1))
    m.refresh_from_db()
    assert (m.status, m.progress) == ("done", 100)
    with pytest.raises(ValidationError) as exc:
        services.update_milestone(m, user=user, today=TODAY, status="in_progress")
    assert "reason" in exc.value.message_dict
    services.update_milestone(m, user=user, today=TODAY, status="in_progress",
                              reason="Customer rejected the kick-off minutes")
    m.refresh_from_db()
    assert m.actual_date is None and m.progress == 75
    fields = set(MilestoneChange.objects.filter(milestone=m).values_list("field", flat=True))
    assert {"status", "actual_date"} <= fields and "progress" not in fields


def test_psw_disposition_on_ppap_approval(programme, user):
    m = milestone(programme, "ppap_approval")
    with pytest.raises(ValidationError) as exc:
        services.update_milestone(m, user=user, today=TODAY, status="done",
                                  actual_date=TODAY, psw_disposition="interim")
    assert "psw_interim_expires_on" in exc.value.message_dict
    services.update_milestone(m, user=user, today=TODAY, status="done", actual_date=TODAY,
                              psw_disposition="interim",
                              psw_interim_expires_on=TODAY + timedelta(days=60))
    assert MilestoneChange.objects.filter(milestone=m, field="psw_disposition").exists()


def test_done_milestones_cannot_be_removed(programme, user):
    m = milestone(programme, "kick_off")
    services.update_milestone(m, user=user, today=TODAY, status="done",
                              actual_date=date(2025, 4, 1))
    with pytest.raises(ValidationError):
        services.remove_milestone(m)
    with pytest.raises(ValidationError):
        services.remove_milestone(milestone(programme, "sop"))
    services.remove_milestone(milestone(programme, "t0"))
    assert not programme.milestones.filter(kind="t0").exists()


def test_add_milestone_checks_the_same_rules(programme, user):
    with pytest.raises(ValidationError) as exc:
        services.add_milestone(programme, user=user, today=TODAY, kind="other",
                               name="Customer audit", planned_date=TODAY,
                               forecast_date=date(2024, 1, 1))
    assert "forecast_date" in exc.value.message_dict
    added = services.add_milestone(programme, user=user, today=TODAY, kind="other",
                                   name="Customer audit", planned_date=TODAY)
    assert added.label == "Customer audit"


def test_bulk_redate_is_all_or_nothing(programme, user):
    t1, t2, ots = (milestone(programme, k) for k in ("t1", "t2", "ots"))
    before = {m.pk: m.planned_date for m in (t1, t2, ots)}
    rows = [
        {"milestone": t1, "planned_date": t1.planned_date + timedelta(days=14)},
        {"milestone": t2, "forecast_date": date(2024, 1, 1)},  # before the nomination
        {"milestone": ots, "planned_date": ots.planned_date + timedelta(days=14)},
    ]
    with pytest.raises(services.RedateError) as exc:
        services.redate_milestones(rows, user=user, reason="Tooling slip", today=TODAY)
    assert exc.value.errors[0] == {} and "forecast_date" in exc.value.errors[1]
    assert not MilestoneChange.objects.exists()
    for m in (t1, t2, ots):
        assert m.planned_date == before[m.pk]
        m.refresh_from_db()
        assert m.planned_date == before[m.pk] and m.forecast_date is None

    with pytest.raises(services.RedateError) as exc:
        services.redate_milestones([rows[0]], user=user, reason="", today=TODAY)
    assert exc.value.reason

    del rows[1]
    assert services.redate_milestones(rows, user=user, reason="Tooling slip",
                                      today=TODAY) == 2
    assert MilestoneChange.objects.filter(reason="Tooling slip").count() == 2


def test_ppap_level_table():
    # Level 3 submits everything but the master sample and checking aids.
    level3 = [ppap_requirement(e, 3) for e in range(1, 19)]
    assert level3.count("submit") == 16 and level3[14] == level3[15] == "retain"
    assert [ppap_requirement(e, 1) for e in (13, 18)] == ["submit", "submit"]
    assert ppap_requirement(1, 1) == "retain"
    assert {ppap_requirement(e, 5) for e in range(1, 19)} == {"retain"}
    assert ppap_requirement(18, 4) == "submit" and ppap_requirement(9, 4) == "on_request"


def test_rag_settings_per_tenant(in_tenant, other_tenant):
    services.update_settings(in_tenant, tolerance_days=3, due_soon_days=21)
    assert selectors.context_for(in_tenant, TODAY)[1].tolerance_days == 3
    with tenant_context(other_tenant):
        assert selectors.context_for(other_tenant, TODAY)[1].tolerance_days == 7
    with pytest.raises(ValidationError):
        services.update_settings(in_tenant, tolerance_days=999, due_soon_days=1)
    assert ProgrammeSettings.objects.get().tolerance_days == 3


def test_programme_rag_is_set_based(in_tenant, django_assert_max_num_queries):
    for _ in range(3):
        programme = ProgrammeFactory(tenant=in_tenant)
        MilestoneFactory(tenant=in_tenant, programme=programme, planned_date=TODAY - timedelta(1))
        MilestoneFactory(tenant=in_tenant, programme=programme, planned_date=TODAY + timedelta(5))
    policy = selectors.context_for(in_tenant, TODAY)[1]
    with django_assert_max_num_queries(2):
        rows = selectors.attach_programme_rag(Programme.objects.all(), TODAY, policy)
    assert {p.rag for p in rows} == {"red"}
    assert selectors.filter_programmes_by_rag(Programme.objects.all(), "red", TODAY,
                                              policy).count() == 3
    assert not selectors.filter_programmes_by_rag(Programme.objects.all(), "green", TODAY,
                                                  policy).exists()
