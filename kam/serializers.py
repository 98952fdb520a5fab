"""Shared pieces of the API's serializers: the tenant-aware ModelSerializer base, member
and period fields, and the conversion of Django's validation errors to DRF's shape.

Every app's serializers build on these; rules stay in the models' `clean()` and the
apps' services."""

import copy

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.models import User
from accounts.selectors import KAM, WORK, assignable_members, tenant_members
from kam import external_ids, periods
from kam.tenancy import require_tenant


def drf_errors(exc):
    """A Django ValidationError as DRF's `{"field": ["message"]}`."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): messages
            for name, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}



class ChoiceOrNullField(serializers.ChoiceField):
    """A choice that may be unset: stored as "" (a blank CharField with choices), answered
    and documented as null, so that every answer is one of the enum's values or null (a
    client generated from the schema refuses "" outside the enum). Null or "" sent clear it."""

    def __init__(self, **kwargs):
        kwargs.pop("allow_blank", None)
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if data is None or data == "":
            return ""
        return super().run_validation(data)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class BlankChoicesAsNull:
    """For ModelSerializers: model fields with choices that may be blank become
    ChoiceOrNullFields (null, not "", in answers and the schema)."""

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if (issubclass(field_class, serializers.ChoiceField) and model_field.blank
                and isinstance(model_field, models.CharField | models.TextField)):
            field_class = ChoiceOrNullField
            field_kwargs.pop("allow_blank", None)
            field_kwargs["allow_null"] = True
        return field_class, field_kwargs


class TenantMemberField(serializers.PrimaryKeyRelatedField):
    """A user id, limited to the active members of the current workspace."""

    def get_queryset(self):
        return tenant_members(require_tenant())


ASSIGNABLE_ERRORS = {
    KAM: gettext_lazy("Choose an active account manager of this workspace."),
    WORK: gettext_lazy("Choose an active administrator, account manager or team member of "
                       "this workspace: viewers and executives do not edit."),
}


class AssignableMemberField(serializers.PrimaryKeyRelatedField):
    """A user id, limited to the members who may be put in charge `for_` (KAM or WORK, see
    accounts.selectors.assignable_members), as the forms offer them; the row's current one
    stays accepted, so that sending a row back unchanged is not an error."""

    def __init__(self, *, for_: str, **kwargs):
        self.for_ = for_
        rule = ASSIGNABLE_ERRORS[for_]
        kwargs.setdefault("error_messages", {}).setdefault("does_not_exist", rule)
        # The schema says whom the field takes, after what the row's help says.
        kwargs["help_text"] = (format_lazy("{} {}", kwargs["help_text"], rule)
                               if kwargs.get("help_text") else rule)
        super().__init__(**kwargs)

    def get_queryset(self):
        instance = getattr(self.root, "instance", None)
        current = (getattr(instance, instance._meta.get_field(self.source).attname, None)
                   if isinstance(instance, models.Model) else None)
        return assignable_members(require_tenant(), for_=self.for_, include=current)


PERIOD_HELP = gettext_lazy("Quarter, e.g. 2026Q3; 2026-Q3, 2026 Q3 and Q3 2026 are read as "
                           "2026Q3.")


class PeriodField(serializers.CharField):
    """A quarter, stored as `2026Q3`; the ways people write one (2026-Q3, 2026 Q3, Q3 2026,
    any case) are read as that. `max_length` bounds what is sent; the stored form is
    checked by `validate_period`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("validators", [periods.validate_period])
        kwargs.setdefault("help_text", PERIOD_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return periods.read_quarter(super().to_internal_value(data))


class ShowsUpdatedAt:
    """For ModelSerializers of rows with `updated_at` (every tenant-owned row): the field
    is shown (read-only) whether or not Meta.fields names it, so every list can be synced
    by `?updated_since=` (kam.sync)."""

    def get_field_names(self, declared_fields, info):
        names = super().get_field_names(declared_fields, info)
        if "updated_at" in info.fields and "updated_at" not in names:
            names = [*names, "updated_at"]
        return names


class TenantModelSerializer(ShowsUpdatedAt, BlankChoicesAsNull, serializers.ModelSerializer):
    """A ModelSerializer for tenant-owned rows that checks what DRF leaves out: the
    model's `clean()`, foreign keys that leave the tenant, and unique constraints that
    include the tenant (DRF cannot check those, `tenant` not being a serializer field).

    `unique_messages` maps a constraint name to (field the error names, message).
    """

    unique_messages = {}

    def build_relational_field(self, field_name, relation_info):
        field_class, field_kwargs = super().build_relational_field(field_name, relation_info)
        if (relation_info.related_model is User
                and field_class is serializers.PrimaryKeyRelatedField):
            field_class = TenantMemberField
        return field_class, field_kwargs

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = self.candidate(attrs)
        errors = {}
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            errors.update(drf_errors(exc))
        for name, message in candidate.cross_tenant_errors().items():
            errors.setdefault(name, [message])
        for name, message in self.unique_errors(candidate).items():
            errors.setdefault(name, [message])
        if attrs.get("external_id") and external_ids.taken(  # unique per tenant when given
                type(candidate).objects, attrs["external_id"], exclude_pk=candidate.pk):
            errors.setdefault("external_id", [_(
                "Another row of this workspace has this external id.")])
        if hasattr(candidate, "code_errors") and "code" in attrs:  # codes ignore case
            for name, messages in candidate.code_errors().items():
                errors.setdefault(name, [str(m.message % m.params) for m in messages])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def candidate(self, attrs):
        """The row as it would be saved: a copy of the instance with `attrs` applied."""
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        if instance.tenant_id is None:
            instance.tenant = require_tenant()
        for name, value in attrs.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.concrete and not field.many_to_many:
                setattr(instance, name, value)
        return instance

    def unique_errors(self, candidate):
        """Unique constraints with the tenant whose other fields the client writes (the
        server numbers the rest, e.g. policy versions)."""
        model = type(candidate)
        writable = {field.source for field in self._writable_fields}
        errors = {}
        for constraint in model._meta.constraints:
            if (not isinstance(constraint, models.UniqueConstraint) or not constraint.fields
                    or "tenant" not in constraint.fields or constraint.condition is not None):
                continue
            names = [name for name in constraint.fields if name != "tenant"]
            if not set(names) <= writable:
                continue
            lookup = {}
            for name in names:
                attname = model._meta.get_field(name).attname
                lookup[attname] = getattr(candidate, attname)
            if any(value is None for value in lookup.values()):
                continue
            others = model.objects.filter(**lookup)  # scoped to the current tenant
            if candidate.pk is not None:
                others = others.exclude(pk=candidate.pk)
            if others.exists():
                field, message = self.unique_messages.get(constraint.name, (names[-1], None))
                errors[field] = str(message or _("This value is already used in this workspace."))
        return errors


# --- customers ----------------------------------------------------------------------


