"""Who is logging in from where, and how often an address may fail.

Behind the TLS proxy every request comes from the proxy's address; the client's is in
the X-Forwarded-For header the proxy appends to. `client_ip` believes that header only
when the request comes from a trusted proxy (settings.TRUSTED_PROXIES), and then takes
its right-most address that is not a trusted proxy: a client can write anything into the
header it sends, but not into what our proxies append after it. django-axes locks a
username at one address with it (AXES_CLIENT_IP_CALLABLE), so a stranger's wrong
passwords no longer lock an account for everyone behind the proxy.

Axes counts per username and address only: one address trying one password against many
usernames is never locked (axes 8.3 takes a single failure limit for all its lockout
parameters, so an address-only parameter would lock at 5 failures across everyone behind
one office's address). So the failures axes recorded for an address are also added up
over all usernames, with a higher limit (LOGIN_IP_FAILURE_LIMIT, within the cool-off);
past it the address may not log in until its failures are older than the cool-off
(`IPLockoutBackend`, held by every log-in, and the log-in page's own check). Axes' own
records are read (its database handler, the default), so both limits count the same
failures and age them the same way.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in one hop of X-Forwarded-For ("a.b.c.d", "a.b.c.d:port", "[v6]:port",
    "v6"), or None if it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted_networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy, the right-most
    address of X-Forwarded-For that is not a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted_networks()
    if not networks or not _is_trusted(_address(remote), networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Our proxies write addresses; anything else came from the client: the last
            # address we can trust is the proxy's own.
            return remote
        if not _is_trusted(address, networks):
            return str(address)
    return str(_address(hops[0])) if hops else remote  # proxies all the way


def address_failures(address: str) -> int:
    """The failed log-ins axes recorded from `address` within the cool-off, whatever the
    usernames."""
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    return (AccessAttempt.objects.filter(ip_address=address, attempt_time__gt=since)
            .aggregate(total=Sum("failures_since_start"))["total"] or 0)


def address_locked(request: HttpRequest) -> bool:
    """Whether the client's address has failed to log in too often lately."""
    address = client_ip(request)
    return bool(address) and address_failures(address) >= settings.LOGIN_IP_FAILURE_LIMIT


class IPLockoutBackend:
    """Refuses every log-in from an address past LOGIN_IP_FAILURE_LIMIT, whatever the
    username and even with the right password, as axes does for a username. Listed with
    the authentication backends so that every log-in path (the admin's too) is held."""

    def authenticate(self, request, **credentials):
        if request is not None and address_locked(request):
            logger.warning("Log-in from %s refused: too many failures from it",
                           client_ip(request))
            raise PermissionDenied("Too many failed log-ins from this address.")
        return None  # not locked: the next backend decides

    # No get_user: it never logs anyone in, so no session names it (and the test
    # client's force_login, which takes the first backend that has one, passes it by).
