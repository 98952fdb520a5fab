"""The import pipeline runs kinds that apps above it register: it never imports them.

The pipeline's pure parts (kam/imports/) sit in the lowest layer, its jobs, pages and tasks
with the ImportJob model in customers; the survey-answers kind lives in satisfaction, a
layer above, and registers itself at start-up (SatisfactionConfig.ready)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from customers import import_jobs, tasks
from customers.models import ImportJob
from kam.imports import kinds
from kam.imports.cells import Column
from kam.imports.rows import RowError, UpsertResult
from kam.tenancy import tenant_context
from tests.factories import MembershipFactory

ROOT = Path(settings.BASE_DIR)
PIPELINE = [*sorted((ROOT / "kam" / "imports").glob("*.py")),
            *(ROOT / "customers" / f"{name}.py" for name in (
                "import_jobs", "import_selectors", "import_views", "import_urls", "tasks"))]
ABOVE_CUSTOMERS = {"teams", "projects", "satisfaction", "dashboards"}


def imported_packages(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_the_pipeline_imports_no_app_above_customers():
    found = {f"{path.relative_to(ROOT)} imports {package}"
             for path in PIPELINE for package in imported_packages(path)
             if package in ABOVE_CUSTOMERS}
    assert not found


def test_the_answers_kind_comes_from_satisfaction_through_the_registry():
    kind = kinds.get("answers")
    assert type(kind).__module__ == "satisfaction.importing"
    assert reverse("import_answers") == "/customers/import/answers/"
    with pytest.raises(LookupError):
        kinds.get("no-such-kind")


# --- a kind of an app the pipeline has never heard of ---------------------------------------

class NotesKind(kinds.ImportKind):
    """A kind as a higher app would declare it: columns, a check with a preview, a write."""

    name = "test-notes"
    label = "Notes"
    flag_labels = {"shouting": "Written in capitals"}
    written = []

    def columns(self, options):
        return [Column("note", "text", True, "A note."), Column("stars", "integer", False, "")]

    def check(self, context, parsed, *, preview=None):
        result = UpsertResult()
        plan = []
        for line, row in zip(parsed.lines, parsed.rows, strict=True):
            if row["note"] == "bad":
                result.errors.append(RowError(line, "note", "Not a note."))
                continue
            plan.append(row["note"])
            if preview is not None:
                preview.new_row(line, row["note"], [("stars", row["stars"])],
                                period=context.options.get("shelf", ""))
        result.created = len(plan)
        return kinds.Checked(result=result, plan=plan)

    def write(self, context, checked, *, progress=None):
        for done, note in enumerate(checked.plan, start=1):
            self.written.append((context.options["shelf"], note))
            if progress:
                progress(done)


@pytest.fixture
def notes_kind():
    kind = NotesKind()
    kind.written = []
    kinds.register(kind)
    yield kind
    kinds.unregister(kind.name)


def test_a_registered_kind_runs_through_the_pipeline_and_its_tasks(tenant, notes_kind, eager):
    user = MembershipFactory(tenant=tenant, role="admin").user
    with tenant_context(tenant):
        job = import_jobs.create_job(tenant, kind="test-notes", name="notes.csv", user=user,
                                     content=b"Note;Stars\nfirst;3\n\nsecond;5\n",
                                     options={"shelf": "A"})
    tasks.validate_import.delay(job_id=job.pk, tenant_id=tenant.pk)
    with tenant_context(tenant):
        job = ImportJob.objects.get(pk=job.pk)
        assert job.status == ImportJob.Status.VALIDATED, job.errors
        assert [(e["row"], e["code"], e["period"]) for e in job.preview["entries"]] == [
            (2, "first", "A"), (4, "second", "A")]
        assert notes_kind.written == []  # a dry run
        assert import_jobs.start_commit(job)
    tasks.commit_import.delay(job_id=job.pk, tenant_id=tenant.pk)
    with tenant_context(tenant):
        job = ImportJob.objects.get(pk=job.pk)
    assert (job.status, job.created_count, job.title) == ("done", 2, "Notes")
    assert notes_kind.written == [("A", "first"), ("A", "second")]

    with tenant_context(tenant):
        bad = import_jobs.validate_job(import_jobs.create_job(
            tenant, kind="test-notes", name="bad.csv", user=user,
            content=b"note\nbad\n", options={"shelf": "A"}))
    assert bad.status == ImportJob.Status.INVALID
    assert bad.errors == [{"row": 2, "column": "note", "message": "Not a note."}]
