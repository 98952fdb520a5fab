"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES, and the base of the bulk
endpoints' parser): every body it cannot use is a 400 saying why, never a 500.

DRF's parser turns only ValueError into a ParseError; a body nested deeper than Python's
recursion limit (1,000 brackets: 2 KB) raises RecursionError from the decoder, which
passed through as a 500. Bodies nested less deeply but still far beyond any resource's
shape are refused too, so that no later step (validation, saving a JSON field, the error
answer) meets one.
"""

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# No resource nests deeper than a few levels (a list of rows of objects with lists).
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's (strict) JSON parser; malformed, badly encoded or too deeply nested bodies
    are ParseErrors (400)."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError):
            raise ParseError(_("JSON parse error: the body is not %(encoding)s text.")
                             % {"encoding": encoding}) from None
        return self.loads(text)

    def loads(self, text):
        """The JSON value in `text`, or ParseError."""
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(self.too_deep()) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        if nested_deeper_than(data, self.max_depth):
            raise ParseError(self.too_deep())
        return data

    def too_deep(self):
        return _("JSON parse error: the body is nested more than %(depth)s levels deep.") % {
            "depth": self.max_depth}


def nested_deeper_than(data, limit):
    """Whether `data` (parsed JSON) has objects or lists more than `limit` levels deep.
    Iterative: a deep value cannot exhaust the stack here either."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False
