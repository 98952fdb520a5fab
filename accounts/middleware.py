from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import trans_real

from kam import changes
from kam.tenancy import reset_current_tenant, set_current_tenant

from .selectors import active_membership

SESSION_TENANT_KEY = "active_tenant_id"


class TenantMiddleware:
    """Set the current tenant for the request from the session's active membership.

    API requests with a bearer token get their tenant from the token, in
    `accounts.authentication`; the reset below clears that too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.role = None
        token = set_current_tenant(None)
        # Who changes rows, for their history (an API token says so itself, and is reset
        # here too).
        change = changes.set_context(
            source=changes.Source.API if request.path_info.startswith("/api/")
            else changes.Source.PAGE)
        try:
            user = request.user
            if user.is_authenticated:
                changes.set_context(source=changes.current().source, user=user)
                membership = active_membership(user, request.session.get(SESSION_TENANT_KEY))
                if membership is not None:
                    bind_membership(request, membership)
                    request.session[SESSION_TENANT_KEY] = membership.tenant_id
            return self.get_response(request)
        finally:
            changes.reset(change)
            reset_current_tenant(token)
            timezone.deactivate()


class PrivatePagesMiddleware:
    """Whatever a signed-in user is answered (pages, exports, the API with a session or a
    token) is theirs alone: `Cache-Control: no-store, …` (Django's never-cache headers), so
    that neither a shared proxy nor the browser's history shows it to the next person at
    the machine after they log out. A response that says it is `public` keeps its own
    header; static files are served before this runs (WhiteNoise) and keep their long
    cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and "public" not in response.get("Cache-Control", "")):
            add_never_cache_headers(response)
        return response


def bind_membership(request, membership):
    """Make `membership` the request's tenant, role, time zone and (unless chosen) language."""
    request.membership = membership
    request.tenant = membership.tenant
    request.role = membership.role
    set_current_tenant(membership.tenant)
    # Dates and times show in the tenant's time zone.
    timezone.activate(membership.tenant.tzinfo)
    # The language: what the user picked (in this browser, else saved on their account),
    # else what the browser asks for, else the workspace's.
    if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        language = (membership.user.language or browser_language(request)
                    or membership.tenant.default_language)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def browser_language(request):
    """The first language of the browser's Accept-Language that the product speaks, or
    None ("zh-CN" and "zh" are 简体中文, "en-GB" English)."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(_variant(code))
        except LookupError:
            continue
    return None


def _variant(code):
    # Browsers say zh-CN or zh-SG for simplified Chinese; Django's name is zh-hans.
    return "zh-hans" if code.lower() in ("zh", "zh-cn", "zh-sg", "zh-hans-cn") else code
