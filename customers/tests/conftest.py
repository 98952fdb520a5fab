"""Fixtures of the import tests (test_import*.py)."""

import pytest

from tests.factories import CustomerFactory


@pytest.fixture
def run_tasks(eager, django_capture_on_commit_callbacks):
    """Run the tasks queued on commit in-process, also when REDIS_URL names a broker (CI):
    `with run_tasks(): client.post(...)`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def customers(tenant):
    return [CustomerFactory(tenant=tenant, code=f"OEM-{n}", name=f"Carmaker {n}")
            for n in range(1, 5)]
