"""What checking rows gives: row errors (stored messages by line and column), the counts,
and the dry run's preview of every change (new rows, changed fields old → new, flags);
and how pages show them in the reader's language."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts import roles
from kam import messages

from . import row_messages

MAX_STORED_ERRORS = 5000  # a job keeps this many errors; error_count has them all
PREVIEW_LIMIT = 1000  # entries a preview keeps; its counts cover every row


@dataclass
class RowError:
    row: int  # 1-based position in the upload (a spreadsheet line number when known)
    field: str
    message: object  # a stored message (kam.messages): rendered in the reader's language

    def as_dict(self):
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)
    # Customers with a new figure row or a changed value: what a re-scoring would see.
    changed_customer_ids: set = field(default_factory=set)

    @property
    def ok(self):
        return not self.errors


def row_errors(row_number, exc, model, column_of=None):
    """RowErrors, with the product's column-aware messages, of a model ValidationError."""
    return [RowError(row_number, column, message)
            for column, message in row_messages.model_errors(exc, model, column_of)]


def not_on_team_error(number, field, code):
    return RowError(number, field, messages.message(roles.NOT_ON_TEAM, code=code))


def joined(*parts):
    """Stored messages shown one after the other (the text of its own is only spaces)."""
    names = [f"p{n}" for n in range(len(parts))]
    return messages.message(" ".join(f"%({name})s" for name in names),
                            **dict(zip(names, parts, strict=True)))


def merged_errors(file_errors, row_errors_):
    """The errors of reading the file and of checking its rows, by line. A cell the file
    itself cannot give (a formula without a value) has its own message; what the check
    then says about that empty cell would only confuse."""
    for error in row_errors_:
        if error.field == "__all__":
            error.field = ""
    if not file_errors:
        return row_errors_
    told = {(error.row, error.field) for error in file_errors if error.field}
    return sorted(file_errors + [e for e in row_errors_ if (e.row, e.field) not in told],
                  key=lambda e: e.row if e.row is not None else 0)


def stored_errors(errors):
    """Errors as a job keeps them: message ids with their parameters, rendered in the
    reader's language when shown."""
    return [{"row": e.row, "column": e.field,
             "message": e.message if messages.is_message(e.message) else str(e.message)}
            for e in errors[:MAX_STORED_ERRORS]]


def rendered_errors(errors):
    """Stored errors with their messages in the active language; rows stored as plain
    text (by jobs from before stored messages) as they are."""
    return [{**error, "message": messages.render(error.get("message"))} for error in errors]


# --- the dry run's preview ------------------------------------------------------------


@dataclass
class ChangePreview:
    """What a check would change, row by row, for the dry-run page: each new row with
    its values, each changed field of an existing row (old → new), and a count of the
    rows that change nothing. Entries are capped at `limit`; the counts are not.

    An entry is {"row", "code", "period", "field", "old", "new", "flag"} for a change, or
    {"row", "code", "period", "new_row": True, "values": [[column, value]]} for a new
    row; "period" says which of the code's rows (a quarter, a department). Values are
    JSON: None, text, {"number": "1.50"} or a stored message (a choice label, yes/no),
    shown in the reader's language and number format."""

    limit: int = PREVIEW_LIMIT
    new_rows: int = 0
    changed_rows: int = 0
    unchanged_rows: int = 0
    changes: int = 0  # entries, listed or not
    flagged_count: int = 0
    entries: list = field(default_factory=list)
    flagged: list = field(default_factory=list)  # the entries to look at twice

    def _add(self, entry):
        self.changes += 1
        if len(self.entries) < self.limit:
            self.entries.append(entry)
        if entry.get("flag"):
            self.flagged_count += 1
            if len(self.flagged) < self.limit:
                self.flagged.append(entry)

    def new_row(self, row, code, values, period=""):
        self.new_rows += 1
        self._add({"row": row, "code": code, "period": period, "new_row": True,
                   "values": [[column, value] for column, value in values]})

    def changed_row(self, row, code, changes, period=""):
        """`changes`: [(column, old, new, flag or "")], none of them equal."""
        if not changes:
            self.unchanged_rows += 1
            return
        self.changed_rows += 1
        for column, old, new, flag in changes:
            self._add({"row": row, "code": code, "period": period, "field": column,
                       "old": old, "new": new, "flag": flag})

    def as_dict(self):
        return {"new_rows": self.new_rows, "changed_rows": self.changed_rows,
                "unchanged_rows": self.unchanged_rows, "changes": self.changes,
                "flagged_count": self.flagged_count, "entries": self.entries,
                "flagged": self.flagged}


YES, NO = gettext_lazy("yes"), gettext_lazy("no")


def preview_value(value, decimal_places=None):
    """A field's value as a ChangePreview keeps it (see there)."""
    if value is None or value == "":
        return None
    if messages.is_message(value):
        return value
    if isinstance(value, bool):
        return messages.message(YES if value else NO)
    if isinstance(value, Promise):
        return messages.message(value)
    if isinstance(value, Decimal | int):
        number = Decimal(value)
        if decimal_places is not None:
            number = number.quantize(Decimal(1).scaleb(-decimal_places))
        return {"number": str(number)}
    return str(value)


def rendered_value(value):
    """A preview value as the reader sees it: numbers in their locale, labels in their
    language; None for no value."""
    if value is None:
        return None
    if isinstance(value, dict) and "number" in value:
        return formats.number_format(Decimal(value["number"]), use_l10n=True,
                                     force_grouping=True)
    return messages.render(value)


def rendered_changes(entries, flag_labels):
    """Preview entries (ChangePreview) ready for the page; `flag_labels`: the kind's
    flag -> label."""
    return [{**entry, "old": rendered_value(entry.get("old")),
             "new": rendered_value(entry.get("new")),
             "period": rendered_value(entry.get("period")) or "",
             "values": [(column, rendered_value(value))
                        for column, value in entry.get("values") or ()],
             "flag_label": flag_labels.get(entry.get("flag") or "", "")}
            for entry in entries]
