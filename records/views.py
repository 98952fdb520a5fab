"""Attachment pages, one set for every kind of object: the list of an object's files,
upload (a plain form post, or the same post sent by static/js/attachments.js with a
progress bar, answered with the refreshed panel), download and delete. Who may do what
is the registered kind's rule (records.attachments); an object or file the user may not
see is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import tenant_required

from . import uploads
from .attachments import Attachment
from .responses import download_response
from .templatetags.records_tags import panel_context


def _visible_object(request, object_type, object_id):
    entry, obj = uploads.find_object(object_type, object_id)
    if obj is None or not entry.can_view(request, obj):
        raise Http404(_("No such object in this workspace."))
    return entry, obj


def _visible_attachment(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("uploaded_by"), pk=pk)
    entry, obj = _visible_object(request, attachment.object_type, attachment.object_id)
    return attachment, entry, obj


def _back(request, entry, obj):
    """Where a plain form post returns: the page it came from, else the object's page."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return entry.url(obj) if entry.url else "home"


def _wants_json(request):
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@tenant_required()
@require_GET
def attachment_list(request):
    """`?object_type=ppap-element&object_id=5`: one object's files, for the objects whose
    page shows no panel of its own (PPAP elements, interactions, plans)."""
    entry, obj = _visible_object(request, request.GET.get("object_type"),
                                 request.GET.get("object_id"))
    return render(request, "records/attachment_list.html", {
        "entry": entry, "object": obj, "object_url": entry.url(obj) if entry.url else None,
        "panel": panel_context(request, entry.key, obj)})


@csrf_exempt  # checked below, once the size limit is in front of the body's parsing
@require_POST
def attachment_upload(request):
    uploads.limit_uploads(request)
    return _upload(request)


@csrf_protect
@tenant_required()
def _upload(request):
    entry, obj = _visible_object(request, request.POST.get("object_type"),
                                 request.POST.get("object_id"))
    if not entry.can_edit(request, obj):
        raise Http404(_("No such object in this workspace."))
    upload = request.FILES.get("file")
    try:
        attachment = uploads.attach(
            tenant=request.tenant, user=request.user, object_type=entry.key, obj=obj,
            upload=upload, too_large=getattr(request, "upload_too_large", False))
    except ValidationError as exc:
        errors = [message for field in exc.message_dict.values() for message in field]
        if _wants_json(request):
            return JsonResponse({"errors": errors}, status=400)
        for error in errors:
            messages.error(request, error)
        return redirect(_back(request, entry, obj))
    done = _("%(name)s uploaded.") % {"name": attachment.name}
    if _wants_json(request):
        html = render_to_string("records/_attachments.html",
                                panel_context(request, entry.key, obj), request=request)
        return JsonResponse({"message": done, "html": html}, status=201)
    messages.success(request, done)
    return redirect(_back(request, entry, obj))


@tenant_required()
@require_GET
def attachment_download(request, pk):
    attachment, _entry, _obj = _visible_attachment(request, pk)
    return download_response(attachment)


@tenant_required()
@require_POST
def attachment_delete(request, pk):
    attachment, entry, obj = _visible_attachment(request, pk)
    if not entry.can_edit(request, obj):
        raise Http404(_("No such object in this workspace."))
    uploads.delete_attachment(attachment=attachment)
    messages.success(request, _("%(name)s deleted.") % {"name": attachment.name})
    return redirect(_back(request, entry, obj))
