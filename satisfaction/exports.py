"""CSV and XLSX files: report exports (imports go through kam.imports)."""

import csv
import io

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from kam.imports.templates import csv_safe

from .models import Dimension

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
FILLS = {"sat-high": "C6EFCE", "sat-good": "E2F0D9", "sat-mid": "FFEB9C", "sat-low": "FFC7CE"}


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "quantize"):
        return float(value)
    if isinstance(value, Promise):
        return str(value)
    return value


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
            writer.writerow([csv_safe(_cell(v[0] if isinstance(v, tuple) else v)) for v in row])
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


def dimension_label(code):
    return Dimension(code).label
