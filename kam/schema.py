"""OpenAPI generation (drf-spectacular): every operation also documents its error answers.

drf-spectacular only documents the success answer. Clients (and the schema fuzzing in
`tests/test_api_schema.py`) need the errors too, so they are added from what the
operation has: authentication (401/403), a path id or a page number (404), input
(400/415), and the database being away (503, every operation). A 400 is documented for
every write — a body that is not JSON, or a change a rule refuses (deleting an open
campaign, a link for a closed one), even where no body is asked — and for every read
with query parameters (filters, search, ordering, pages). Their bodies are DRF's error
shapes, see `kam.api.exception_handler`.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error that is not about one field.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "description": 'Invalid input: field name (or "non_field_errors", or "detail") to the '
    "messages about it; a bare list of messages when the input as a whole is refused (for "
    "example a search term with a null character).",
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ],
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self._component("Error", ERROR_SCHEMA)
        invalid = self._component("ValidationError", VALIDATION_ERROR_SCHEMA)
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        has_input = "requestBody" in operation or any(p["in"] == "query" for p in parameters)
        if writes or has_input:
            responses.setdefault("400", _response(
                "Invalid input, or a change the rules refuse." if writes else "Invalid input.",
                invalid))
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            responses.setdefault("401", _response("Not authenticated.", error))
            responses.setdefault("403", _response("Not allowed for this role.", error))
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator()
        if paginated or any(p["in"] == "path" for p in parameters):
            responses.setdefault("404", _response("Not found (or not in this workspace).", error))
        if "requestBody" in operation:
            responses.setdefault("415", _response("Unsupported request content type.", error))
        responses.setdefault("503", {
            **_response("The database is not available; try again after Retry-After.", error),
            "headers": {"Retry-After": {"schema": {"type": "integer"},
                                        "description": "Seconds to wait before trying again."}},
        })
        return operation

    def _component(self, name, schema):
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref


def _response(description, ref):
    return {"description": description, "content": {"application/json": {"schema": ref}}}
