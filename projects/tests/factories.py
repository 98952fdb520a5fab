"""factory-boy factories for projects models; re-exported by tests/factories.py."""

from datetime import date

import factory

from tests.factories import (
    CustomerFactory,
    SameTenantSubFactory,
    TenantOwnedFactory,
    UserFactory,  # noqa: F401
)


class ProgrammeSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.ProgrammeSettings"
        django_get_or_create = ["tenant"]

    tolerance_days = 7
    due_soon_days = 14


class MilestoneTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.MilestoneTemplate"
        django_get_or_create = ["tenant", "kind"]

    kind = "design_freeze"
    offset_days = -560


class ProgrammeFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.Programme"

    customer = SameTenantSubFactory(CustomerFactory)
    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Cockpit module programme {n}")
    vehicle = "Compact SUV platform"
    part_family = "Instrument panel"
    annual_volume = 120_000
    lifetime_value = 48_000_000
    stage = "development"
    nomination_date = date(2025, 3, 1)
    sop_date = date(2027, 6, 1)


class MilestoneFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.Milestone"

    programme = SameTenantSubFactory(ProgrammeFactory)
    kind = "design_freeze"
    planned_date = date(2026, 9, 1)


class MilestoneChangeFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.MilestoneChange"

    milestone = SameTenantSubFactory(MilestoneFactory)
    field = "planned_date"
    old_value = "2026-08-15"
    new_value = "2026-09-01"
    reason = "Customer moved the design review after a styling change."


class RiskFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.Risk"

    programme = SameTenantSubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Skin supplier capacity risk {n}")
    category = "supply_chain"
    probability = 3
    impact = 4
    mitigation = "Qualify a second skin supplier before T1."


class PpapElementFactory(TenantOwnedFactory):
    class Meta:
        model = "projects.PpapElement"

    programme = SameTenantSubFactory(ProgrammeFactory)
    element = 9
    status = "in_progress"
