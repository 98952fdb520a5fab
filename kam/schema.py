"""OpenAPI generation (drf-spectacular): every operation also documents its error answers.

drf-spectacular only documents the success answer. Clients (and the schema fuzzing in
`tests/test_api_schema.py`) need the errors too, so they are added from what the
operation has: authentication (401/403), a path id or a page number (404), input
(400/415), the database being away (503, every operation), rate limits (429 with
Retry-After, every authenticated operation) and, on every POST, the optional
`Idempotency-Key` header with its 409 and 422 (integrations.idempotency). A 400 is documented for
every operation: a query parameter the operation does not document (`kam.query_params`),
a body that is not JSON, a change a rule refuses (deleting an open campaign, a link for a
closed one), even where no body is asked. Every 400 has one body, the `ValidationError`
component (DRF's shape, see `kam.api.exception_handler`, with the row errors of bulk
writes as its documented extension); other errors are `ApiError`.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

# Component names a generated client would confuse with its own classes (or its
# language's): `tests/test_generated_client.py` fails on a component named so.
RESERVED_COMPONENT_NAMES = frozenset({
    "Any", "Api", "AuthenticatedClient", "BaseModel", "Client", "Dict", "Enum", "Error",
    "Errors", "Exception", "Field", "File", "FileTypes", "List", "Literal", "Model",
    "Models", "Object", "Optional", "Request", "Response", "RootModel", "Type", "Types",
    "UnexpectedStatus", "Union", "Unset",
})

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error that is not about one field.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
ROW_ERROR_SCHEMA = {
    "type": "object",
    "description": "One problem of a bulk write: the row, the field and the message.",
    "properties": {
        "row": {"type": "integer", "nullable": True, "description": "1-based position of "
                "the row in the list sent; null when the problem is the body as a whole."},
        "field": {"type": "string"},
        "message": {"type": "string"},
    },
    "required": ["row", "field", "message"],
}
VALIDATION_ERROR_SCHEMA = {
    "description": 'Invalid input: field name (or "non_field_errors", "detail", or "query" '
    "for unknown query parameters) to the messages about it (a list of strings; for a list "
    "of items, one such object per item). Bulk writes name every bad row under `errors`. "
    "A bare list of messages when the input as a whole is refused (for example a search "
    "term with a null character).",
    "oneOf": [
        {"type": "object",
         "properties": {"errors": {"type": "array",
                                   "items": {"$ref": "#/components/schemas/RowError"},
                                   "description": "Bulk writes: every problem, by row."}},
         "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ],
}


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string of up to 255 characters (a UUID, say) to retry this "
    "POST safely: for 24 hours the same key with the same body gets the first answer again "
    "(with `Idempotent-Replayed: true`) instead of running twice; with another body it is a "
    "422, and while the first request runs a 409. Failed answers (5xx) are not kept.",
    "schema": {"type": "string", "maxLength": 255},
}
REPLAYED_HEADER = {"Idempotent-Replayed": {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present when this is the stored answer of an earlier request with the "
    "same Idempotency-Key.",
}}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self._component("ApiError", ERROR_SCHEMA)
        self._component("RowError", ROW_ERROR_SCHEMA)
        invalid = self._component("ValidationError", VALIDATION_ERROR_SCHEMA)
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        responses.setdefault("400", _response(
            "Invalid input, or a change the rules refuse." if writes
            else "Invalid input (an unknown query parameter names it).", invalid))
        # One error dialect: whatever an operation's annotation says a 400 carries, it is
        # the ValidationError component (its description stays).
        responses["400"]["content"] = _response("", invalid)["content"]
        authenticated = not all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if authenticated:
            responses.setdefault("401", _response("Not authenticated.", error))
            responses.setdefault("403", _response("Not allowed for this role.", error))
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator()
        if paginated or any(p["in"] == "path" for p in parameters):
            responses.setdefault("404", _response("Not found (or not in this workspace).", error))
        if "requestBody" in operation:
            responses.setdefault("415", _response("Unsupported request content type.", error))
        if self.method == "POST":  # safe retries (integrations.idempotency)
            operation["parameters"] = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
            for code, answer in responses.items():
                if code.startswith("2"):
                    answer.setdefault("headers", {}).update(REPLAYED_HEADER)
            responses.setdefault("409", _response(
                "A request with this Idempotency-Key is still being processed.", error))
            responses.setdefault("422", _response(
                "This Idempotency-Key was used with another request body.", error))
        if authenticated:  # rate limits per token (kam.rate_limits)
            responses.setdefault("429", {
                **_response("Too many requests for this token; try again after Retry-After.",
                            error),
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description":
                                            "Seconds to wait before trying again."}},
            })
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
