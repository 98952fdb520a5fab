"""The downloadable templates of a kind: CSV (the columns and its rows) and XLSX (the same
on the first sheet, and a second sheet explaining every column)."""

import csv
import io

from django.utils.translation import gettext as _

from .files import FORMULA_STARTS

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def csv_safe(value):
    """Text a spreadsheet would run as a formula, quoted with an apostrophe (the reader
    takes it off again). One character alone ("-") is no formula."""
    if isinstance(value, str) and len(value) > 1 and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def template_csv(columns, rows):
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens it as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
    return out.getvalue().encode("utf-8")


def _data_sheet(sheet, columns, rows):
    from openpyxl.styles import Font

    sheet.append([c.name for c in columns])
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text, never a formula
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            14, len(column.name) + 4)
    sheet.freeze_panes = "A2"


def _guide_sheet(sheet, columns, column_help, replaces_rows):
    from openpyxl.styles import Alignment, Font

    sheet.append([_("Column"), _("Required"), _("What to enter"), _("Example")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in columns:
        sheet.append([column.name, _("yes") if column.required else _("no"),
                      column_help(column), str(column.example)])
    sheet.append([])
    if replaces_rows:
        sheet.append([_("Line 1 of the first sheet holds the column names (any order, case "
                        "and spaces do not matter); each further line is one record and "
                        "replaces what was recorded for it before. Nothing is written until "
                        "the whole file is free of errors.")])
    else:
        sheet.append([_("Line 1 of the first sheet holds the column names (any order, case "
                        "and spaces do not matter); each further line is one record. Columns "
                        "you leave out are not changed; an empty cell clears the value unless "
                        "its column says otherwise. Nothing is written until the whole file "
                        "is free of errors.")])
    for letter, width in zip("ABCD", (20, 10, 80, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


def template_xlsx(columns, rows, *, title, column_help, replaces_rows=False):
    """`column_help(column)`: the text explaining a column on the second sheet;
    `replaces_rows`: whether a line replaces its record whole (ImportKind.replaces_rows)."""
    from openpyxl import Workbook

    workbook = Workbook()
    data = workbook.active
    data.title = str(title)[:31]
    _data_sheet(data, columns, rows)
    _guide_sheet(workbook.create_sheet(_("Columns")[:31]), columns, column_help, replaces_rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
