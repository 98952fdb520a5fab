"""Column-aware messages for the rows of an import file or a bulk upload.

Django's and DRF's own field messages ("Ensure this value is less than or equal to 100.",
"This field cannot be blank.") name neither the column nor the rule in the file's terms.
These say it as the product does ("supply_share must be at most 100."), and they are
stored messages (`kam.messages`), so an import's errors show in the reader's language.
"""

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kam import messages

EMPTY = _("%(column)s must not be empty.")
MISSING = _("%(column)s is missing.")
AT_MOST = _("%(column)s must be at most %(limit)s.")
AT_LEAST = _("%(column)s must be at least %(limit)s.")
NUMBER = _("%(column)s must be a number, not “%(value)s”.")
WHOLE_NUMBER = _("%(column)s must be a whole number, not “%(value)s”.")
TEXT = _("%(column)s must be text, not “%(value)s”.")
DIGITS = _("%(column)s takes at most %(whole)s digits before the decimal point and "
           "%(places)s after it.")
TOO_LONG = _("%(column)s must be at most %(limit)s characters long.")
ONE_OF = _("%(column)s must be one of: %(choices)s.")
NOT_A_ROW = _("Each row must be a JSON object with customer_code, period and the figures.")

DIGIT_CODES = frozenset({"max_digits", "max_decimal_places", "max_whole_digits"})
# The framework's codes; any other code is a rule of the product (say "period").
GENERIC_CODES = frozenset({"blank", "null", "required", "max_value", "min_value",
                           "max_length", "invalid_choice", "invalid", *DIGIT_CODES})


def _shown(value):
    """A value as the message quotes it: short, and plain text."""
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _limit(value):
    # Decimal("100") reads "100", Decimal("0.5") "0.5": the limit as a person writes it.
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _digits(column, max_digits, decimal_places):
    return messages.message(DIGITS, column=column, whole=max_digits - decimal_places,
                            places=decimal_places)


def model_error(column, error, model_field=None):
    """The stored message for one Django ValidationError item of a model field."""
    code, params = error.code, error.params or {}
    if not isinstance(params, dict):
        params = {}
    if code in ("blank", "null", "required"):
        return messages.message(EMPTY, column=column)
    if code == "max_value":
        return messages.message(AT_MOST, column=column, limit=_limit(params["limit_value"]))
    if code == "min_value":
        return messages.message(AT_LEAST, column=column, limit=_limit(params["limit_value"]))
    if code == "max_length":
        return messages.message(TOO_LONG, column=column, limit=params["limit_value"])
    if code in DIGIT_CODES and getattr(model_field, "max_digits", None):
        return _digits(column, model_field.max_digits, model_field.decimal_places)
    if code == "invalid_choice" and getattr(model_field, "choices", None):
        return messages.message(ONE_OF, column=column, choices=", ".join(
            str(value) for value, _label in model_field.flatchoices))
    if code == "invalid" and model_field is not None:
        internal = model_field.get_internal_type()
        if internal == "DecimalField" or internal == "FloatField":
            return messages.message(NUMBER, column=column, value=_shown(params.get("value")))
        if internal.endswith("IntegerField"):
            return messages.message(WHOLE_NUMBER, column=column,
                                    value=_shown(params.get("value")))
    # Anything else is the product's own rule (the period's, a model's clean()): its own
    # words, translated when read.
    return messages.from_validation_error(error)[0]


def model_errors(exc, model, column_of=None):
    """[(column, stored message)] of a model's ValidationError; `column_of` maps a model
    field to the file's column ("" for errors about the whole row)."""
    column_of = column_of or {}
    if not hasattr(exc, "error_dict"):
        return [("", messages.from_validation_error(item)[0]) for item in exc.error_list]
    result = []
    for name, errors in exc.error_dict.items():
        column = column_of.get(name, name)
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        specific = [error for error in errors if error.code not in GENERIC_CODES]
        # One message a cell: a column's own rule says more than a generic one ("Enter a
        # quarter like 2026Q3" rather than "at most 6 characters" as well).
        for error in specific or errors:
            if name == "__all__" or not column:
                result.append(("", messages.from_validation_error(error)[0]))
            else:
                result.append((column, model_error(column, error, model_field)))
    return result


def serializer_error(column, detail, field, value):
    """The stored message for one DRF ErrorDetail of a bulk row's field; None when DRF's
    code is not one of the field rules (the detail's own text then stands)."""
    code = getattr(detail, "code", None)
    if code in ("blank", "null"):
        return messages.message(EMPTY, column=column)
    if code == "required":
        return messages.message(MISSING, column=column)
    if code == "max_value" and getattr(field, "max_value", None) is not None:
        return messages.message(AT_MOST, column=column, limit=_limit(field.max_value))
    if code == "min_value" and getattr(field, "min_value", None) is not None:
        return messages.message(AT_LEAST, column=column, limit=_limit(field.min_value))
    if code == "max_length" and getattr(field, "max_length", None):
        return messages.message(TOO_LONG, column=column, limit=field.max_length)
    if code in DIGIT_CODES and getattr(field, "max_digits", None):
        return _digits(column, field.max_digits, field.decimal_places)
    if code in ("invalid", "max_string_length"):
        if isinstance(field, serializers.IntegerField):
            return messages.message(WHOLE_NUMBER, column=column, value=_shown(value))
        if isinstance(field, serializers.DecimalField | serializers.FloatField):
            return messages.message(NUMBER, column=column, value=_shown(value))
        if isinstance(field, serializers.CharField):
            return messages.message(TEXT, column=column, value=_shown(value))
    if code == "invalid_choice" and getattr(field, "choices", None):
        return messages.message(ONE_OF, column=column, choices=", ".join(
            str(value) for value in field.choices))
    return None
