"""factory-boy factories for projects models; re-exported by tests/factories.py."""

import factory  # noqa: F401

from tests.factories import SameTenantSubFactory, TenantOwnedFactory, UserFactory  # noqa: F401
