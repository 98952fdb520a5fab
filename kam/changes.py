"""Who is changing rows, and from where: the context the history of changes records
(records.history) with every historical row.

It lives here, in the shared base, because those who know it sit in the lowest layers:
the pages' middleware and the API's authentication (accounts), the scheduled jobs (jobs),
the imports (customers). Like the tenant, it is a context variable, set for a request,
an import's commit or a job's run, and reset afterwards.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


class Source:
    PAGE = "page"
    API = "api"
    IMPORT = "import"
    JOB = "job"
    TASK = "task"
    SYSTEM = "system"  # a shell, a migration, a management command


@dataclass(frozen=True)
class ChangeContext:
    source: str = Source.SYSTEM
    user: Any = None  # the accounts.User, or None (a job, a shell)
    token_id: int | None = None
    token_name: str = ""
    # The import job's id, or the job's or task's name.
    reference: str = ""


_current = ContextVar("kam_change_context", default=ChangeContext())  # noqa: B039 (frozen)


def current() -> ChangeContext:
    return _current.get()


def set_context(**fields):
    """Set the context (fields of ChangeContext) and return the token `reset` takes."""
    return _current.set(ChangeContext(**fields))


def reset(token) -> None:
    _current.reset(token)


@contextmanager
def change_context(source: str, *, user=None, token_id: int | None = None,
                   token_name: str = "", reference: str = ""):
    """Changes made inside are recorded as made by `user` (or the API token) from
    `source`. Left out, the user is the enclosing context's (an import started from a
    page keeps the person who started it)."""
    outer = _current.get()
    token = _current.set(ChangeContext(
        source=source, user=user if user is not None else outer.user,
        token_id=token_id, token_name=token_name, reference=str(reference)))
    try:
        yield
    finally:
        _current.reset(token)
