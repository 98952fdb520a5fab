"""Columns and cells: how a kind declares its columns, how a header names them, and how a
cell written by people is read (numbers, yes/no, choices).

Column names are matched without regard to case, spaces, underscores or hyphens. Numbers
may carry thousands separators ("1,234.50"; in semicolon files the comma is the decimal
separator, "1.234,50"), percentages a trailing "%".
"""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import translation

from kam import messages


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | decimal | percent | integer | period | choice | email | boolean
    required: bool
    help: object  # a (lazy) text; a choice column's may name %(choices)s
    example: object = ""
    choices: object = None  # a TextChoices class, for "choice" columns


def normalise_header(text):
    return re.sub(r"[\s_\-]+", "", str(text or "")).lower().lstrip("\ufeff")


def choice_help(choices):
    return ", ".join(choices.values)


def column_help(column):
    if column.choices is not None:
        return str(column.help) % {"choices": choice_help(column.choices)}
    return str(column.help)


# --- numbers -------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED_COMMA = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_GROUPED_DOT = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}")
_INTEGER = re.compile(r"[+-]?\d+")
NUMERIC_TYPES = frozenset({"decimal", "percent", "integer"})


def number_text(text, decimal_comma=False, percent=False):
    """A number written by people ("1,234.50", "1.234,5", "35 %") as Python writes it,
    or the text unchanged when it is not a number (the model then says why)."""
    if _NUMBER.fullmatch(text):
        return text
    s = re.sub(r"[\s\u00a0\u202f']", "", text)
    if percent and s.endswith("%"):
        s = s[:-1]
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if decimal_comma and s.count(",") == 1:
            s = s.replace(",", ".")
        elif _GROUPED_COMMA.fullmatch(s):
            s = s.replace(",", "")
    elif _GROUPED_DOT.fullmatch(s):
        s = s.replace(".", "")
    return s if _NUMBER.fullmatch(s) else text


def _numeric_text(text, column, decimal_comma):
    text = number_text(text, decimal_comma, percent=column.type == "percent")
    if column.type == "integer" and not _INTEGER.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return int(number) if number == number.to_integral_value() else text
    return text


def cell_value(value, column, decimal_comma=False):
    """One cell as a kind takes it: "" when empty, numbers as int/Decimal or as text
    Python can read, anything else as stripped text."""
    numeric = column.type in NUMERIC_TYPES
    if value.__class__ is str:
        text = value.strip()
        if not text or not numeric:
            return text
        return _numeric_text(text, column, decimal_comma)
    if value is None:
        return ""
    if isinstance(value, bool):
        return value if column.type == "boolean" else str(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return value if numeric else str(value)
    if hasattr(value, "isoformat"):  # a date typed where text was expected
        return value.isoformat()
    return cell_value(str(value), column, decimal_comma)


def whole_number(value):
    """A cell of an integer column as an int; ValueError when it is no whole number."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise ValueError(value)


# --- text, yes/no and choices --------------------------------------------------------

TRUE_WORDS = {"1", "y", "yes", "true", "t", "x", "active", "是"}
FALSE_WORDS = {"0", "n", "no", "false", "f", "inactive", "否"}


def text(value):
    return "" if value is None else str(value).strip()


def boolean(value):
    """yes/no as people write it; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(word)


def choice_lookup(choices):
    """normalised value or label (in the active language and in English) -> value."""
    return _choice_lookup(choices, translation.get_language())


@functools.cache
def _choice_lookup(choices, _language):
    lookup = {}
    for value, label in choices.choices:
        lookup[normalise_header(value)] = value
        lookup[normalise_header(str(label))] = value
        with translation.override("en"):
            lookup[normalise_header(str(label))] = value
    return lookup


def choice_value(choices, word):
    """The value a cell names (its value or label, any case); None when it names none."""
    return choice_lookup(choices).get(normalise_header(word))


@functools.cache
def _choice_messages(choices):
    """value -> the stored message of its label: built once, as the preview of a large
    file asks for a label on every row."""
    return {value: messages.message(label) for value, label in choices.choices}


def label(choices, value):
    """A choice's label as a stored message (its value when it is none of the choices)."""
    return _choice_messages(choices).get(value, value)
