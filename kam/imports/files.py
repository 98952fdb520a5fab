"""Reading an upload: the one size limit, the formats, and the header rule.

Files: CSV in UTF-8 (with or without a byte-order mark), comma, semicolon or tab
separated (taken from the header line); XLSX, first worksheet. Line 1 holds the column
names (kam.imports.cells says how they are matched). Blank lines are skipped (line
numbers still count them). A formula cell whose workbook holds no computed value is an
error at its cell. A CSV cell that our own exports quoted with an apostrophe so that a
spreadsheet does not run it as a formula ("'=…", "'-…") is read without it.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam import messages

from .cells import cell_value, normalise_header
from .rows import RowError, joined

# One limit for every kind: 10 MB holds some 100,000 rows of figures as CSV, ten times
# the benchmark's file, and the job keeps the bytes in its row.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# What one import may cost is bounded by its rows, not its bytes: a small XLSX can hold
# millions of rows. A file is checked, then checked again and written in one transaction
# that must end within the task's 15-minute time limit, its rows held in memory. 50,000
# rows (a year of figures of 12,500 customers) are checked and committed in 11 to 15 s
# as CSV (`bench_import --rows 50000`), XLSX reading adds some 10 s each way: far inside
# the limit on a slower server too. A larger file is to be split.
MAX_ROWS = 50_000
# An XLSX is a zip, and 1 MB of it can expand to gigabytes of XML that the reader keeps
# in memory (its shared strings) or walks (its sheet). 50,000 rows of 15 columns written
# with inline strings (the largest form) expand to some 40 MB; the sizes are the zip's
# own, which Python's zip reader holds each member to.
MAX_XLSX_EXPANDED_BYTES = 64 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, bad header, no rows); `message`
    is a stored message (kam.messages)."""

    def __init__(self, message, row=None, column=""):
        super().__init__(messages.render(message))
        self.message, self.row, self.column = message, row, column


@dataclass
class ParsedFile:
    rows: list  # dicts: column name -> value ("" for an empty cell)
    lines: list  # the spreadsheet line of each row
    errors: list  # RowError for rows that cannot be read as they are


# --- checking an upload before it is stored ------------------------------------------


def upload_size_message(size):
    return _("The file is %(size).1f MB; the limit is %(limit)d MB.") % {
        "size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}


def _check_csv(content):
    if content[:4] == b"PK\x03\x04" or b"\x00" in content[:4096]:
        raise ValidationError(_("This is not a CSV text file."))
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ValidationError(_(
            "The file is not UTF-8 text (first bad byte on line %(line)d). Save it as "
            "“CSV UTF-8” and upload it again.") % {"line": line}) from exc


def too_many_rows():
    return ImportFileError(messages.message(gettext_lazy(
        "The file has more than %(limit)s data rows, the most one import takes. Split it "
        "into files of at most %(limit)s rows and import them one after another."),
        limit=f"{MAX_ROWS:,}"))


def check_xlsx_size(content):
    """Raise ImportFileError if the workbook `content` expands beyond
    MAX_XLSX_EXPANDED_BYTES; read from the zip's directory alone, before anything is
    decompressed. A file that is no zip is left to the reader to report."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if expanded > MAX_XLSX_EXPANDED_BYTES:
        raise ImportFileError(messages.message(gettext_lazy(
            "The workbook expands to %(size)s MB when opened; the limit is %(limit)s MB. "
            "Split it into smaller files, or save it as CSV."),
            size=f"{expanded / 1024 / 1024:,.1f}",
            limit=f"{MAX_XLSX_EXPANDED_BYTES // 1024 // 1024:,}"))


def upload_format(name, content):
    """The file's format ("csv" or "xlsx"); raises ValidationError with a message fit for a
    form when it is neither, too big (as uploaded or, for a workbook, once expanded),
    empty or not UTF-8 text."""
    size = len(content)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(upload_size_message(size))
    if not size:
        raise ValidationError(_("The file is empty."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xlsx":
        if content[:4] != b"PK\x03\x04":
            raise ValidationError(_("This is not an XLSX workbook. Save it from Excel as "
                                    "“Excel Workbook (.xlsx)” and upload it again."))
        try:
            check_xlsx_size(content)
        except ImportFileError as exc:
            raise ValidationError(str(exc)) from exc
        return "xlsx"
    if extension in ("csv", "txt"):
        _check_csv(content)
        return "csv"
    if extension in ("xls", "xlsm", "ods", "numbers"):
        raise ValidationError(_("Save the spreadsheet as .xlsx or .csv and upload it again."))
    raise ValidationError(_("Upload a .csv or .xlsx file."))


# --- XLSX --------------------------------------------------------------------------------


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


def _with_formula_marks(cells, columns):
    cells = list(cells)
    for column in columns:
        cells.extend([None] * (column - len(cells)))
        if cells[column - 1] is None:
            cells[column - 1] = FORMULA_WITHOUT_VALUE
    return cells


def _xlsx_rows(content):
    from openpyxl import load_workbook

    # Before the reader opens it: it would read the shared strings whole.
    check_xlsx_size(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(messages.message(gettext_lazy(
            "The workbook cannot be read: %(reason)s. Save it from Excel as .xlsx and upload "
            "it again."), reason=str(exc))) from exc
    try:
        sheet = workbook.worksheets[0]
        # The size the sheet declares (its <dimension>), before a row is read; the rows
        # are counted as they are read too (`read`), as the declaration may be missing.
        if sheet.max_row and sheet.max_row - (sheet.min_row or 1) > MAX_ROWS:
            raise too_many_rows()
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            formulas = _formulas_without_value(archive, getattr(sheet, "_worksheet_path", ""))
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every cell
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, (_with_formula_marks(cells, formulas[line]) if line in formulas
                         else cells)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet: any error of the XML reader
        raise ImportFileError(messages.message(gettext_lazy(
            "The workbook cannot be read: %(reason)s."), reason=str(exc))) from exc
    finally:
        workbook.close()


# --- CSV ---------------------------------------------------------------------------------


def _unquoted(cells):
    """The cells without the apostrophe our exports put before formula-like text."""
    return [c[1:] if c[:1] == "'" and c[1:2] in FORMULA_STARTS and len(c) > 2 else c
            for c in cells]


def _csv_rows(content):
    """(numbered rows, whether the comma is the decimal separator)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(messages.message(gettext_lazy("The file is not UTF-8 text."))
                              ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return ((n, _unquoted(cells) if "'" in "".join(cells) else cells)
            for n, cells in enumerate(reader, start=1)), delimiter == ";"


# --- rows under the header ---------------------------------------------------------------


def _filled(value):
    return value is FORMULA_WITHOUT_VALUE or (value is not None and str(value).strip() != "")


def _unknown_or_missing(unknown, missing, columns, line):
    parts = []
    if unknown:
        parts.append(messages.message(gettext_lazy("Unknown columns: %(names)s."),
                                      names=", ".join(unknown)))
    if missing:
        parts.append(messages.message(gettext_lazy("Missing required columns: %(names)s."),
                                      names=", ".join(missing)))
    parts.append(messages.message(gettext_lazy("Expected columns: %(names)s."),
                                  names=", ".join(c.name for c in columns)))
    return ImportFileError(joined(*parts), row=line, column=", ".join(unknown + missing))


def _map_header(header, columns, line):
    """position -> Column of the header's cells; raises ImportFileError for a column
    named twice, unknown names and missing required columns."""
    by_key = {normalise_header(c.name): c for c in columns}
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
        raise _unknown_or_missing(unknown, missing, columns, line)
    return mapping


def _row(number, cells, mapping, decimal_comma, errors):
    row = {}
    for position, column in mapping.items():
        value = cells[position] if position < len(cells) else None
        if value is FORMULA_WITHOUT_VALUE:
            errors.append(RowError(number, column.name, messages.message(FORMULA_MESSAGE)))
            value = None
        row[column.name] = cell_value(value, column, decimal_comma)
    return row


def _stray_error(number, cells, mapping, header_line):
    """The error for values under no column name, or None."""
    stray = [p for p in range(len(cells)) if p not in mapping and _filled(cells[p])]
    if not stray:
        return None
    return RowError(number, "", messages.message(gettext_lazy(
        "Line %(line)d has values in column %(position)d, which has no name "
        "in line %(header)d."), line=number, position=stray[0] + 1, header=header_line))


def _header(source, columns):
    header_line, header = next(
        ((n, cells) for n, cells in source if any(_filled(c) for c in cells)), (None, None))
    if header is None:
        raise ImportFileError(messages.message(gettext_lazy(
            "The file is empty: line 1 must hold the column names.")), row=1)
    header = [None if c is FORMULA_WITHOUT_VALUE else c for c in header]
    return header_line, _map_header(header, columns, header_line)


def read(columns, content, file_format):
    """Read an upload into rows under `columns` (kam.imports.cells.Column); raises
    ImportFileError when the file cannot be used."""
    if file_format == "xlsx":
        source, decimal_comma = _xlsx_rows(content), False
    else:
        source, decimal_comma = _csv_rows(content)
    parsed = ParsedFile(rows=[], lines=[], errors=[])
    try:
        header_line, mapping = _header(source, columns)
        for number, cells in source:
            if not any(_filled(c) for c in cells):
                continue
            if len(parsed.rows) == MAX_ROWS:
                raise too_many_rows()  # stop reading: the rest would only cost
            parsed.rows.append(_row(number, cells, mapping, decimal_comma, parsed.errors))
            parsed.lines.append(number)
            stray = _stray_error(number, cells, mapping, header_line)
            if stray is not None:
                parsed.errors.append(stray)
    except csv.Error as exc:
        raise ImportFileError(messages.message(gettext_lazy(
            "The CSV file cannot be read: %(reason)s."), reason=str(exc))) from exc
    if not parsed.rows:
        raise ImportFileError(messages.message(gettext_lazy(
            "The file has no data rows below the column names.")), row=header_line)
    return parsed
