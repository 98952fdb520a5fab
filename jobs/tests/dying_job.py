"""A scheduled job that kills the worker process running it, as running out of memory
does. Only the worker started by test_poison_messages imports it (`celery worker
--include`), so no other process knows the job."""

import os

from jobs import registry

NAME = "test-dies"


def dies(tenant, day, log):
    os._exit(137)  # no clean-up, no exception: the pool just loses its process


registry.JOBS[NAME] = registry.Job(NAME, NAME, "Kills its worker.", f"{__name__}.dies",
                                   "daily", hour=0, minute=0)
