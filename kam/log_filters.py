"""Secrets kept out of the logs: the public survey links carry their token in the path
(`/satisfaction/r/<token>/`, the only credential a respondent has), so every log line that
names a path or a URL — Django's request warnings, the development server's request lines,
gunicorn's access log (kam.gunicorn_log), a Referer header — shows it masked.

`MaskSecretPaths` is a logging filter for handlers (settings.LOGGING puts it on the console
handler, which every logger's records reach); `mask` is the rewrite itself.
"""

import logging
import re

# Paths whose next segment is a secret. Named here rather than imported: the base layer
# knows no app (the survey links are satisfaction/urls.py's "r/<token>/").
SECRET_PATH_PREFIXES = ("/satisfaction/r/",)
MASK = "***"

_SECRET = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/?#\s\"']+")


def mask(text: str) -> str:
    """`text` with the secret segment of every such path replaced by ***."""
    return _SECRET.sub(rf"\g<1>{MASK}", text)


def _masked(value):
    # Only text is rewritten: a number stays a number for its %d.
    return mask(value) if isinstance(value, str) else value


class MaskSecretPaths(logging.Filter):
    """Rewrites a record's message and arguments (positional or by name) before any
    handler formats them."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        return True
