"""Writes of attachments, and the checks a file passes first: its name, its size (the
tenant's limit), and its type, read from the content (the `filetype` package's magic
numbers), never from the browser's claim. Pages and the API call these.

Nothing is stored for a refused file: the checks run before the file is written, and
the row and the file are written together (a failed row deletes the file it wrote).
"""

from __future__ import annotations

import codecs
import os
import unicodedata
import zipfile
from typing import TYPE_CHECKING

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kam.tenancy import get_current_tenant

from .attachments import NAME_MAX_LENGTH, Attachment, attachable
from .models import ATTACHMENT_MB_RANGE
from .selectors import record_settings

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from accounts.models import Tenant, User

MB = 1024 * 1024
HEAD_BYTES = 8192  # what filetype reads to recognise a type

# The kinds accepted, with the file name endings each may carry: the content decides the
# kind, and the name must fit it (so that the downloaded file opens with the right program).
KINDS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/zip": (".zip",),
}
# Office Open XML documents are ZIP archives; what sets them apart is the folder inside.
OFFICE_FOLDERS = {
    ".docx": ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": ("ppt/",
              "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
TEXT_TYPES = {".txt": "text/plain", ".csv": "text/csv"}
# Every type an attachment may have (the download's documented media types).
CONTENT_TYPES = sorted({*KINDS, *TEXT_TYPES.values(),
                        *(content_type for _folder, content_type in OFFICE_FOLDERS.values())})
KIND_LABELS = {
    "application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
    "image/webp": "WebP", "application/zip": "ZIP", "text/plain": "TXT", "text/csv": "CSV",
    OFFICE_FOLDERS[".docx"][1]: "Word", OFFICE_FOLDERS[".xlsx"][1]: "Excel",
    OFFICE_FOLDERS[".pptx"][1]: "PowerPoint",
}


def allowed_kinds_text():
    return _("PDF, PNG, JPEG, GIF, WebP, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), "
             "plain text (.txt), CSV or ZIP")


def max_bytes(tenant: Tenant) -> int:
    return record_settings(tenant).attachment_max_mb * MB


def too_large_error(tenant: Tenant, size: int | None = None) -> str:
    limit = filesizeformat(max_bytes(tenant))
    if size is None:
        return _("The file is larger than the largest this workspace takes, %(max)s.") % {
            "max": limit}
    return _("The file is %(size)s; the largest this workspace takes is %(max)s.") % {
        "size": filesizeformat(size), "max": limit}


class SizeLimitHandler(FileUploadHandler):
    """First of an upload view's handlers: a file growing past the workspace's limit is
    skipped as it arrives (the rest of it is read and dropped, never written to memory or
    disk), and the request says so (`request.upload_too_large`), so that a huge upload
    costs no storage and gets the size error, not "choose a file"."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        tenant = get_current_tenant()
        self.limit = max_bytes(tenant) if tenant else ATTACHMENT_MB_RANGE[1] * MB

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_too_large = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_uploads(request):
    """Put SizeLimitHandler in front of `request`'s upload handlers (before its body is
    read)."""
    request.upload_handlers.insert(0, SizeLimitHandler(request))


# --- the checks ----------------------------------------------------------------------------


def name_error(name: str) -> str | None:
    """Why `name` cannot name an attachment, or None."""
    if not name or not name.strip():
        return _("Give the file a name.")
    if len(name) > NAME_MAX_LENGTH:
        return _("The file name is too long: at most %(max)d characters.") % {
            "max": NAME_MAX_LENGTH}
    if "/" in name or "\\" in name or name.strip() in {".", ".."}:
        return _("The file name may not contain a path (/ or \\).")
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in name):
        return _("The file name may not contain control characters.")
    return None


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _is_utf8_text(upload) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    upload.seek(0)
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)
    return True


def _office_type(upload, extension) -> str | None:
    folder, content_type = OFFICE_FOLDERS[extension]
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names and any(n.startswith(folder) for n in names):
        return content_type
    return None


def sniff(upload, name: str) -> str | None:
    """The content type of `upload` read from its content, when it is an allowed kind
    and `name` has an ending that kind may have; else None."""
    extension = os.path.splitext(name)[1].lower()
    head = _read_head(upload)
    guess = filetype.guess(head)
    if guess is None:
        if extension in TEXT_TYPES and _is_utf8_text(upload):
            return TEXT_TYPES[extension]
        return None
    if extension in OFFICE_FOLDERS and guess.mime in {"application/zip", *(
            content_type for _folder, content_type in OFFICE_FOLDERS.values())}:
        return _office_type(upload, extension)
    mime = guess.mime
    if mime not in KINDS or extension not in KINDS[mime]:
        return None
    return mime


def upload_errors(*, tenant: Tenant, upload: UploadedFile | None, name: str,
                  too_large: bool = False) -> dict:
    """{field: [message]} for an upload that may not be stored; {} when it may.
    `too_large`: the file was dropped while it arrived (SizeLimitHandler)."""
    if too_large:
        return {"file": [too_large_error(tenant)]}
    if upload is None:
        return {"file": [_("Choose a file to upload.")]}
    error = name_error(name)
    if error:
        return {"name": [error]}
    limit = max_bytes(tenant)
    # `size` is known before the content is read: a file over the limit is refused first.
    if upload.size is None or upload.size == 0:
        return {"file": [_("The file is empty.")]}
    if upload.size > limit:
        return {"file": [too_large_error(tenant, upload.size)]}
    if sniff(upload, name) is None:
        return {"file": [_("This kind of file is not accepted (judged by its content and "
                           "its name's ending). Accepted: %(kinds)s.")
                         % {"kinds": allowed_kinds_text()}]}
    return {}


# --- the writes ----------------------------------------------------------------------------


def find_object(object_type: str, object_id):
    """The registered kind and the tenant's object it names, or (kind, None)."""
    entry = attachable(object_type)
    if entry is None:
        return None, None
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        return entry, None
    queryset = entry.model.objects.select_related(*entry.select_related)
    return entry, queryset.filter(pk=object_id).first()


def attach(*, tenant: Tenant, user: User, object_type: str, obj, upload: UploadedFile | None,
           name: str | None = None, too_large: bool = False) -> Attachment:
    """Store `upload` on `obj` (the caller has checked that `user` may edit it). Raises
    ValidationError with field errors, storing nothing, when the file is refused."""
    named = bool(name)
    name = (upload.name if upload is not None and not name else name) or ""
    name = unicodedata.normalize("NFC", name.strip()) if name_error(name) is None else name
    errors = upload_errors(tenant=tenant, upload=upload, name=name, too_large=too_large)
    if "name" in errors and not named:  # the file's own name: the error is the file's
        errors = {"file": errors["name"]}
    if errors:
        raise ValidationError(errors)
    attachment = Attachment(tenant=tenant, object_type=object_type, object_id=obj.pk,
                            name=name, size=upload.size,
                            content_type=sniff(upload, name), uploaded_by=user)
    attachment.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def delete_attachment(*, attachment: Attachment) -> None:
    """Delete the row; its file goes once that commits (records.attachments)."""
    attachment.delete()
