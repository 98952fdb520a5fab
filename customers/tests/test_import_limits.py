"""What one import may cost: the rows of a file and the expanded size of a workbook are
capped before they are read, with a message the job keeps (a stored message id)."""

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from customers.models import ImportJob
from kam.imports import files, kinds
from kam.tenancy import tenant_context

from .test_import import job_of, shown_errors, upload

ROWS_ID = ("The file has more than %(limit)s data rows, the most one import takes. Split it "
           "into files of at most %(limit)s rows and import them one after another.")
EXPANDED_ID = ("The workbook expands to %(size)s MB when opened; the limit is %(limit)s MB. "
               "Split it into smaller files, or save it as CSV.")


def workbook(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(content, member, change):
    """`content` (an XLSX) with the zip member `member` replaced by change(its bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == member else data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
FIGURES = [["customer_code", "period", "revenue"], ["OEM-1", "2026Q2", 1000]]


def declaring_3_million_rows():
    """Two rows, but the sheet says it holds three million (as a crafted file may)."""
    return rewritten(workbook(FIGURES), SHEET, lambda xml: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C3000000"', xml))


def expanding_beyond_the_cap():
    """A 100 KB workbook whose sheet expands to more than the cap (blank XML)."""
    padding = b" " * (files.MAX_XLSX_EXPANDED_BYTES + 2 * 1024 * 1024)
    return rewritten(workbook(FIGURES), SHEET,
                     lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding))


def test_a_sheet_declaring_more_rows_than_the_cap_fails_before_a_row_is_read(
        admin_client, tenant, customers, run_tasks):
    content = declaring_3_million_rows()
    assert len(content) < 20_000

    started = time.monotonic()
    pk, page = upload(admin_client, run_tasks, "figures",
                      SimpleUploadedFile("figures.xlsx", content))

    assert time.monotonic() - started < 10
    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    [error] = job.errors
    assert error["message"] == {"id": ROWS_ID, "params": {"limit": "50,000"}}
    assert shown_errors(job)[0]["message"].startswith(
        "The file has more than 50,000 data rows")
    assert "more than 50,000 data rows" in page.content.decode()


def test_a_workbook_expanding_beyond_the_cap_is_refused_at_the_upload(admin_client, tenant):
    content = expanding_beyond_the_cap()
    assert len(content) < 500_000

    response = admin_client.post(reverse("import_figures"),
                                 {"file": SimpleUploadedFile("figures.xlsx", content)})

    assert response.status_code == 200
    assert "The workbook expands to 66.0 MB when opened; the limit is 64 MB." in (
        response.content.decode())
    with tenant_context(tenant):
        assert not ImportJob.objects.exists()


def test_reading_a_workbook_checks_its_expanded_size_before_opening_it(monkeypatch):
    # A job stored before the upload checked it is refused by the reader too, before the
    # workbook is opened.
    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(files.ImportFileError) as exc:
        kinds.get("figures").read(expanding_beyond_the_cap(), "xlsx")
    assert exc.value.message == {"id": EXPANDED_ID, "params": {"size": "66.0", "limit": "64"}}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_rows_beyond_the_cap_are_refused_whatever_the_sheet_declares(monkeypatch, file_format):
    monkeypatch.setattr(files, "MAX_ROWS", 3)
    header, row = FIGURES

    def content(n):
        rows = [header] + [row] * n
        if file_format == "csv":
            return "\n".join(",".join(str(c) for c in r) for r in rows).encode()
        # No <dimension>: only counting the rows as they are read finds out.
        return rewritten(workbook(rows), SHEET,
                         lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))

    assert len(kinds.get("figures").read(content(3), file_format).rows) == 3
    with pytest.raises(files.ImportFileError) as exc:
        kinds.get("figures").read(content(4), file_format)
    assert exc.value.message["id"] == ROWS_ID


def test_a_csv_of_more_rows_than_the_cap_fails_with_the_message(admin_client, tenant,
                                                                 run_tasks):
    lines = ["code,name"] + [f"C-{n},Customer {n}" for n in range(files.MAX_ROWS + 1)]
    pk, _page = upload(admin_client, run_tasks, "customers", SimpleUploadedFile(
        "customers.csv", "\n".join(lines).encode(), content_type="text/csv"))

    job = job_of(tenant, pk)
    assert job.status == ImportJob.Status.INVALID
    assert [e["message"]["id"] for e in job.errors] == [ROWS_ID]
