"""factory-boy factories for satisfaction models; re-exported by tests/factories.py."""

import factory  # noqa: F401

from tests.factories import SameTenantSubFactory, TenantOwnedFactory, UserFactory  # noqa: F401
