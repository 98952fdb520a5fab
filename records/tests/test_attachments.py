"""Attachments through the API and the pages: upload, list, download, delete; every
refused file leaves nothing behind (no row, no file); another tenant's file, or one the
user may not touch, is a 404."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.tenancy import tenant_context
from records.attachments import Attachment
from records.tests.factories import PDF_BYTES, AttachmentFactory, RecordSettingsFactory
from tests.factories import MembershipFactory
from tests.test_isolation import factory_for

PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
             b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
             b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def office_bytes(folder="word/"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def upload(name, content, claim="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=claim)


@pytest.fixture
def opl_item(tenant):
    return factory_for_model("satisfaction.OplItem")(tenant=tenant)


def factory_for_model(label):
    from django.apps import apps

    return factory_for(apps.get_model(label))


def rows(tenant):
    with tenant_context(tenant):
        return list(Attachment.objects.values_list("name", flat=True))


# --- the API ---------------------------------------------------------------------------


def test_api_upload_list_download_delete(api, tenant, opl_item, settings,
                                         django_capture_on_commit_callbacks):
    client = api("admin")
    response = client.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk,
        # The browser's claim is ignored: the content says PDF.
        "file": upload("8D report.pdf", PDF_BYTES, claim="image/png")})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["size"], body["content_type"], body["object_type"]) == (
        "8D report.pdf", len(PDF_BYTES), "application/pdf", "opl-item")
    assert "file" not in body  # the storage path is nobody's business
    [path] = stored_files(settings)
    assert path.startswith(f"tenants/{tenant.pk}/attachments/") and path.endswith(".pdf")

    listed = client.get("/api/v1/attachments/", {"object_type": "opl-item",
                                                 "object_id": opl_item.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert client.get("/api/v1/attachments/", {"object_id": opl_item.pk + 1000}
                      ).json()["count"] == 0

    download = client.get(f"/api/v1/attachments/{body['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/attachments/{body['id']}/").status_code == 204
    assert rows(tenant) == [] and stored_files(settings) == []


def test_api_list_runs_a_bounded_number_of_queries(api, tenant, django_assert_max_num_queries):
    client = api("admin")
    for _ in range(3):
        AttachmentFactory(tenant=tenant, uploaded_by=client.user)
    with django_assert_max_num_queries(12):
        few = client.get("/api/v1/attachments/")
    for _ in range(10):
        AttachmentFactory(tenant=tenant, uploaded_by=client.user)
    with django_assert_max_num_queries(12):
        many = client.get("/api/v1/attachments/")
    assert (few.json()["count"], many.json()["count"]) == (3, 13)


BAD_UPLOADS = {
    "a program named .pdf": (upload("report.pdf", EXE_BYTES), "file"),
    "a PNG named .pdf": (upload("report.pdf", PNG_BYTES), "file"),
    "a ZIP named .docx": (upload("report.docx", plain_zip()), "file"),
    "text that is not UTF-8": (upload("figures.csv", "Müller;3\n".encode("latin-1")), "file"),
    "binary named .txt": (upload("notes.txt", b"\x00\x01\x02 binary"), "file"),
    "an empty file": (upload("empty.pdf", b""), "file"),
    "a path in the name": (upload("report.pdf", PDF_BYTES), "name", "../../etc/report.pdf"),
    "a backslash in the name": (upload("report.pdf", PDF_BYTES), "name", "a\\report.pdf"),
    "a control character": (upload("report.pdf", PDF_BYTES), "name", "re\x07port.pdf"),
    "a name too long": (upload("report.pdf", PDF_BYTES), "name", "r" * 250 + ".pdf"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_api_refuses_bad_files_and_stores_nothing(api, tenant, opl_item, settings, case):
    file, field, *name = BAD_UPLOADS[case]
    data = {"object_type": "opl-item", "object_id": opl_item.pk, "file": file}
    if name:
        data["name"] = name[0]
    response = api("admin").post("/api/v1/attachments/", data)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert rows(tenant) == [] and stored_files(settings) == []


def test_a_refused_kind_names_the_accepted_ones(api, opl_item):
    response = api("admin").post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk,
        "file": upload("tool.exe", EXE_BYTES)})
    [message] = response.json()["file"]
    assert "PDF" in message and "Excel (.xlsx)" in message and "ZIP" in message


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("8D.docx", office_bytes("word/"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("scores.xlsx", office_bytes("xl/"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("review.pptx", office_bytes("ppt/"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("photos.zip", plain_zip(), "application/zip"),
    ("photo.png", PNG_BYTES, "image/png"),
    ("figures.csv", "客户;得分\nCJA;4\n".encode(), "text/csv"),
    ("minutes.txt", b"Agreed: containment by Friday.\n", "text/plain"),
])
def test_accepted_kinds_take_their_type_from_the_content(api, opl_item, name, content,
                                                          content_type):
    response = api("admin").post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload(name, content)})
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type


def test_the_tenants_size_limit_is_respected(api, tenant, other_tenant, opl_item, settings):
    RecordSettingsFactory(tenant=tenant, attachment_max_mb=1)
    big = PDF_BYTES + b"0" * (1024 * 1024)
    client = api("admin")
    response = client.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("big.pdf", big)})
    assert response.status_code == 400
    assert "1.0\xa0MB" in response.json()["file"][0]
    assert rows(tenant) == [] and stored_files(settings) == []
    # With a limit of 2 MB the same file is taken.
    with tenant_context(tenant):
        from records.models import RecordSettings

        RecordSettings.objects.filter(tenant=tenant).update(attachment_max_mb=2)
    response = client.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("big.pdf", big)})
    assert response.status_code == 201


def test_another_tenants_object_is_refused(api, other_tenant, settings):
    theirs = factory_for_model("satisfaction.OplItem")(tenant=other_tenant)
    response = api("admin").post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": theirs.pk, "file": upload("a.pdf", PDF_BYTES)})
    assert response.status_code == 400 and "object_id" in response.json()
    assert rows(other_tenant) == [] and stored_files(settings) == []


def test_another_tenants_attachment_is_a_404(api, other_tenant):
    theirs = AttachmentFactory(tenant=other_tenant)
    client = api("admin")
    assert client.get(f"/api/v1/attachments/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/attachments/{theirs.pk}/download/").status_code == 404
    assert client.delete(f"/api/v1/attachments/{theirs.pk}/").status_code == 404
    assert rows(other_tenant) == ["8d-report.pdf"]


def test_who_may_edit_the_object_uploads_and_deletes(api, tenant, opl_item, settings):
    mine = AttachmentFactory(tenant=tenant, object_id=opl_item.pk)
    viewer, member = api("viewer"), api("member")
    # Readers read and download...
    assert viewer.get(f"/api/v1/attachments/{mine.pk}/download/").status_code == 200
    # ...but neither a viewer nor a member who does not own the item changes its files.
    for client in (viewer, member):
        assert client.delete(f"/api/v1/attachments/{mine.pk}/").status_code == 404
        response = client.post("/api/v1/attachments/", {
            "object_type": "opl-item", "object_id": opl_item.pk,
            "file": upload("a.pdf", PDF_BYTES)})
        assert response.status_code in (400, 403)
    assert rows(tenant) == ["8d-report.pdf"]
    # The item's owner (a member) may.
    with tenant_context(tenant):
        type(opl_item).objects.filter(pk=opl_item.pk).update(owner=member.user)
    response = member.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("a.pdf", PDF_BYTES)})
    assert response.status_code == 201, response.content


def test_deleting_the_object_deletes_its_files(tenant, opl_item, settings,
                                               django_capture_on_commit_callbacks):
    AttachmentFactory(tenant=tenant, object_id=opl_item.pk)
    assert len(stored_files(settings)) == 1
    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        type(opl_item).objects.get(pk=opl_item.pk).delete()
    assert rows(tenant) == [] and stored_files(settings) == []


# --- the pages -------------------------------------------------------------------------


def test_page_upload_shows_the_file_and_downloads_it(admin_client, tenant, opl_item, settings):
    page = reverse("opl_detail", args=[opl_item.pk])
    response = admin_client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "next": page,
        "file": upload("containment.png", PNG_BYTES)})
    assert response.status_code == 302 and response.url == page
    html = admin_client.get(page).content.decode()
    assert "containment.png" in html and "Drop a file here" in html
    [attachment] = _all(tenant)
    download = admin_client.get(reverse("attachment_download", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == PNG_BYTES
    assert download["Content-Security-Policy"].startswith("sandbox")


def _all(tenant):
    with tenant_context(tenant):
        return list(Attachment.objects.all())


def test_script_upload_answers_the_refreshed_panel(admin_client, opl_item):
    response = admin_client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("a.pdf", PDF_BYTES)},
        headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 201
    assert "a.pdf" in response.json()["html"]
    refused = admin_client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("a.pdf", b"")},
        headers={"X-Requested-With": "XMLHttpRequest"})
    assert refused.status_code == 400 and refused.json()["errors"] == ["The file is empty."]


def test_page_upload_of_a_bad_file_says_why(admin_client, tenant, opl_item, settings):
    page = reverse("opl_detail", args=[opl_item.pk])
    response = admin_client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "next": page,
        "file": upload("tool.pdf", EXE_BYTES)}, follow=True)
    assert "This kind of file is not accepted" in response.content.decode()
    assert _all(tenant) == [] and stored_files(settings) == []


def test_page_delete(admin_client, tenant, opl_item, settings,
                     django_capture_on_commit_callbacks):
    attachment = AttachmentFactory(tenant=tenant, object_id=opl_item.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("attachment_delete", args=[attachment.pk]))
    assert response.status_code == 302
    assert _all(tenant) == [] and stored_files(settings) == []


def test_pages_404_for_another_tenant_and_for_roles_that_may_not(client, tenant, other_tenant,
                                                                 opl_item):
    theirs = AttachmentFactory(tenant=other_tenant)
    mine = AttachmentFactory(tenant=tenant, object_id=opl_item.pk)
    viewer = MembershipFactory(tenant=tenant, role="viewer")
    client.force_login(viewer.user)
    assert client.get(reverse("attachment_download", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("attachment_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("attachment_delete", args=[mine.pk])).status_code == 404
    assert client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk,
        "file": upload("a.pdf", PDF_BYTES)}).status_code == 404
    assert client.get(reverse("attachment_download", args=[mine.pk])).status_code == 200
    # The viewer sees the list, without the upload control or delete buttons.
    html = client.get(reverse("opl_detail", args=[opl_item.pk])).content.decode()
    assert "8d-report.pdf" in html and "Drop a file here" not in html
    assert reverse("attachment_delete", args=[mine.pk]) not in html
    assert _all(other_tenant)  # untouched


def test_object_page_lists_a_ppap_elements_files(admin_client, tenant):
    element = factory_for_model("projects.PpapElement")(tenant=tenant)
    AttachmentFactory(tenant=tenant, object_type="ppap-element", object_id=element.pk,
                      name="psw.pdf")
    response = admin_client.get(reverse("attachment_list"),
                                {"object_type": "ppap-element", "object_id": element.pk})
    assert response.status_code == 200 and "psw.pdf" in response.content.decode()
    assert admin_client.get(reverse("attachment_list"), {
        "object_type": "ppap-element", "object_id": element.pk + 999}).status_code == 404
    assert admin_client.get(reverse("attachment_list"), {
        "object_type": "nothing", "object_id": element.pk}).status_code == 404


def test_an_upload_retried_with_its_idempotency_key_is_stored_once(api, tenant, opl_item,
                                                                    settings):
    client = api("admin")
    answers = [client.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk,
        "file": upload("a.pdf", PDF_BYTES)}, headers={"Idempotency-Key": "upload-1"})
        for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert rows(tenant) == ["a.pdf"] and len(stored_files(settings)) == 1
    other = client.post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk,
        "file": upload("a.pdf", PDF_BYTES + b"%")}, headers={"Idempotency-Key": "upload-1"})
    assert other.status_code == 422


def test_a_file_over_the_limit_is_dropped_as_it_arrives(api, admin_client, tenant, opl_item,
                                                        settings):
    """Past the limit the upload handler drops the file (nothing in memory or on disk) and
    the answer is the size error, for the API and the page alike."""
    RecordSettingsFactory(tenant=tenant, attachment_max_mb=1)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # a larger file would go to disk
    big = PDF_BYTES + b"0" * (3 * 1024 * 1024)
    response = api("admin").post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("big.pdf", big)})
    assert response.status_code == 400
    assert response.json() == {"file": [
        "The file is larger than the largest this workspace takes, 1.0\xa0MB."]}
    page = admin_client.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("big.pdf", big)},
        headers={"X-Requested-With": "XMLHttpRequest"})
    assert page.status_code == 400 and "largest this workspace takes" in page.json()["errors"][0]
    assert rows(tenant) == [] and stored_files(settings) == []


def test_page_upload_still_checks_csrf(client, tenant, opl_item):
    admin = MembershipFactory(tenant=tenant, role="admin")
    checking = type(client)(enforce_csrf_checks=True)
    checking.force_login(admin.user)
    response = checking.post(reverse("attachment_upload"), {
        "object_type": "opl-item", "object_id": opl_item.pk, "file": upload("a.pdf", PDF_BYTES)})
    assert response.status_code == 403
    assert rows(tenant) == []


def test_a_bad_name_of_the_file_itself_is_the_files_error(api, tenant, opl_item, settings):
    response = api("admin").post("/api/v1/attachments/", {
        "object_type": "opl-item", "object_id": opl_item.pk,
        "file": upload("r" * 240 + ".pdf", PDF_BYTES)})
    assert response.status_code == 400
    assert response.json() == {"file": [
        "The file name is too long: at most 200 characters."]}
    assert rows(tenant) == [] and stored_files(settings) == []
