"""Ops endpoints, the favicon and the error pages."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """The database and, when configured, the broker are reachable."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["broker"] = _check_broker()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks},
                        status=200 if ready else 503)


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        logger.warning("readyz: database unreachable: %s", exc)
        return "unreachable"


def _check_broker():
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
        return "ok"
    except redis.RedisError as exc:
        logger.warning("readyz: broker unreachable: %s", exc)
        return "unreachable"


def page_not_found(request, exception):
    """404 for URLs no route matches: JSON under /api/ (what API clients parse), else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon."""
    return redirect(static("img/favicon.svg"))


# Pages of visitors who are not users keep their own layout when a form of theirs fails.
PUBLIC_LAYOUTS = {"survey_respond": "satisfaction/public/base.html"}


@never_cache
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form was open too long or the browser blocks cookies. Says so
    in plain words; Django has already logged the technical reason."""
    url_name = getattr(request.resolver_match, "url_name", None)
    layout = PUBLIC_LAYOUTS.get(url_name)
    language = translation.get_language()
    if layout and request.POST.get("lang") in dict(settings.LANGUAGES):
        language = request.POST["lang"]  # the public survey's form says its language
    with translation.override(language):
        return render(request, "csrf_failure.html", {
            "layout": layout or "base.html", "public": bool(layout), "language": language,
            "form_url": _form_url(request)}, status=403)


def _form_url(request):
    """The page the refused form came from (a fresh copy carries a fresh token)."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return referer
    return request.get_full_path()
