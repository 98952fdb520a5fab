"""Stored messages: text the product writes now and someone reads later, in their language.

Import errors, notifications, job problems and generated OPL titles are read by people
whose language is not the writer's (a job runs in the workspace's language; the KAM reads
in 简体中文). So such text is stored as its message id (the English source string that
gettext translates) with its parameters, and rendered when read:

    stored = messages.message(gettext_lazy("Row %(row)s: %(error)s"), row=3, error=other)
    stored = messages.plural(ngettext_lazy("%(n)s day late", "%(n)s days late", "n"), n=3)
    messages.render(stored)   # in the active language

The text must be a lazy translation (or an untranslated string): a `gettext` call would
store the writer's language instead of the message id.

A parameter may be a plain value, a lazy translation (a choice label: stored by its id
and translated on reading), a date (shown in the reader's date style) or another stored
message. A stored message is plain JSON, so it fits a JSONField or a job's kwargs.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext

__all__ = ["message", "plural", "from_validation_error", "render", "is_message"]


def _source(text):
    """The message id of a (lazy) translatable string: its English source text."""
    if isinstance(text, Promise):
        with translation.override(None):  # no translation: the id itself
            return str(text)
    return str(text)


def _param(value):
    if is_message(value):
        return value
    if isinstance(value, (list, tuple)):
        return {"list": [_param(item) for item in value]}
    if isinstance(value, Promise):
        return {"id": _source(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def message(text, **params):
    """A stored message: `text` (gettext's id, usually a gettext_lazy string) and the
    parameters its %(name)s placeholders take."""
    stored = {"id": _source(text)}
    if params:
        stored["params"] = {name: _param(value) for name, value in params.items()}
    return stored


def plural(text, n, **params):
    """A stored message with plural forms chosen by `n` (given to the text as %(n)s):
    `text` is `ngettext_lazy(singular, plural, "n")`, so that makemessages extracts both
    forms as one entry and each language keeps its own plural rules."""
    # A number-aware lazy string pickles as (…, (func, class, number key, {singular,
    # plural})): the ids, untranslated.
    forms = text.__reduce__()[1][3]
    stored = message(forms["singular"], n=n, **params)
    stored["plural"] = forms["plural"]
    return stored


def lower(text):
    """A (lazy) label as a parameter in lower case, as a sentence uses it mid-way."""
    return {"id": _source(text), "case": "lower"}


def by_language(texts):
    """A parameter written by people in several languages ({"en": …, "zh-hans": …}, e.g. a
    question's two texts): shown in the reader's, else English."""
    return {"languages": dict(texts)}


def year_month(day):
    """A month as a parameter: shown in the reader's month style ("November 2026", "2026年11月")."""
    return {"month": day.isoformat()}


def is_message(value):
    return isinstance(value, dict) and "id" in value and isinstance(value["id"], str)


def from_validation_error(error):
    """The stored messages of a ValidationError: its templates and parameters, so that
    Django's own field messages are translated when read, like ours."""
    result = []
    for item in error.error_list if hasattr(error, "error_list") else [error]:
        params = item.params or {}
        if not isinstance(params, dict):
            params = {}
        result.append(message(item.message, **params))
    return result


def _render_param(value):
    if isinstance(value, dict):
        if "list" in value:
            return ", ".join(str(_render_param(item)) for item in value["list"])
        if "languages" in value:
            texts = value["languages"]
            return texts.get(translation.get_language()) or texts.get("en") or ""
        if "date" in value:
            return formats.date_format(date.fromisoformat(value["date"]))
        if "month" in value:
            return formats.date_format(date.fromisoformat(value["month"]),
                                       "YEAR_MONTH_FORMAT")
        if "datetime" in value:
            return formats.date_format(datetime.fromisoformat(value["datetime"]),
                                       "DATETIME_FORMAT")
        if is_message(value):
            text = render(value)
            return text.lower() if value.get("case") == "lower" else text
    return value


def render(stored):
    """The text of a stored message in the active language (a plain string as it is)."""
    if not is_message(stored):
        return "" if stored is None else str(stored)
    params = {name: _render_param(value) for name, value in (stored.get("params") or {}).items()}
    if "plural" in stored:
        text = ngettext(stored["id"], stored["plural"], int(params.get("n") or 0))
    else:
        text = gettext(stored["id"]) if stored["id"] else ""
    if not params:
        return text
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        # A translation that names a parameter the message lacks: the source text then.
        try:
            return stored["id"] % params
        except (KeyError, TypeError, ValueError):
            return stored["id"]


def render_all(stored_list):
    return [render(item) for item in stored_list]


def validation_error(stored_list, code=None):
    """A ValidationError whose messages are the stored ones, rendered now."""
    return ValidationError([render(item) for item in stored_list], code=code)
