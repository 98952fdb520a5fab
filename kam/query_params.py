"""Unknown query parameters are a 400 naming them, not silently ignored.

What an operation takes is what the schema documents for it (the parameters the filter
backends, the pagination and `@extend_schema` name), so the allowed set is read from the
same place: the view's AutoSchema, as drf-spectacular builds the operation for
`/api/schema/`. A parameter added to a filter set, a backend or an annotation is allowed
and documented at once; one the schema does not show is refused.
"""

import functools

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

# Unknown parameters are refused in this key of the usual `{"field": ["message"]}` answer.
ERROR_KEY = "query"


def check_query_parameters(request, view):
    """Raise a ValidationError (400) naming the query parameters `view` does not document
    for this request's method."""
    if request.method == "OPTIONS" or not request.query_params:
        return
    match = getattr(request._request, "resolver_match", None)
    if match is None or not hasattr(match.func, "cls"):
        return
    method = "GET" if request.method == "HEAD" else request.method  # HEAD reads as GET
    allowed = documented_query_parameters(match.func, method)
    if allowed is None:  # not in the schema (the API root's index of resources)
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError({ERROR_KEY: [
            _("Unknown query parameter: %(names)s. This operation takes: %(allowed)s.") % {
                "names": ", ".join(unknown),
                "allowed": ", ".join(sorted(allowed)) or _("none")}]})


@functools.cache
def documented_query_parameters(callback, method):
    """The names of the query parameters the schema documents for `callback` (a URL
    pattern's view) and `method`, plus the format override every DRF view reads; None for
    a view the schema leaves out."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.plumbing import ComponentRegistry
    from drf_spectacular.settings import spectacular_settings

    generator = SchemaGenerator()  # holds the view's schema (a weak proxy) while we use it
    view = generator.create_view(callback, method)
    view.request = spectacular_settings.GET_MOCK_REQUEST(method, "/", view, None)
    schema = view.schema
    if not isinstance(schema, AutoSchema) or schema.is_excluded():
        return None
    schema.registry = ComponentRegistry()
    schema.path = schema.path_regex = "/"
    schema.path_prefix = ""
    schema.method = method.upper()
    with GENERATOR_STATS.silence():
        parameters = schema._get_parameters()
    names = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
    if api_settings.URL_FORMAT_OVERRIDE:
        names.add(api_settings.URL_FORMAT_OVERRIDE)
    return frozenset(names)
