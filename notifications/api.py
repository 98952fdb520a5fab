from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.serializers import ShowsUpdatedAt

from . import selectors, services
from .models import Notification


@extend_schema_serializer(description=(
    "A notice in the caller's inbox (a reminder, a tier change, an overdue item), with "
    "when it was read."))
class NotificationSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    text = serializers.CharField(source="display_text", read_only=True,
                                 help_text=_("The text in the request's language."))

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "object_type", "object_id", "created_at",
                  "read_at", "is_read"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["created_at"]
    write_capability = "use_inbox"  # everyone may mark their own as read

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Notification.objects.none()
        return selectors.inbox(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="read")
    def mark_read(self, request, pk=None):
        notification = self.get_object()
        services.mark_read(request.user, ids=[notification.pk])
        notification.read_at = notification.read_at or timezone.now()
        return Response(NotificationSerializer(notification).data)
