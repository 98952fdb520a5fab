"""`{% attachments_panel "opl-item" item %}`: an object's files and, for those who may
edit it, the upload control (records/_attachments.html); one partial for every kind."""

from django import template

from .. import uploads
from ..attachments import attachable
from ..selectors import attachment_counts, attachments_of

register = template.Library()


def panel_context(request, object_type, obj):
    entry = attachable(object_type)
    can_edit = entry.can_edit(request, obj)
    return {
        "object_type": entry.key, "object": obj, "label": entry.label,
        "attachments": list(attachments_of(entry.key, obj.pk)),
        "can_edit": can_edit,
        "max_bytes": uploads.max_bytes(request.tenant) if can_edit else None,
        "allowed_kinds": uploads.allowed_kinds_text(),
        # After an upload sent by script, links return to the page it was sent from.
        "next": (request.POST.get("next") if request.method == "POST" else None)
        or request.get_full_path(),
    }


@register.inclusion_tag("records/_attachments.html", takes_context=True)
def attachments_panel(context, object_type, obj):
    request = context["request"]
    return {**panel_context(request, object_type, obj), "request": request,
            "csrf_token": context.get("csrf_token")}


@register.simple_tag
def attachment_counts_for(object_type, objects):
    """{object id: count} for a list of objects of one kind (one query)."""
    return attachment_counts(object_type, [obj.pk for obj in objects])


@register.filter
def count_of(counts, obj):
    return counts.get(obj.pk, 0) if counts else 0


@register.filter
def kind_label(content_type):
    """A short name of an attachment's type (PDF, PNG, Word, …)."""
    return uploads.KIND_LABELS.get(content_type, content_type)
