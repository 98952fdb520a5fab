"""Import of customers and period figures from CSV and XLSX files.

The one place for the import rules; the browser views, the Celery tasks and the tests
call these functions.

Flow: an upload is stored in an `ImportJob` (the bytes in the row, so the file is as
tenant-scoped as any other row) → `validate_job` parses it and dry-runs the upsert,
recording every row's errors by spreadsheet line and column → `start_commit` +
`commit_job` parse it again and write all rows in one transaction, in chunks that
report progress; if anything fails (for instance a customer deleted since the dry run)
the transaction is rolled back and the job shows the errors.

Files: CSV in UTF-8 (with or without a byte-order mark), comma, semicolon or tab
separated (taken from the header line); XLSX, first worksheet. Line 1 holds the column
names, matched without regard to case, spaces, underscores or hyphens. Numbers may carry
thousands separators ("1,234.50"; in semicolon files the comma is the decimal separator,
"1.234,50"), percentages a trailing "%". Blank lines are skipped (line numbers still
count them). An empty cell clears the value, except where a column says otherwise.
"""

import csv
import functools
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, models, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import User
from accounts.selectors import KAM, assignable_members
from kam import codes as code_rules
from kam import messages

from . import selectors, services
from .models import Customer, ImportJob, LifecycleStage, Region, ScoringRun, Segment
from .services import ChangePreview, RowError, UpsertResult, preview_value

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_STORED_ERRORS = 5000  # a job keeps this many errors; error_count has them all
CHUNK_ROWS = 1000  # rows written between two progress reports
PROGRESS_TTL = 60 * 60


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, bad header, no rows); `message`
    is a stored message (kam.messages)."""

    def __init__(self, message, row=None, column=""):
        super().__init__(messages.render(message))
        self.message, self.row, self.column = message, row, column


def _joined(*parts):
    """Stored messages shown one after the other (the text of its own is only spaces)."""
    names = [f"p{n}" for n in range(len(parts))]
    return messages.message(" ".join(f"%({name})s" for name in names),
                            **dict(zip(names, parts, strict=True)))


# --- columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | decimal | percent | integer | period | choice | email | boolean
    required: bool
    help: str
    example: object = ""


def _choice_help(choices):
    return ", ".join(choices.values)


CUSTOMER_COLUMNS = [
    Column("code", "text", True, gettext_lazy(
        "Your code for the customer, unique in the workspace (at most 30 characters). A row "
        "whose code exists updates that customer; a new code creates one."), "OEM-001"),
    Column("name", "text", True, gettext_lazy("The customer's name."), "Example Motors"),
    Column("parent_code", "text", False, gettext_lazy(
        "Code of its group (parent) customer: an existing customer or one in this file. "
        "Empty for none."), ""),
    Column("region_code", "text", False, gettext_lazy(
        "Code of one of the workspace's regions. Empty for none."), "east"),
    Column("segment", "choice", False, gettext_lazy(
        "One of: %(choices)s. Empty: oem_passenger for a new customer, unchanged for an "
        "existing one."), "oem_passenger"),
    Column("country", "text", False, gettext_lazy("Country."), "China"),
    Column("city", "text", False, gettext_lazy("City."), "Shanghai"),
    Column("lifecycle_stage", "choice", False, gettext_lazy(
        "One of: %(choices)s. Empty: developing for a new customer, unchanged for an "
        "existing one."), "key"),
    Column("owner_email", "email", False, gettext_lazy(
        "E-mail of the account manager (KAM), an active member of this workspace. "
        "Empty for none."), "kam@example.com"),
    Column("is_active", "boolean", False, gettext_lazy(
        "yes or no (also true/false, 1/0). Empty: yes for a new customer, unchanged for an "
        "existing one."), "yes"),
]
CHOICES = {"segment": Segment, "lifecycle_stage": LifecycleStage}

FIGURE_COLUMNS = [
    Column("customer_code", "text", True, gettext_lazy(
        "Code of an existing customer of this workspace."), "OEM-001"),
    Column("period", "period", True, gettext_lazy(
        "Quarter: year, the letter Q, quarter 1–4, e.g. 2026Q3 (2026-Q3, 2026 Q3 and "
        "Q3 2026 are read as 2026Q3). A customer and quarter already imported are "
        "updated."), "2026Q3"),
    Column("revenue", "decimal", True, gettext_lazy(
        "Revenue in the quarter, ≥ 0, in the workspace currency."), Decimal("1250000.00")),
    Column("volume", "integer", False, gettext_lazy("Units delivered, whole number ≥ 0."),
           48000),
    Column("supply_share", "percent", False, gettext_lazy(
        "Our share of the customer's spend in our category, in percent (0–100)."),
           Decimal("35.5")),
    Column("gross_margin", "percent", False, gettext_lazy("Gross margin, in percent (0–100)."),
           Decimal("18.2")),
    Column("payment_days", "integer", False, gettext_lazy(
        "Payment terms in days, whole number ≥ 0."), 60),
    Column("cost_to_serve", "decimal", False, gettext_lazy(
        "Cost to serve (sales expense) in the quarter, ≥ 0."), Decimal("21000.00")),
    Column("quality_ppm", "decimal", False, gettext_lazy(
        "Defective parts per million reported by the customer, ≥ 0."), Decimal("45.0")),
    Column("on_time_delivery", "percent", False, gettext_lazy(
        "On-time delivery, in percent (0–100)."), Decimal("97.8")),
    Column("market_influence", "integer", False, gettext_lazy("Rating 1–5."), 4),
    Column("loyalty", "integer", False, gettext_lazy("Rating 1–5."), 3),
    Column("strategic_fit", "integer", False, gettext_lazy(
        "Strategic region fit, rating 1–5."), 5),
]

COLUMNS = {ImportJob.Kind.CUSTOMERS: CUSTOMER_COLUMNS, ImportJob.Kind.FIGURES: FIGURE_COLUMNS}


def column_help(column):
    choices = CHOICES.get(column.name)
    return str(column.help) % {"choices": _choice_help(choices)} if choices else str(column.help)


def normalise_header(text):
    return re.sub(r"[\s_\-]+", "", str(text or "")).lower().lstrip("\ufeff")


# --- checking an upload ------------------------------------------------------------


def upload_size_message(size):
    return _("The file is %(size).1f MB; the limit is %(limit)d MB.") % {
        "size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}


def upload_format(name, content):
    """The file's format ("csv" or "xlsx"); raises ValidationError with a message fit for a
    form when it is neither, too big, empty or not UTF-8 text."""
    size = len(content)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(upload_size_message(size))
    if not size:
        raise ValidationError(_("The file is empty."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    is_zip = content[:4] == b"PK\x03\x04"
    if extension == "xlsx":
        if not is_zip:
            raise ValidationError(_("This is not an XLSX workbook. Save it from Excel as "
                                    "“Excel Workbook (.xlsx)” and upload it again."))
        return "xlsx"
    if extension in ("csv", "txt"):
        if is_zip or b"\x00" in content[:4096]:
            raise ValidationError(_("This is not a CSV text file."))
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise ValidationError(_(
                "The file is not UTF-8 text (first bad byte on line %(line)d). Save it as "
                "“CSV UTF-8” and upload it again.") % {"line": line}) from exc
        return "csv"
    if extension in ("xls", "xlsm", "ods", "numbers"):
        raise ValidationError(_("Save the spreadsheet as .xlsx or .csv and upload it again."))
    raise ValidationError(_("Upload a .csv or .xlsx file."))


# --- reading a file ------------------------------------------------------------------


@dataclass
class ParsedFile:
    rows: list  # dicts: column name -> value ("" for an empty cell)
    lines: list  # the spreadsheet line of each row
    errors: list  # RowError for rows that cannot be read as they are


class _FormulaWithoutValue:
    """A formula cell whose workbook holds no computed value for it: saved by a program
    that writes formulas without calculating them. Read with data_only, it looks empty."""

    def __repr__(self):
        return "<formula without a saved value>"


FORMULA_WITHOUT_VALUE = _FormulaWithoutValue()
FORMULA_MESSAGE = gettext_lazy(
    "This cell holds a formula with no saved value: open the file in Excel (or another "
    "spreadsheet program that calculates formulas), save it, and upload it again.")

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _formulas_without_value(archive, path):
    """{line: [column numbers]} of the sheet's formula cells with no cached value: <f>
    with no or an empty <v>, except a formula whose cached result is an empty text
    (t="str"), which is a value."""
    if not path:
        return {}
    data = archive.read(path.lstrip("/"))
    if not _FORMULA_TAG.search(data):  # most files hold no formula: no second pass
        return {}
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.functions import iterparse  # the parser openpyxl reads the sheet with

    found = {}
    cell_tag, formula_tag, value_tag = (f"{_SHEET_NS}c", f"{_SHEET_NS}f", f"{_SHEET_NS}v")
    for _event, element in iterparse(io.BytesIO(data)):
        if element.tag == cell_tag:
            value = element.find(value_tag)
            if (element.find(formula_tag) is not None and element.get("r")
                    and element.get("t") != "str"
                    and (value is None or not (value.text or "").strip())):
                line, column = coordinate_to_tuple(element.get("r"))
                found.setdefault(line, []).append(column)
        elif element.tag == f"{_SHEET_NS}row":
            element.clear()
    return found


def _xlsx_rows(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(messages.message(gettext_lazy(
            "The workbook cannot be read: %(reason)s. Save it from Excel as .xlsx and upload "
            "it again."), reason=str(exc))) from exc
    try:
        sheet = workbook.worksheets[0]
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            formulas = _formulas_without_value(archive, getattr(sheet, "_worksheet_path", ""))
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every cell
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if line in formulas:
                cells = list(cells)
                for column in formulas[line]:
                    cells.extend([None] * (column - len(cells)))
                    if cells[column - 1] is None:
                        cells[column - 1] = FORMULA_WITHOUT_VALUE
            yield line, cells
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet: any error of the XML reader
        raise ImportFileError(messages.message(gettext_lazy(
            "The workbook cannot be read: %(reason)s."), reason=str(exc))) from exc
    finally:
        workbook.close()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED_COMMA = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_GROUPED_DOT = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}")


def number_text(text, decimal_comma=False, percent=False):
    """A number written by people ("1,234.50", "1.234,5", "35 %") as Python writes it,
    or the text unchanged when it is not a number (the model then says why)."""
    if _NUMBER.fullmatch(text):
        return text
    s = re.sub(r"[\s\u00a0\u202f']", "", text)
    if percent and s.endswith("%"):
        s = s[:-1]
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if decimal_comma and s.count(",") == 1:
            s = s.replace(",", ".")
        elif _GROUPED_COMMA.fullmatch(s):
            s = s.replace(",", "")
    elif _GROUPED_DOT.fullmatch(s):
        s = s.replace(".", "")
    return s if _NUMBER.fullmatch(s) else text


NUMERIC_TYPES = frozenset({"decimal", "percent", "integer"})
_INTEGER = re.compile(r"[+-]?\d+")


def cell_value(value, column, decimal_comma=False):
    """One cell as the upsert takes it: "" when empty, numbers as int/Decimal or as text
    Python can read, anything else as stripped text."""
    numeric = column.type in NUMERIC_TYPES
    if value.__class__ is str:
        text = value.strip()
        if not text or not numeric:
            return text
        text = number_text(text, decimal_comma, percent=column.type == "percent")
        if column.type == "integer" and not _INTEGER.fullmatch(text):
            try:
                number = Decimal(text)
            except InvalidOperation:
                return text
            return int(number) if number == number.to_integral_value() else text
        return text
    if value is None:
        return ""
    if isinstance(value, bool):
        return value if column.type == "boolean" else str(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return value if numeric else str(value)
    if hasattr(value, "isoformat"):  # a date typed where text was expected
        return value.isoformat()
    return cell_value(str(value), column, decimal_comma)


def parse(kind, content, file_format):
    """Read an upload into rows; raises ImportFileError when the file cannot be used."""
    columns = COLUMNS[kind]
    by_key = {normalise_header(c.name): c for c in columns}
    if file_format == "xlsx":
        source = _xlsx_rows(content)
        decimal_comma = False
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(messages.message(gettext_lazy("The file is not UTF-8 text."))
                                  ) from exc
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        decimal_comma = delimiter == ";"
        source = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                           start=1)
    try:
        header_line, header = next(
            ((n, cells) for n, cells in source if any(_filled(c) for c in cells)), (None, None))
        if header is None:
            raise ImportFileError(messages.message(gettext_lazy(
                "The file is empty: line 1 must hold the column names.")), row=1)
        header = [None if c is FORMULA_WITHOUT_VALUE else c for c in header]
        mapping = _map_header(header, by_key, columns, header_line)
        rows, lines, errors = [], [], []
        for number, cells in source:
            if not any(_filled(c) for c in cells):
                continue
            row = {}
            for position, column in mapping.items():
                value = cells[position] if position < len(cells) else None
                if value is FORMULA_WITHOUT_VALUE:
                    errors.append(RowError(number, column.name,
                                           messages.message(FORMULA_MESSAGE)))
                    value = None
                row[column.name] = cell_value(value, column, decimal_comma)
            stray = [p for p in range(len(cells)) if p not in mapping and _filled(cells[p])]
            if stray:  # values under no column name
                errors.append(RowError(number, "", messages.message(gettext_lazy(
                    "Line %(line)d has values in column %(position)d, which has no name "
                    "in line %(header)d."), line=number, position=stray[0] + 1,
                    header=header_line)))
            rows.append(row)
            lines.append(number)
    except csv.Error as exc:
        raise ImportFileError(messages.message(gettext_lazy(
            "The CSV file cannot be read: %(reason)s."), reason=str(exc))) from exc
    if not rows:
        raise ImportFileError(messages.message(gettext_lazy(
            "The file has no data rows below the column names.")), row=header_line)
    return ParsedFile(rows=rows, lines=lines, errors=errors)


def _filled(value):
    return value is FORMULA_WITHOUT_VALUE or (value is not None and str(value).strip() != "")


def _map_header(header, by_key, columns, line):
    mapping, unknown, seen = {}, [], {}
    for position, cell in enumerate(header):
        if not _filled(cell):
            continue
        column = by_key.get(normalise_header(cell))
        if column is None:
            unknown.append(str(cell).strip())
        elif column.name in seen:
            raise ImportFileError(messages.message(gettext_lazy(
                "The column %(name)s appears twice (columns %(first)d and %(second)d)."),
                name=column.name, first=seen[column.name] + 1, second=position + 1),
                row=line, column=column.name)
        else:
            mapping[position] = column
            seen[column.name] = position
    missing = [c.name for c in columns if c.required and c.name not in seen]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(messages.message(gettext_lazy("Unknown columns: %(names)s."),
                                          names=", ".join(unknown)))
        if missing:
            parts.append(messages.message(gettext_lazy("Missing required columns: %(names)s."),
                                          names=", ".join(missing)))
        parts.append(messages.message(gettext_lazy("Expected columns: %(names)s."),
                                      names=", ".join(c.name for c in columns)))
        raise ImportFileError(_joined(*parts), row=line, column=", ".join(unknown + missing))
    return mapping


# --- templates -----------------------------------------------------------------------


def template_csv(kind):
    columns = COLUMNS[kind]
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens it as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue().encode("utf-8")


def template_xlsx(kind):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    columns = COLUMNS[kind]
    workbook = Workbook()
    data = workbook.active
    data.title = str(ImportJob.Kind(kind).label)[:31]
    data.append([c.name for c in columns])
    data.append([c.example if c.example != "" else None for c in columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        data.cell(row=1, column=index).comment = None
        data.column_dimensions[data.cell(row=1, column=index).column_letter].width = max(
            14, len(column.name) + 4)
    data.freeze_panes = "A2"

    guide = workbook.create_sheet(_("Columns")[:31])
    guide.append([_("Column"), _("Required"), _("What to enter"), _("Example")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.name, _("yes") if column.required else _("no"),
                      column_help(column), str(column.example)])
    guide.append([])
    guide.append([_("Line 1 of the first sheet holds the column names (any order, case and "
                    "spaces do not matter); each further line is one record. Columns you leave "
                    "out are not changed; an empty cell clears the value unless its column "
                    "says otherwise. Nothing is written until the whole file is free of "
                    "errors.")])
    for letter, width in zip("ABCD", (20, 10, 80, 18), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- customers upsert ------------------------------------------------------------------

CUSTOMER_TEXT_FIELDS = ("name", "country", "city")
# model field -> the column that sets it
CUSTOMER_FIELD_COLUMNS = {"parent": "parent_code", "region": "region_code",
                          "owner": "owner_email", "__all__": ""}
TRUE_WORDS = {"1", "y", "yes", "true", "t", "x", "active", "是"}
FALSE_WORDS = {"0", "n", "no", "false", "f", "inactive", "否"}


def _choice_lookup(choices):
    lookup = {}
    for value, label in choices.choices:
        lookup[normalise_header(value)] = value
        lookup[normalise_header(str(label))] = value
        with translation.override("en"):
            lookup[normalise_header(str(label))] = value
    return lookup


def _text(value):
    return "" if value is None else str(value).strip()


def _boolean(value):
    if isinstance(value, bool):
        return value
    word = _text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(word)


@functools.cache
def _choice_messages(choices):
    """value -> the stored message of its label: built once, as the preview of a large
    file asks for a label on every row."""
    return {value: messages.message(label) for value, label in choices.choices}


def _label(choices, value):
    return _choice_messages(choices).get(value, value)


def upsert_customers(tenant, rows, *, dry_run=False, first_row_number=1, lines=None,
                     progress=None, editable=None, preview=None):
    """Create or update customers keyed by `code`, all or nothing.

    `rows` are dicts with `code` and any of the other CUSTOMER_COLUMNS (strings, or
    booleans for `is_active`). A column left out of a row leaves the field unchanged.
    `parent_code` may name a customer created by another row of the same rows; unknown
    parents, regions and owners (who must be active members of the tenant) are row errors
    naming the column. Nothing is written if any row has an error, or with `dry_run`.
    `progress(n)` is called as rows are written. A fixed number of queries for any number
    of rows (bulk writes aside). Errors name a row by `lines[i]` (a spreadsheet line) if
    given, else by `first_row_number + i`. `editable`: the ids of the existing customers
    the writer may change (None: all of them); new customers may always be added.
    `preview`: a ChangePreview to fill in.
    """
    # code -> (id, parent id) of every customer, for parent links and cycle checks.
    everyone = {code: (pk, parent_id) for pk, code, parent_id in
                Customer.objects.filter(tenant=tenant).values_list("id", "code", "parent_id")}
    code_of = {pk: code for code, (pk, _parent) in everyone.items()}
    rows = _codes_as_stored(list(rows), everyone)
    codes = {_text(row.get("code")) for row in rows}
    existing = {c.code: c for c in Customer.objects.filter(tenant=tenant, code__in=codes)}
    regions = {r.code.lower(): r for r in Region.objects.filter(tenant=tenant)}
    region_codes = {r.pk: r.code for r in regions.values()}
    emails = {_text(row.get("owner_email")).lower() for row in rows} - {""}
    owners = {}
    if emails:  # the people the customer form offers as owner: active account managers
        members = (assignable_members(tenant, for_=KAM).annotate(address=Lower("email"))
                   .filter(address__in=emails).values_list("address", "pk"))
        owners = dict(members)
    owner_emails = {user_id: email for email, user_id in owners.items()}
    if preview is not None:  # the present owners' addresses, for "old → new"
        missing = {c.owner_id for c in existing.values()} - set(owner_emails) - {None}
        owner_emails.update(User.objects.filter(pk__in=missing).values_list("pk", "email"))
    choice_lookups = {name: _choice_lookup(choices) for name, choices in CHOICES.items()}

    def line_of(offset):
        return lines[offset] if lines is not None else first_row_number + offset

    def state(customer, owner_id, parent_code):
        """column -> (value compared, value shown) of a customer as the file sees it."""
        return {
            "name": (customer.name, customer.name),
            "parent_code": (parent_code or "", parent_code),
            "region_code": (customer.region_id, region_codes.get(customer.region_id)),
            "segment": (customer.segment, _label(Segment, customer.segment)),
            "country": (customer.country, customer.country),
            "city": (customer.city, customer.city),
            "lifecycle_stage": (customer.lifecycle_stage,
                                _label(LifecycleStage, customer.lifecycle_stage)),
            "owner_email": (owner_id, owner_emails.get(owner_id)),
            "is_active": (customer.is_active, customer.is_active),
        }

    result = UpsertResult()
    file_codes = {}  # code -> offset of the row that has it
    seen_codes = {}  # code ignoring case -> line of the row that has it
    parents = {}  # code -> parent code wanted by the file ("" = none)
    valid = []  # (customer, parent code or None when unchanged)
    for offset, row in enumerate(rows):
        number = line_of(offset)
        errors = []
        code = _text(row.get("code"))
        if not code:
            result.errors.append(RowError(number, "code", messages.message(
                gettext_lazy("Enter the customer code."))))
            continue
        # Codes are identifiers: OEM-1 and oem-1 name the same customer.
        if code.casefold() in seen_codes:
            result.errors.append(RowError(number, "code", messages.message(gettext_lazy(
                "The code %(code)s appears twice in this upload (also line %(line)d)."),
                code=code, line=seen_codes[code.casefold()])))
            continue
        seen_codes[code.casefold()] = number
        file_codes[code] = offset
        customer = existing.get(code)
        if customer is None:
            customer = Customer(tenant=tenant, code=code)
            before = None
        elif editable is not None and customer.pk not in editable:
            result.errors.append(services.not_on_team_error(number, "code", code))
            continue
        else:
            before = (state(customer, customer.owner_id, code_of.get(customer.parent_id))
                      if preview is not None else None)
        for name in CUSTOMER_TEXT_FIELDS:
            if name in row:
                setattr(customer, name, _text(row[name]))
        for name, lookup in choice_lookups.items():
            word = _text(row.get(name))
            if word:
                value = lookup.get(normalise_header(word))
                if value is None:
                    errors.append(RowError(number, name, messages.message(gettext_lazy(
                        "“%(value)s” is not one of: %(choices)s."),
                        value=word, choices=_choice_help(CHOICES[name]))))
                else:
                    setattr(customer, name, value)
        if "is_active" in row and _text(row["is_active"]) != "":
            try:
                customer.is_active = _boolean(row["is_active"])
            except ValueError:
                errors.append(RowError(number, "is_active", messages.message(gettext_lazy(
                    "Enter yes or no, not “%(value)s”."), value=_text(row["is_active"]))))
        if "region_code" in row:
            region_code = _text(row["region_code"])
            region = regions.get(region_code.lower()) if region_code else None
            if region_code and region is None:
                errors.append(RowError(number, "region_code", messages.message(gettext_lazy(
                    "No region with code “%(code)s” in this workspace."), code=region_code)))
            customer.region = region
        owner_id = customer.owner_id
        if "owner_email" in row:
            email = _text(row["owner_email"]).lower()
            if email and email not in owners:
                errors.append(RowError(number, "owner_email", messages.message(gettext_lazy(
                    "%(email)s is not an active account manager of this workspace."),
                    email=email)))
            owner_id = owners.get(email)
        if "parent_code" in row:
            parent_code = _text(row["parent_code"])
            if parent_code == code:
                errors.append(RowError(number, "parent_code", messages.message(gettext_lazy(
                    "A customer cannot be its own group."))))
            elif parent_code and parent_code not in everyone and parent_code not in codes:
                errors.append(RowError(number, "parent_code", messages.message(gettext_lazy(
                    "No customer with code “%(code)s” in this workspace or this file."),
                    code=parent_code)))
            parents[code] = parent_code
        # Model validation; the tenant checks on owner/parent/region are the bulk ones above.
        for exc_source in (_clean_fields, _clean):
            try:
                exc_source(customer)
            except ValidationError as exc:
                errors.extend(services.row_errors(number, exc, Customer,
                                                  CUSTOMER_FIELD_COLUMNS))
        if errors:
            result.errors.extend(errors)
            continue
        customer.owner_id = owner_id
        valid.append(customer)
        if preview is not None:
            _preview_customer(preview, number, row, before, state(
                customer, owner_id, parents.get(code, code_of.get(customer.parent_id))),
                tier=customer.tier)

    # Parent links must not make a loop (A in group B, B in group A).
    if parents and not result.errors:
        def parent_of(child):
            if child in parents:
                return parents[child] or None
            parent_id = everyone.get(child, (None, None))[1]
            return code_of.get(parent_id)

        for code in parents:
            path, current = [code], parent_of(code)
            while current is not None:
                if current in path:
                    result.errors.append(RowError(
                        line_of(file_codes[code]), "parent_code", messages.message(
                            gettext_lazy("These group links make a loop: %(path)s."),
                            path=" → ".join([*path, current]))))
                    break
                path.append(current)
                current = parent_of(current)

    to_create = [c for c in valid if c.pk is None]
    to_update = [c for c in valid if c.pk is not None]
    result.created, result.updated = len(to_create), len(to_update)
    result.errors.sort(key=lambda e: e.row)
    if result.errors or dry_run:
        return result

    present = {name for row in rows for name in row}
    update_fields = [name for name in (*CUSTOMER_TEXT_FIELDS, *CHOICES, "is_active")
                     if name in present]
    update_fields += [field for field, column in CUSTOMER_FIELD_COLUMNS.items()
                      if column and column in present]
    update_fields.append("updated_at")
    # Parents first: a customer is written once the id of the group it names is known,
    # so groups created by this file are linked without a second pass.
    ids = {code: pk for code, (pk, _parent) in everyone.items()}
    pending, done = valid, 0
    with transaction.atomic():
        while pending:
            ready, waiting = [], []
            for customer in pending:
                parent_code = parents.get(customer.code)
                if parent_code and parent_code not in ids:
                    waiting.append(customer)
                    continue
                if customer.code in parents:
                    customer.parent_id = ids.get(parent_code) if parent_code else None
                ready.append(customer)
            if not ready:  # cannot happen: loops were refused above
                raise RuntimeError("customer group links make a loop")
            for start in range(0, len(ready), CHUNK_ROWS):
                chunk = ready[start:start + CHUNK_ROWS]
                _write_customers(chunk, update_fields)
                done += len(chunk)
                if progress:
                    progress(done)
            ids.update((customer.code, customer.pk) for customer in ready)
            pending = waiting
    return result


def _codes_as_stored(rows, everyone):
    """The rows with their codes and parent codes spelt as stored: codes are identifiers
    that ignore case and surrounding spaces (kam.codes), so `oem-1 ` in a file names the
    customer OEM-1, or the new customer a row before it spelt another way."""
    stored = {code_rules.key(code): code for code in everyone}
    for row in rows:  # new codes: the file's first spelling
        code = code_rules.normalise(_text(row.get("code")))
        if code:
            stored.setdefault(code_rules.key(code), code)
    result = []
    for row in rows:
        row = dict(row)
        for name in ("code", "parent_code"):
            if name in row and _text(row[name]):
                row[name] = stored.get(code_rules.key(_text(row[name])), _text(row[name]))
        result.append(row)
    return result


def _preview_customer(preview, number, row, before, after, tier):
    """One customer row of the preview: a new customer with the values it sets, or the
    columns it changes (old → new), flagging what deserves a second look."""
    columns = [c.name for c in CUSTOMER_COLUMNS[1:] if c.name in row
               and (c.name not in (*CHOICES, "is_active") or _text(row[c.name]) != "")]
    code = _text(row.get("code"))
    if before is None:
        preview.new_row(number, code, [(name, preview_value(after[name][1]))
                                       for name in columns if after[name][1] not in (None, "")])
        return
    changes = []
    for name in columns:
        (old, old_shown), (new, new_shown) = before[name], after[name]
        if old == new:
            continue
        flag = ""
        if name == "name" and tier == "A":
            flag = "a_tier_name"
        elif name == "owner_email" and old is not None:
            flag = "owner"
        elif name == "is_active" and old and not new:
            flag = "deactivation"
        changes.append((name, preview_value(old_shown), preview_value(new_shown), flag))
    preview.changed_row(number, code, changes)


def _write_customers(customers, update_fields):
    """Insert new and update existing customers in one INSERT … ON CONFLICT per chunk
    (bulk_update's CASE WHEN per field costs about a millisecond per row and field)."""
    for customer in customers:
        customer.pk = None  # matched on (tenant, code); the id comes back from the insert
    Customer.objects.bulk_create(customers, update_conflicts=True,
                                 unique_fields=["tenant", "code"], update_fields=update_fields)


def _clean_fields(customer):
    # Model.clean_fields, not TenantOwnedModel's: that one asks for the owner's membership
    # once a row; upsert_customers checks all owners, regions and parents in bulk.
    models.Model.clean_fields(customer, exclude={"tenant", "owner", "parent", "region"})


def _clean(customer):
    customer.clean()


# --- figures in chunks -----------------------------------------------------------------


def upsert_figures_in_chunks(tenant, rows, *, dry_run=False, progress=None, editable=None,
                             lines=None):
    """`services.upsert_figures` over CHUNK_ROWS rows at a time, all or nothing: call it
    inside a transaction, and roll that back when the result has errors. Once a chunk
    has errors the rest are only checked. Rows are named by `lines[i]` if given, else by
    their offset into `rows`.

    Each chunk is checked on its own, so a customer and period given twice in two chunks
    is not caught here: a dry run of all rows at once (`validate_job`) catches it."""
    total = UpsertResult()
    for start in range(0, len(rows), CHUNK_ROWS):
        result = services.upsert_figures(
            tenant, rows[start:start + CHUNK_ROWS], dry_run=dry_run or bool(total.errors),
            first_row_number=start, editable=editable,
            lines=lines[start:start + CHUNK_ROWS] if lines is not None else None)
        total.created += result.created
        total.updated += result.updated
        total.errors.extend(result.errors)
        total.changed_customer_ids |= result.changed_customer_ids
        if progress:
            progress(min(start + CHUNK_ROWS, len(rows)))
    return total


def check_rows(tenant, kind, parsed, *, dry_run, progress=None, editable=None, preview=None):
    """Upsert (or dry-run) the parsed rows; errors carry spreadsheet lines. `preview`: a
    ChangePreview to fill in (dry runs)."""
    if kind == ImportJob.Kind.CUSTOMERS:
        result = upsert_customers(tenant, parsed.rows, dry_run=dry_run, lines=parsed.lines,
                                  progress=progress, editable=editable, preview=preview)
    elif dry_run:
        result = services.upsert_figures(tenant, parsed.rows, dry_run=True, lines=parsed.lines,
                                         editable=editable, preview=preview)
    else:
        result = upsert_figures_in_chunks(tenant, parsed.rows, progress=progress,
                                          editable=editable, lines=parsed.lines)
    for error in result.errors:
        if error.field == "__all__":
            error.field = ""
    if parsed.errors:
        # A cell the file itself cannot give (a formula without a value) has its own
        # message; what the upsert then says about that empty cell would only confuse.
        told = {(error.row, error.field) for error in parsed.errors if error.field}
        result.errors = sorted(
            parsed.errors + [e for e in result.errors if (e.row, e.field) not in told],
            key=lambda e: e.row)
    return result


# --- jobs ----------------------------------------------------------------------------


def create_job(tenant, *, kind, name, content, user):
    """Store an upload; raises ValidationError if it is not a usable CSV/XLSX file."""
    file_format = upload_format(name, content)
    return ImportJob.objects.create(tenant=tenant, kind=kind, original_filename=name[:255],
                                    file_format=file_format, content=content, created_by=user)


def queue_failed(job):
    """The task for `job` could not be queued: a check is given up (upload again), a
    commit goes back to ready (commit again)."""
    if job.status == ImportJob.Status.RUNNING:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATED,
                                                   started_at=None)
    elif job.status == ImportJob.Status.UPLOADED:
        _fail(job, ImportJob.Status.INVALID, [RowError(None, "", messages.message(gettext_lazy(
            "The file could not be queued for checking. Upload it again in a few minutes.")))])


def _error_dicts(errors):
    # Stored as message ids with their parameters: rendered in the reader's language.
    return [{"row": e.row, "column": e.field,
             "message": e.message if messages.is_message(e.message) else str(e.message)}
            for e in errors[:MAX_STORED_ERRORS]]


def rendered_errors(errors):
    """A job's stored errors with their messages in the active language; rows stored as
    plain text (by jobs from before stored messages) as they are."""
    return [{**error, "message": messages.render(error.get("message"))} for error in errors]


def _fail(job, status, errors, **fields):
    job.status = status
    job.errors = _error_dicts(errors)
    job.error_count = len(errors)
    job.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def _editable(job):
    """The customers the uploader may change, by their role in the job's workspace now."""
    return roles.editable_customer_ids(job.tenant, job.created_by, today=job.tenant.today())


def validate_job(job):
    """Dry run of an uploaded job: VALIDATED with counts, or INVALID with the errors."""
    if job.status != ImportJob.Status.UPLOADED:
        return job  # already checked (a redelivered task)
    try:
        parsed = parse(job.kind, bytes(job.content), job.file_format)
    except ImportFileError as exc:
        return _fail(job, ImportJob.Status.INVALID,
                     [RowError(exc.row, exc.column, exc.message)])
    preview = ChangePreview(limit=services.PREVIEW_LIMIT)
    result = check_rows(job.tenant, job.kind, parsed, dry_run=True, editable=_editable(job),
                        preview=preview)
    job.total_rows = len(parsed.rows)
    job.created_count, job.updated_count = result.created, result.updated
    job.validated_at = timezone.now()
    if result.errors:
        return _fail(job, ImportJob.Status.INVALID, result.errors, finished_at=None, preview={})
    job.status = ImportJob.Status.VALIDATED
    job.errors, job.error_count = [], 0
    job.preview = {**preview.as_dict(),
                   "customers_changed": len(result.changed_customer_ids)}
    job.save()
    return job


def start_commit(job):
    """Mark a checked job as running; False if it is not ready (or already started)."""
    started = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.VALIDATED, ImportJob.Status.FAILED],
    ).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), finished_at=None,
             processed_rows=0)
    if started:
        job.refresh_from_db()
        set_progress(job, 0)
    return bool(started)


def _progress_key(job):
    return f"kam:t{job.tenant_id}:import-progress:{job.pk}"


def set_progress(job, rows):
    # The progress bar is a nicety: with the cache (Redis) away, the import goes on.
    try:
        cache.set(_progress_key(job), rows, PROGRESS_TTL)
    except Exception as exc:  # the cache backend's errors vary
        logger.warning("Import progress not stored: %s", exc)


def progress(job):
    """(rows processed, percent) of a job. While it runs, the count comes from the cache:
    the rows are written in one transaction, so the job row cannot show them before the end."""
    if job.status == ImportJob.Status.RUNNING:
        try:
            rows = cache.get(_progress_key(job)) or 0
        except Exception as exc:  # the cache (Redis) is away: show no progress yet
            logger.warning("Import progress not read: %s", exc)
            rows = 0
    elif job.status == ImportJob.Status.DONE:
        rows = job.total_rows
    else:
        rows = job.processed_rows
    rows = min(rows, job.total_rows)
    percent = int(100 * rows / job.total_rows) if job.total_rows else 0
    return rows, percent


def commit_job(job):
    """Write a running job's rows in one transaction; DONE, or FAILED with the errors and
    nothing written. Safe to repeat: a job that is not running is left alone."""
    if job.status != ImportJob.Status.RUNNING:
        return job
    try:
        parsed = parse(job.kind, bytes(job.content), job.file_format)
    except ImportFileError as exc:
        return _fail(job, ImportJob.Status.FAILED, [RowError(exc.row, exc.column, exc.message)])
    job.total_rows = len(parsed.rows)
    try:
        with transaction.atomic():
            result = check_rows(job.tenant, job.kind, parsed, dry_run=False,
                                progress=lambda rows: set_progress(job, rows),
                                editable=_editable(job))
            if result.errors:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        logger.warning("Import job %s failed: %s", job.pk, exc)
        return _fail(job, ImportJob.Status.FAILED, [RowError(None, "", messages.message(
            gettext_lazy("The data changed while the file was imported, so nothing was "
                         "written. Try again. (%(reason)s)"), reason=str(exc)))])
    except Exception:  # a time limit or a bug: the job must not stay "running"
        logger.exception("Import job %s stopped", job.pk)
        return _fail(job, ImportJob.Status.FAILED, [RowError(None, "", messages.message(
            gettext_lazy("The import stopped with an unexpected error, so nothing was "
                         "written. Try again, or ask your administrator to check the logs.")))])
    try:
        cache.delete(_progress_key(job))
    except Exception as exc:  # it expires on its own
        logger.warning("Import progress not cleared: %s", exc)
    if result.errors:
        return _fail(job, ImportJob.Status.FAILED, result.errors, processed_rows=0)
    job.status = ImportJob.Status.DONE
    job.processed_rows = job.total_rows
    job.created_count, job.updated_count = result.created, result.updated
    job.errors, job.error_count = [], 0
    job.finished_at = timezone.now()
    if job.kind == ImportJob.Kind.FIGURES:  # what a re-scoring would now see differently
        job.preview = {**(job.preview or {}),
                       "customers_changed": len(result.changed_customer_ids)}
    job.save()
    return job


# --- reading a job: its preview and what follows a figures import ----------------------

FLAG_LABELS = {
    "a_tier_name": gettext_lazy("A-tier customer renamed"),
    "owner": gettext_lazy("New account manager"),
    "deactivation": gettext_lazy("Deactivated"),
}


def rendered_value(value):
    """A preview value as the reader sees it: numbers in their locale, labels in their
    language; None for no value."""
    if value is None:
        return None
    if isinstance(value, dict) and "number" in value:
        return formats.number_format(Decimal(value["number"]), use_l10n=True,
                                     force_grouping=True)
    return messages.render(value)


def rendered_changes(entries):
    """Preview entries (ChangePreview) ready for the page."""
    return [{**entry, "old": rendered_value(entry.get("old")),
             "new": rendered_value(entry.get("new")),
             "values": [(column, rendered_value(value))
                        for column, value in entry.get("values") or ()],
             "flag_label": FLAG_LABELS.get(entry.get("flag") or "", "")}
            for entry in entries]


def preview_page(job, page_number, *, per_page, flagged_shown):
    """The dry run's changes for a job page: one page of them, the first changes to look
    at twice, and how many of each are not listed. Empty while the job has none to show."""
    preview = job.preview or {}
    if job.status not in (ImportJob.Status.VALIDATED, ImportJob.Status.DONE) or not preview:
        return {"preview": preview, "changes": None, "flagged": None, "hidden_changes": 0,
                "hidden_flagged": 0}
    entries = preview.get("entries") or []
    changes = Paginator(entries, per_page).get_page(page_number)
    changes.object_list = rendered_changes(changes.object_list)
    flagged = rendered_changes((preview.get("flagged") or [])[:flagged_shown])
    return {"preview": preview, "changes": changes, "flagged": flagged,
            "hidden_changes": max((preview.get("changes") or 0) - len(entries), 0),
            "hidden_flagged": max((preview.get("flagged_count") or 0) - len(flagged), 0)}


def next_rescoring(tenant, now=None):
    """When the nightly re-scoring next runs for `tenant` (in its time zone), or None
    where nothing runs on a schedule: tasks run in-process, so there is no beat."""
    from jobs import registry
    from kam.celery import app

    if app.conf.task_always_eager:
        return None
    job = registry.get("rescoring")
    local = (now or timezone.now()).astimezone(tenant.tzinfo)
    # Beat asks at the job's minute past each hour; the first ask from its hour runs it.
    at = local.replace(hour=job.hour, minute=job.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


RESCORING_CHANGES_SHOWN = 10


def rescoring_offer(job, now=None):
    """After a committed figures import: how many customers' figures it changed, the
    scoring run since then if any (with its first tier changes), and when the scheduled
    re-scoring comes. None for other jobs, or when the import changed no figure."""
    if job.kind != ImportJob.Kind.FIGURES or job.status != ImportJob.Status.DONE:
        return None
    changed = (job.preview or {}).get("customers_changed")
    if changed == 0:
        return None
    run = (ScoringRun.objects.filter(started_at__gte=job.finished_at)
           .order_by("-started_at", "-id").first()) if job.finished_at else None
    tier_changes = []
    if run is not None:
        tier_changes = list(selectors.run_assessments(run).exclude(tier=F("previous_tier"))
                            [:RESCORING_CHANGES_SHOWN])
    return {"customers_changed": changed, "run": run, "tier_changes": tier_changes,
            "next_at": next_rescoring(job.tenant, now)}
