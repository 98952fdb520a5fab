"""Rate limits of the API, per token (per user for a browser session): reads and writes
each have their own budget per window (settings.API_RATE_LIMITS, from the environment:
`API_RATE_LIMIT`, default 1200/minute, and `API_WRITE_RATE_LIMIT`, default 300/minute).

A request over the budget is a 429 with `Retry-After` (seconds to the next window) and
the error shape `{"detail": …}` (DRF's Throttled, answered by kam.api.exception_handler).
Counted in the cache, one counter per token, kind and window (`incr`, atomic on Redis, so
every worker shares the count): a fixed window, so a client may spend a budget at the
end of one window and the next at the start of the following one.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """"1200/minute" → (1200, 60)."""
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def describe(rate):
    count, seconds = parse_rate(rate)
    unit = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}[seconds]
    return f"{count} per {unit}"


def _who(request):
    token = getattr(request, "auth", None)
    prefix = getattr(token, "prefix", None)
    return f"token:{prefix}" if prefix else f"user:{request.user.pk}"


class TokenRateThrottle(BaseThrottle):
    """Per token (or session user), reads and writes counted apart."""

    def allow_request(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return True  # refused by authentication anyway
        kind = "read" if request.method in SAFE_METHODS else "write"
        limit, period = parse_rate(settings.API_RATE_LIMITS[kind])
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{_who(request)}:{kind}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self):
        return max(1, round(self._wait))
