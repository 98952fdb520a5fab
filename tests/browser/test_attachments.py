"""Attachments in the browser: a file dropped onto an OPL item's page uploads with a
progress bar, appears in the list, and downloads as it was sent; a refused one says why."""

import pytest

from kam.tenancy import tenant_context
from records.attachments import Attachment
from records.tests.factories import PDF_BYTES
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import MembershipFactory
from tests.test_isolation import factory_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_drop_a_file_on_an_opl_item_and_download_it(page, live_server, tenant, tmp_path):
    from satisfaction.models import OplItem

    admin = MembershipFactory(tenant=tenant, role="admin")
    item = factory_for(OplItem)(tenant=tenant)
    log_in(page, live_server, admin.user)
    page.goto(url(live_server, "opl_detail", item.pk))
    panel = page.locator(f"#attachments-opl-item-{item.pk}")
    assert "No files attached yet." in panel.inner_text()

    # Drop a file onto the drop zone (a DataTransfer built in the page).
    page.evaluate("""([bytes]) => {
        const file = new File([new Uint8Array(bytes)], "8D report.pdf",
                              {type: "application/pdf"});
        const data = new DataTransfer();
        data.items.add(file);
        const zone = document.querySelector("[data-attachment-drop]");
        for (const name of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(name, {bubbles: true, cancelable: true,
                                                     dataTransfer: data}));
        }
    }""", [list(PDF_BYTES)])
    row = panel.locator("tbody tr", has_text="8D report.pdf")
    row.wait_for()
    assert "8D report.pdf uploaded." in panel.inner_text()
    assert "PDF" in row.inner_text() and admin.user.full_name in row.inner_text()
    with tenant_context(tenant):
        assert list(Attachment.objects.values_list("name", flat=True)) == ["8D report.pdf"]

    with page.expect_download() as download_info:
        row.get_by_role("link", name="8D report.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "8D report.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF_BYTES

    # The file chooser and a file that is not accepted: the reason shows, nothing is kept.
    bad = tmp_path / "tool.pdf"
    bad.write_bytes(b"MZ" + b"\x00" * 300)
    panel = page.locator(f"#attachments-opl-item-{item.pk}")
    panel.locator("input[type=file]").set_input_files(str(bad))
    panel.get_by_role("button", name="Upload").click()
    error = panel.locator("[data-attachment-error]")
    error.filter(has_text="not accepted").wait_for()
    with tenant_context(tenant):
        assert Attachment.objects.count() == 1
    assert panel.locator("[data-attachment-progress]").is_visible()
    assert_accessible(page)
    assert page.errors == []
