"""Factories of the incremental-sync and safe-retry tables (tombstones, idempotency keys)."""

import factory

from tests.factories import TenantOwnedFactory

__all__ = ["DeletionFactory", "IdempotencyKeyFactory"]


class DeletionFactory(TenantOwnedFactory):
    class Meta:
        model = "integrations.Deletion"

    resource = "customers"
    object_id = factory.Sequence(lambda n: 900_000 + n)
    code = factory.Sequence(lambda n: f"GONE{n}")


class IdempotencyKeyFactory(TenantOwnedFactory):
    class Meta:
        model = "integrations.IdempotencyKey"

    key = factory.Sequence(lambda n: f"key-{n}")
    principal = "user:1"
    method = "POST"
    path = "/api/v1/customers/"
    body_hash = "0" * 64
    status_code = 201
    response_body = "{}"
