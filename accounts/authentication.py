"""API authentication: `Authorization: Bearer <token>` and the browser's session."""

import hmac
import logging

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from kam import changes
from kam.tenancy import cross_tenant, set_current_tenant

from .models import ApiToken, Membership, hash_token
from .services import ROLE_RANK, touch_api_token

logger = logging.getLogger(__name__)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from None
        token = self._lookup(raw)
        request._request.tenant = token.tenant
        # The token's role, but never more than its owner's present role (they may have
        # been demoted since the token was made).
        request._request.role = min(token.role, token.membership.role, key=ROLE_RANK.get)
        request._request.membership = token.membership
        # Reset by accounts.middleware.TenantMiddleware when the request ends.
        set_current_tenant(token.tenant)
        # Also reset there: changes are recorded as made with this token (kam.changes).
        changes.set_context(source=changes.Source.API, user=token.user, token_id=token.pk,
                            token_name=token.name)
        touch_api_token(token)
        return token.user, token

    def _lookup(self, raw):
        parts = raw.split("_")
        if len(parts) < 3 or parts[0] != "kam":
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        # The token names its tenant, so finding it is cross-tenant by design.
        with cross_tenant():
            token = (
                ApiToken.objects.select_related("tenant", "user").filter(prefix=parts[1]).first()
            )
            membership = (
                Membership.objects.filter(
                    tenant_id=token.tenant_id, user_id=token.user_id, is_active=True
                ).first()
                if token
                else None
            )
        valid = (
            token is not None
            and hmac.compare_digest(token.key_hash, hash_token(raw))
            and token.is_usable
            and token.tenant.is_active
            and token.user.is_active
            and membership is not None
        )
        if not valid:
            logger.warning("API authentication failed for token prefix %s", parts[1][:12])
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        membership.tenant = token.tenant
        token.membership = membership
        return token

    def authenticate_header(self, request):
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, valid only while it has an active membership."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or getattr(request._request, "tenant", None) is None:
            return None
        return result
