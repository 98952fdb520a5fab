"""Demo programmes for `manage.py seed_demo` (runs after the customers' seed).

2–4 programmes for most demo customers at different stages, their milestones done up to
today, and a few slipping for reasons written in their history, so that the dashboards show
amber and red for a reason one can read. A few programmes for the `second` tenant.
Deterministic (seeded random) and idempotent: a tenant that has programmes is left alone.
All names are invented.
"""

import random
from datetime import UTC, datetime, time, timedelta

from accounts.models import Membership, Role
from customers.models import Customer

from . import services
from .models import (
    Milestone,
    MilestoneChange,
    MilestoneKind,
    MilestoneStatus,
    PpapElement,
    PpapElementStatus,
    PpapRequirement,
    Programme,
    PswDisposition,
    Risk,
    RiskCategory,
    RiskStatus,
    Stage,
    ppap_requirement,
)

PART_FAMILIES = ["Instrument panel", "Door trim", "Centre console", "Headliner",
                 "Seat back panel", "Pillar trim", "Cockpit module", "Trunk trim"]
VEHICLES = ["B-SUV", "C-sedan", "D-SUV BEV", "MPV", "Compact BEV", "Pickup", "E-sedan",
            "City car"]

# (milestone kind it hits, field, days, reason): slips as they happen in real programmes.
SLIPS = [
    (MilestoneKind.DESIGN_FREEZE, "planned_date", 21,
     "Customer styling change on the IP upper after the clinic; design freeze moved."),
    (MilestoneKind.T1, "forecast_date", 5,
     "T1 trial: flash on the grained surface; tool rework at the toolmaker."),
    (MilestoneKind.T2, "forecast_date", 18,
     "Toolmaker capacity: second cavity late, T2 trial moved."),
    (MilestoneKind.OTS, "forecast_date", 4,
     "Skin supplier delivers the TPO foil three days late."),
    (MilestoneKind.PPAP_SUBMISSION, "forecast_date", 25,
     "Gap and flush out of tolerance at OTS; checking fixture modified, PPAP run delayed."),
    (MilestoneKind.TOOLING_KICK_OFF, "forecast_date", 12,
     "Tool steel allocation from the mill; kick-off waits for the blocks."),
]

RISKS = [
    ("Grain gloss variation on the TPO skin", RiskCategory.QUALITY,
     "Gloss meter check per batch; second grain plate ordered."),
    ("Press capacity at the plant in the SOP quarter", RiskCategory.CAPACITY,
     "Shift model to 3×8 from SOP−2 months; overflow tool at sister plant."),
    ("Single-source foam supplier", RiskCategory.SUPPLY_CHAIN,
     "Qualify a second foam supplier before PPAP."),
    ("Airbag tear seam validation at −35 °C", RiskCategory.TECHNICAL,
     "Extra cold-deployment tests booked at the customer's lab."),
    ("Resin price increase not covered by the quote", RiskCategory.COMMERCIAL,
     "Raw-material index clause negotiated with purchasing."),
    ("Soft-touch paint VOC limits", RiskCategory.QUALITY,
     "Switch to the low-VOC paint system validated on another programme."),
]


def seed(tenant):
    if Programme.objects.exists():
        return
    rng = random.Random(f"kam-programmes-{tenant.slug}")
    today = tenant.today()
    people = {role: [] for role in Role.values}
    for membership in Membership.objects.filter(is_active=True).select_related("user"):
        people[membership.role].append(membership.user)
    pms = people[Role.MANAGER] + people[Role.MEMBER] or people[Role.ADMIN]
    owners = people[Role.MEMBER] + people[Role.MANAGER] or people[Role.ADMIN]
    services.ensure_default_template(tenant)
    services.programme_settings(tenant)
    customers = list(Customer.objects.order_by("code"))
    if tenant.slug != "demo":
        customers = customers[:3]
    number = 0
    for index, customer in enumerate(customers):
        if tenant.slug == "demo" and index % 6 == 5:
            continue  # a few customers have no programme
        count = rng.randint(2, 4) if tenant.slug == "demo" else 1
        for _ in range(count):
            number += 1
            _programme(tenant, rng, today, customer, number, pms, owners)


def _programme(tenant, rng, today, customer, number, pms, owners):
    # SOP from 14 months ago to 30 months ahead: every stage shows up.
    sop = today + timedelta(days=rng.randint(-420, 900))
    days_to_sop = (sop - today).days
    pm = rng.choice(pms) if pms else None
    family, vehicle = rng.choice(PART_FAMILIES), rng.choice(VEHICLES)
    stage = _stage(days_to_sop, rng)
    nomination = sop - timedelta(days=780) if stage not in (Stage.RFQ, Stage.QUOTED) else None
    if nomination and nomination > today:
        nomination = today - timedelta(days=rng.randint(5, 30))
    programme = services.create_programme(
        tenant=tenant, customer=customer, code=f"{customer.code}-{number:03d}",
        name=f"{customer.name.split()[0]} {vehicle} {family.lower()}",
        vehicle=vehicle, part_family=family,
        annual_volume=rng.choice([40_000, 80_000, 120_000, 180_000, 250_000]),
        lifetime_value=rng.choice([12, 25, 48, 75, 120, 160]) * 1_000_000,
        project_manager=pm, stage=stage, nomination_date=nomination, sop_date=sop,
        ppap_level=rng.choice([3, 3, 3, 2, 4]),
    )
    milestones = list(programme.milestones.select_related("tenant", "programme")
                      .order_by("planned_date", "id"))
    for milestone in milestones:
        if owners and milestone.kind not in (MilestoneKind.SOP, MilestoneKind.NOMINATION):
            milestone.owner = rng.choice(owners)
    Milestone.objects.bulk_update(milestones, ["owner"])
    if stage == Stage.LOST:
        _progress(milestones, today, pm, rng, upto=MilestoneKind.QUOTE_SUBMITTED)
        return programme
    slipping = rng.random() < 0.3
    _progress(milestones, today, pm, rng, late_one=slipping and rng.random() < 0.5)
    if slipping:
        _slip(milestones, today, pm, rng)
    _started(milestones, today, pm)
    _risks(tenant, programme, rng, owners)
    _ppap(programme, milestones, rng)
    return programme


def _stage(days_to_sop, rng):
    if days_to_sop > 800:
        return Stage.RFQ if rng.random() < 0.5 else Stage.QUOTED
    if rng.random() < 0.05:
        return Stage.LOST
    if days_to_sop > 560:
        return Stage.NOMINATED
    if days_to_sop > 200:
        return Stage.DEVELOPMENT
    if days_to_sop > 0:
        return Stage.VALIDATION if days_to_sop > 60 else Stage.LAUNCH
    if days_to_sop > -90:
        return Stage.LAUNCH
    return Stage.PRODUCTION if rng.random() < 0.85 else Stage.CLOSED


def _when(day):
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _progress(milestones, today, user, rng, upto=None, late_one=False):
    """Mark the milestones whose customer date has passed as done (a day or two early or
    late), with their history; with `late_one`, the last passed one stays open (red: past
    its date). Written in bulk: the rows are checked by the model as the service would."""
    passed = [m for m in milestones if m.planned_date < today]
    if late_one and passed and (today - passed[-1].planned_date).days <= 40:
        passed = passed[:-1]
    done, changes = [], []
    for milestone in passed:
        actual = min(today, milestone.planned_date + timedelta(days=rng.choice([-3, -2, -1, 0, 0,
                                                                              0, 0, 2])))
        milestone.status, milestone.actual_date = MilestoneStatus.DONE, actual
        milestone.progress = 100
        if milestone.kind == MilestoneKind.PPAP_APPROVAL:
            interim = rng.random() < 0.2
            milestone.psw_disposition = (PswDisposition.INTERIM if interim
                                         else PswDisposition.APPROVED)
            if interim:
                milestone.psw_interim_expires_on = actual + timedelta(days=90)
        milestone.clean()
        done.append(milestone)
        when = _when(actual)
        for field, old, new in (("status", "not_started", "done"),
                                ("actual_date", "", actual.isoformat()),
                                ("psw_disposition", "", milestone.psw_disposition)):
            if new != old:
                changes.append(MilestoneChange(
                    tenant=milestone.tenant, milestone=milestone, field=field, old_value=old,
                    new_value=new, changed_by=user, changed_at=when))
        if upto and milestone.kind == upto:
            break
    Milestone.objects.bulk_update(done, ["status", "actual_date", "progress",
                                         "psw_disposition", "psw_interim_expires_on"])
    MilestoneChange.objects.bulk_create(changes)


def _started(milestones, today, user):
    for milestone in milestones:
        if (milestone.status == MilestoneStatus.NOT_STARTED
                and 0 <= (milestone.planned_date - today).days <= 30
                and milestone.pk % 3):
            services.update_milestone(milestone, user=user, today=today,
                                      status=MilestoneStatus.IN_PROGRESS, progress=50)


def _slip(milestones, today, user, rng):
    """Move one upcoming milestone the way real programmes slip, with the reason."""
    upcoming = {m.kind: m for m in milestones
                if m.status != MilestoneStatus.DONE and m.planned_date >= today}
    options = [slip for slip in SLIPS if slip[0] in upcoming]
    if not options:
        return
    kind, field, days, reason = rng.choice(options)
    milestone = upcoming[kind]
    new = milestone.planned_date + timedelta(days=days)
    services.update_milestone(milestone, user=user, reason=reason, today=today,
                              **{field: new})
    when = _when(today - timedelta(days=rng.randint(2, 20)))
    MilestoneChange.objects.filter(milestone=milestone).update(changed_at=when)


def _risks(tenant, programme, rng, owners):
    if programme.stage in (Stage.PRODUCTION, Stage.CLOSED):
        return
    for title, category, mitigation in rng.sample(RISKS, rng.randint(1, 3)):
        Risk.objects.create(
            tenant=tenant, programme=programme, title=title, category=category,
            probability=rng.randint(1, 5), impact=rng.randint(2, 5), mitigation=mitigation,
            owner=rng.choice(owners) if owners else None,
            due_date=programme.sop_date - timedelta(days=rng.randint(60, 200)),
            status=rng.choice([RiskStatus.OPEN, RiskStatus.OPEN, RiskStatus.MITIGATING]))


def _ppap(programme, milestones, rng):
    done = {m.kind for m in milestones if m.status == MilestoneStatus.DONE}
    if MilestoneKind.PPAP_APPROVAL in done:
        status = PpapElementStatus.APPROVED
    elif MilestoneKind.PPAP_SUBMISSION in done:
        status = PpapElementStatus.SUBMITTED
    elif MilestoneKind.T1 in done:
        status = None  # under way: some ready, some in progress
    else:
        return
    elements = list(PpapElement.objects.filter(programme=programme))
    for element in elements:
        submit = ppap_requirement(element.element, programme.ppap_level) == PpapRequirement.SUBMIT
        if status is None:
            element.status = rng.choice([PpapElementStatus.IN_PROGRESS,
                                         PpapElementStatus.READY,
                                         PpapElementStatus.NOT_STARTED])
        else:
            element.status = status if submit else PpapElementStatus.READY
    PpapElement.objects.bulk_update(elements, ["status"])

