"""Import kinds and their registry.

Each kind (customers, period figures, survey answers) declares its columns, how a row is
checked and previewed, and its set-based write; the pipeline (file reading here, the jobs,
pages and tasks in customers) calls every kind through this registry. A kind registers
itself in its app's AppConfig.ready, so that the pipeline, in a low layer, never imports
the app above it that holds the kind.
"""

from dataclasses import dataclass, field

from . import files
from .rows import UpsertResult

CHUNK_ROWS = 1000  # rows written between two progress reports


@dataclass(frozen=True)
class Context:
    """Who imports what: the workspace, the uploader, the kind's options (JSON, kept on the
    job) and the ids of the customers the uploader may change (None: all of them)."""

    tenant: object
    user: object = None
    options: dict = field(default_factory=dict)
    editable: object = None


@dataclass
class Checked:
    """A check's outcome: the counts and errors, and what the kind's write takes."""

    result: UpsertResult
    plan: object = None


class ImportKind:
    """The base of a kind; subclasses set the names and implement columns, check, write."""

    name = ""  # stored on the job, and in the pages' URLs
    label = ""
    description = ""
    action_label = ""  # the button to its upload page ("Import customers")
    # Whether a line replaces its record whole (survey answers) rather than changing only
    # the columns the file has (customers, figures).
    replaces_rows = False
    # A flag of the preview -> the label shown for "look at this twice".
    flag_labels = {}
    # A form (GET) choosing what the file is for (a campaign), when the columns depend on
    # it; its cleaned data goes through `scope_options`.
    scope_form = None

    @property
    def has_scope(self):
        return self.scope_form is not None

    def scope_options(self, cleaned_data):
        return {}

    def upload_fields(self):
        """Form fields asked with the file (name -> field); their values are options too."""
        return {}

    def upload_options(self, cleaned_data):
        return {}

    def columns(self, options):
        raise NotImplementedError

    def column_help(self, column, options):
        from .cells import column_help

        return column_help(column)

    def read(self, content, file_format, options=None):
        """The file's rows under this kind's columns; raises files.ImportFileError."""
        return files.read(self.columns(options or {}), content, file_format)

    def check(self, context, parsed, *, preview=None):
        """Check every row (and fill in `preview`, a rows.ChangePreview, on a dry run);
        writes nothing. Returns Checked."""
        raise NotImplementedError

    def write(self, context, checked, *, progress=None):
        """Write a check without errors, set-based, inside the caller's transaction;
        `progress(rows written)` as it goes."""
        raise NotImplementedError

    def committed(self, result):
        """What a committed job keeps besides its counts (kept in its preview)."""
        return {}

    def template_rows(self, context):
        """The rows of the downloadable template (by default the columns' examples)."""
        return [[column.example for column in self.columns(context.options)]]

    def template_name(self, options):
        return f"kam-{self.name}-template"

    def scope_label(self, options):
        """What the scope is, as the pages name it ("2026Q1"); "" for kinds without one."""
        return ""

    def title(self, options):
        """The kind as the pages name one of its jobs ("Survey answers 2026Q1")."""
        return f"{self.label} {self.scope_label(options)}".strip()

    def result_link(self, options):
        """(label, url) of the page to go to after a commit, or None."""
        return None


_kinds = {}


def register(kind):
    """Add `kind` (an ImportKind) to the pipeline; a second kind of the same name replaces
    the first."""
    _kinds[kind.name] = kind


def unregister(name):
    _kinds.pop(name, None)


def get(name):
    """The kind called `name`; LookupError when no app registered it."""
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No import kind {name!r} is registered") from None


def all_kinds():
    return list(_kinds.values())


def chunks(items):
    """`items` in slices of CHUNK_ROWS, for writes that report progress."""
    for start in range(0, len(items), CHUNK_ROWS):
        yield items[start:start + CHUNK_ROWS]
