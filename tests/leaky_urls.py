"""A URLconf with deliberately leaky views, for the isolation sweep's self-test
(`tests/test_isolation.py`): the sweep must report them, and only them."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path

from accounts.models import Membership
from kam.tenancy import cross_tenant
from notifications.models import Notification


def leaky_detail(request, pk):
    """Wrong: looks the row up in every tenant."""
    with cross_tenant():
        notification = get_object_or_404(Notification, pk=pk)
    return HttpResponse(notification.text)


def leaky_list(request):
    """Wrong: lists the rows of every tenant."""
    with cross_tenant():
        texts = list(Notification.objects.values_list("text", flat=True))
    return HttpResponse("\n".join(texts))


def nested_leaky_detail(request, membership_pk, pk):
    """Wrong: the parent is scoped, but the child is looked up in every tenant."""
    get_object_or_404(Membership, pk=membership_pk)
    with cross_tenant():
        notification = get_object_or_404(Notification, pk=pk)
    return HttpResponse(notification.text)


def scoped_detail(request, pk):
    """Right: the default manager keeps the lookup inside the request's tenant."""
    return HttpResponse(get_object_or_404(Notification, pk=pk).text)


def scoped_list(request):
    return HttpResponse("\n".join(Notification.objects.values_list("text", flat=True)))


def blind_detail(request, pk):
    """Serves nothing the sweep can find."""
    raise Http404


def by_code(request, code):
    """A kwarg that is not an object id, and not in the sweep's allowlist."""
    return HttpResponse(code)


selftest_patterns = [
    path("leaky/notifications/", leaky_list, name="leaky_list"),
    path("leaky/notifications/<int:pk>/", leaky_detail, name="leaky_detail"),
    path("members/<int:membership_pk>/notifications/<int:pk>/", nested_leaky_detail,
         name="nested_leaky_detail"),
    path("scoped/notifications/", scoped_list, name="scoped_list"),
    path("scoped/notifications/<int:pk>/", scoped_detail, name="scoped_detail"),
    path("blind/<int:pk>/", blind_detail, name="blind_detail"),
    path("by-code/<slug:code>/", by_code, name="by_code"),
]

urlpatterns = [
    path("selftest/", include(selftest_patterns)),
    # The project's own URLs, which its templates (base layout, 404 page) reverse.
    path("", include("kam.urls")),
]
