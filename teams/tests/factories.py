"""factory-boy factories for teams models; re-exported by tests/factories.py."""

import factory  # noqa: F401

from tests.factories import SameTenantSubFactory, TenantOwnedFactory, UserFactory  # noqa: F401
