from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import tenant_required

from . import selectors, services


@tenant_required()
def inbox_page(request):
    notifications = selectors.inbox(request.user)
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@tenant_required()
def mark_all_read(request):
    count = services.mark_read(request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("inbox")


@require_POST
@tenant_required()
def open_notification(request, pk):
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.mark_read(request.user, ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(notification.url, {request.get_host()}):
        return redirect(notification.url)
    return redirect("inbox")
