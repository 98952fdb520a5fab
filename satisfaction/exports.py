"""CSV and XLSX files: report exports, and reading the tables staff import."""

import csv
import io

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from customers.models import Department

from .models import Dimension

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
FILLS = {"sat-high": "C6EFCE", "sat-good": "E2F0D9", "sat-mid": "FFEB9C", "sat-low": "FFC7CE"}
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "quantize"):
        return float(value)
    if isinstance(value, Promise):
        return str(value)
    return value


FORMULA_STARTS = ("=", "+", "-", "@")


def _safe(value):
    """CSV text that a spreadsheet would run as a formula is quoted with an apostrophe
    (`read_table` takes it off again). One character alone ("-") is no formula."""
    if isinstance(value, str) and len(value) > 1 and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _unquote(text):
    """A cell as it was before `_safe` quoted it."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def table_response(filename, sheets, fmt):
    """A download of `sheets` ([(title, headers, rows)]): CSV (the sheets one after the
    other, separated by a blank line) or XLSX (one sheet each). A cell may be a
    (value, colour class) pair; XLSX fills it with the heatmap colour."""
    if fmt == "xlsx":
        workbook = Workbook()
        workbook.remove(workbook.active)
        for title, headers, rows in sheets:
            sheet = workbook.create_sheet(title[:31])
            sheet.append([str(h) for h in headers])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in rows:
                sheet.append([_cell(v[0] if isinstance(v, tuple) else v) for v in row])
                for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                    if cell.data_type == "f":
                        # Text, never a formula: a string cell is not evaluated.
                        cell.data_type = "s"
                    if isinstance(value, tuple) and value[1] in FILLS:
                        cell.fill = PatternFill("solid", fgColor=FILLS[value[1]])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, (title, headers, rows) in enumerate(sheets):
        if number:
            writer.writerow([])
        if len(sheets) > 1:
            writer.writerow([f"# {title}"])
        writer.writerow([str(h) for h in headers])
        for row in rows:
            writer.writerow([_safe(_cell(v[0] if isinstance(v, tuple) else v)) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def portfolio_sheets(report):
    campaign = report["campaign"]
    headers = [_("Customer"), _("Code"), *report["department_labels"], _("Index"),
               _("Previous quarter"), _("Trend")]
    rows = [
        [row["customer"].name, row["customer"].code,
         *[(cell["index"], cell["colour"]) for cell in row["cells"]],
         (row["index"], row["colour"]), row["previous"], row["trend"]]
        for row in report["rows"]
    ]
    dimensions = [[d["label"], d["index"], d["trend"]] for d in report["dimensions"]]
    summary = [[_("Quarter"), campaign.period], [_("Portfolio index"), report["index"]],
               [_("Previous quarter"), report["previous_index"]], [_("Trend"), report["trend"]],
               [_("NPS"), report["nps"]]]
    return [(_("Heatmap"), headers, rows),
            (_("Dimensions"), [_("Dimension"), _("Index"), _("Trend")], dimensions),
            (_("Summary"), [_("Figure"), _("Value")], summary)]


def customer_sheets(report):
    history = report["history"]
    headers = [_("Quarter"), _("Index"), _("Trend"), _("NPS"), *report["department_labels"],
               *report["dimension_labels"]]
    rows = [
        [entry["campaign"].period, (entry["index"], entry["colour"]), entry["trend"],
         entry["nps"], *[(d["index"], d["colour"]) for d in entry["departments"]],
         *[(d["index"], d["colour"]) for d in entry["dimensions"]]]
        for entry in history
    ]
    comments = [[r.survey.campaign.period, r.get_department_display(), r.comment]
                for r in report["comments"]]
    comments += [[a.response.survey.campaign.period, a.response.get_department_display(),
                  f"{a.question.code} ({a.score}): {a.comment}"]
                 for a in report["answer_comments"]]
    return [(_("Trend"), headers, rows),
            (_("Comments"), [_("Quarter"), _("Department"), _("Comment")], comments)]


def opl_sheets(items, today):
    headers = [_("Customer"), _("Title"), _("Source"), _("Department"), _("Priority"),
               _("Owner"), _("Accountable KAM"), _("Opened"), _("Due"), _("Status"),
               _("Done (%)"), _("Overdue"), _("Stale"), _("Last update")]
    rows = [[i.customer.name, i.title, i.get_source_display(), i.get_department_display(),
             i.get_priority_display(), str(i.owner or ""), str(i.accountable or ""),
             i.opened_on.isoformat(), i.due_date.isoformat() if i.due_date else "",
             i.get_status_display(), i.progress, _("yes") if i.is_overdue else "",
             _("yes") if i.is_stale else "", i.last_update_at.date().isoformat()]
            for i in items]
    return [(_("OPL"), headers, rows)]


# --- reading imports -------------------------------------------------------------------

IMPORT_FIXED_COLUMNS = ["customer_code", "department", "respondent", "recommend", "comment"]


def import_headers(questions):
    return [*IMPORT_FIXED_COLUMNS, *[q.code for q in questions]]


def read_table(uploaded):
    """The rows of an uploaded CSV or XLSX file as (line number, {header: text}) pairs;
    raises ValueError with a readable message for files it cannot read."""
    name = (uploaded.name or "").lower()
    if uploaded.size and uploaded.size > MAX_IMPORT_BYTES:
        raise ValueError(_("The file is larger than 5 MB."))
    data = uploaded.read()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad file
            raise ValueError(_("This is not a readable XLSX file.")) from exc
        sheet = workbook.worksheets[0]
        lines = [["" if v is None else _unquote(str(v).strip()) for v in row]
                 for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(_("Save the CSV file as UTF-8.")) from exc
        lines = [[_unquote(v.strip()) for v in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ValueError(_("Upload a .csv or .xlsx file."))
    lines = [(number, row) for number, row in enumerate(lines, start=1) if any(row)]
    if not lines:
        raise ValueError(_("The file is empty."))
    _number, headers = lines[0]
    headers = [h.strip() for h in headers]
    rows = []
    for number, values in lines[1:]:
        rows.append((number, {h: (values[i] if i < len(values) else "")
                              for i, h in enumerate(headers) if h}))
    return headers, rows


def department_from_text(value):
    value = (value or "").strip().lower()
    for code, label in Department.choices:
        if value in (code, str(label).lower()):
            return code
    return None


def dimension_label(code):
    return Dimension(code).label
