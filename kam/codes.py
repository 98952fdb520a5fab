"""Codes are identifiers: customer and programme codes are unique per tenant ignoring
case and surrounding spaces ("CJA", "cja " and "cjA" are one code).

Codes are stored stripped; the database holds the rule as a unique index on
(tenant, LOWER(TRIM(code))), and `taken` finds the row a code would collide with, so
forms, the API and imports name the field instead of meeting the index.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Trim


def normalise(code):
    """The stored form of a code: without surrounding spaces (case is kept as typed)."""
    return (code or "").strip()


def key(code):
    """What two codes are compared by (lower case, as the database's LOWER())."""
    return normalise(code).lower()


def taken(queryset, code, *, exclude_pk=None):
    """The row of `queryset` (one tenant's, as tenant-owned managers scope them) whose code
    is `code` ignoring case and surrounding spaces, or None."""
    rows = queryset.filter(code__iexact=normalise(code))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.only("pk", "code").first()


def unique_constraint(name):
    """The database's form of the rule, for a model's Meta.constraints."""
    return models.UniqueConstraint(models.F("tenant"), Lower(Trim("code")), name=name)


def code_error(model, code, *, exclude_pk=None):
    """The ValidationError for `code` when another row of `model` (in the current tenant)
    has it ignoring case and surrounding spaces, else None (one query). The message is
    the model's `code_taken_message`."""
    other = taken(model.objects, code, exclude_pk=exclude_pk)
    if other is None:
        return None
    return ValidationError(model.code_taken_message, params={"code": other.code},
                           code="unique")


class CodeIsIdentifier:
    """For a tenant-owned model whose `code` is an identifier: stored stripped, unique
    ignoring case (checked by `validate_unique`, so by full_clean and ModelForms; bulk
    paths check codes in bulk). The model sets `code_taken_message` (with %(code)s)."""

    def code_errors(self):
        """{"code": [ValidationError]} when the code is taken, else {}."""
        self.code = normalise(self.code)
        error = code_error(type(self), self.code, exclude_pk=self.pk)
        return {"code": [error]} if error is not None else {}

    def validate_unique(self, exclude=None):
        super().validate_unique(exclude)
        if not exclude or "code" not in exclude:
            errors = self.code_errors()
            if errors:
                raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.code = normalise(self.code)
        super().save(*args, **kwargs)


def strip_codes(app_label, model_name):
    """A migration step (RunPython) that strips the stored codes of a model and stops,
    naming them, at two codes of one tenant that differ only by case: those must be
    renamed by hand before codes can be unique ignoring case."""

    def run(apps, schema_editor):
        rows = apps.get_model(app_label, model_name)._base_manager
        seen, clashes = {}, []
        for pk, tenant_id, code in rows.order_by("pk").values_list("pk", "tenant_id", "code"):
            stripped = code.strip()
            if stripped != code:
                rows.filter(pk=pk).update(code=stripped)
            if (tenant_id, key(stripped)) in seen:
                clashes.append(f"tenant {tenant_id}: {seen[tenant_id, key(stripped)]!r} and "
                               f"{stripped!r}")
            seen.setdefault((tenant_id, key(stripped)), stripped)
        if clashes:
            raise RuntimeError(f"{model_name} codes that differ only by case; rename one of "
                               "each pair first: " + "; ".join(clashes))

    return run
