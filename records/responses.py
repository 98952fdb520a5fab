"""The one way an attachment leaves the server: streamed by an authorised view (page or
API), as a download that the browser neither renders in our origin nor sniffs."""

from django.http import FileResponse

# A file opened in the browser anyway runs nothing and reaches nothing of ours.
DOWNLOAD_POLICY = "sandbox; default-src 'none'"


def download_response(attachment):
    response = FileResponse(attachment.file.open("rb"), as_attachment=True,
                            filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    response["Cache-Control"] = "private, no-store"
    return response
