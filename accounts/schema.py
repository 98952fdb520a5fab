"""OpenAPI security schemes for the API's authentication classes (drf-spectacular).

Imported from `AccountsConfig.ready()` so the extensions are registered before any
schema is generated.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )
        scheme["description"] = "An API token of a workspace member: `kam_<prefix>_<secret>`."
        return scheme


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.TenantSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The browser's signed-in session (unsafe methods also need the CSRF "
            "token).",
        }
