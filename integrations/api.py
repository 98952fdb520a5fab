"""`webhooks` and `webhook-deliveries` (admins only). The secret is write-only: it is
answered once, when the webhook is created or its secret rotated."""

import base64
import binascii

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kam.serializers import ShowsUpdatedAt, drf_errors

from . import events, services
from .webhooks import SECRET_PREFIX, Webhook, WebhookDelivery


@extend_schema_field({"type": "array", "items": {"type": "string",
                                                 "enum": list(events.EVENTS)}})
class EventsField(serializers.ListField):
    """Event names of the registry (integrations.events); unknown ones are a 400 that
    names them."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        problems = services.event_errors(names)
        if problems:
            raise ValidationError(problems)
        return names


def _secret_errors(value):
    if not value.startswith(SECRET_PREFIX):
        return [_("A secret starts with whsec_ followed by base64.")]
    try:
        raw = base64.b64decode(value[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return [_("A secret starts with whsec_ followed by base64.")]
    if not 24 <= len(raw) <= 64:
        return [_("A secret holds 24 to 64 random bytes.")]
    return []


@extend_schema_serializer(description=(
    "A webhook subscription: the events chosen are POSTed to `url`, signed per Standard "
    "Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with its secret. "
    "`secret` is write-only: leave it out to have one made, shown once in the answer to "
    "the create (and to `rotate-secret`)."))
class WebhookSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    events = EventsField(help_text=_("Event names (see the enum)."))
    secret = serializers.CharField(write_only=True, required=False, max_length=100,
                                   help_text=_("whsec_ and base64; made for you if left "
                                               "out."))

    class Meta:
        model = Webhook
        fields = ["id", "url", "description", "events", "secret", "is_active",
                  "consecutive_failures", "failed_deliveries", "last_success_at",
                  "last_failure_at", "disabled_at", "disabled_reason", "created_at"]
        read_only_fields = ["consecutive_failures", "failed_deliveries", "last_success_at",
                            "last_failure_at", "disabled_at", "disabled_reason",
                            "created_at"]

    def validate_url(self, value):
        problems = services.url_errors(value)
        if problems:
            raise ValidationError(problems)
        return value

    def validate_secret(self, value):
        problems = _secret_errors(value)
        if problems:
            raise ValidationError(problems)
        return value


@extend_schema_serializer(description=(
    "A webhook as answered once after its creation or a secret rotation: with `secret`."))
class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True)

    class Meta(WebhookSerializer.Meta):
        read_only_fields = WebhookSerializer.Meta.fields


@extend_schema_serializer(description=(
    "One event for one webhook and its attempts: `event_id` is the `webhook-id` header, "
    "the same on every retry and replay; `payload` is the JSON body sent."))
class WebhookDeliverySerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    payload = serializers.JSONField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook", "event", "event_id", "status", "status_code", "attempts",
                  "next_attempt_at", "delivered_at", "last_error", "payload", "created_at"]
        read_only_fields = fields


def _service(call, *args, **kwargs):
    try:
        with transaction.atomic():
            return call(*args, **kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(drf_errors(exc)) from None


class WebhookViewSet(viewsets.ModelViewSet):
    """The workspace's webhook subscriptions (admins)."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    filterset_fields = ["is_active"]
    ordering_fields = ["url", "created_at"]
    read_capability = "manage_workspace"
    write_capability = "manage_workspace"

    @extend_schema(responses={201: WebhookWithSecretSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook = _service(services.create_webhook, tenant=request.tenant, user=request.user,
                           url=data["url"], events=data["events"],
                           description=data.get("description", ""),
                           is_active=data.get("is_active", True))
        if data.get("secret"):
            webhook.secret = data["secret"]
            webhook.save(update_fields=["secret"])
        return Response(WebhookWithSecretSerializer(webhook).data,
                        status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        secret = data.pop("secret", None)
        webhook = _service(services.update_webhook, serializer.instance, **data)
        if secret:
            webhook.secret = secret
            webhook.save(update_fields=["secret"])
        serializer.instance = webhook

    def perform_destroy(self, instance):
        services.delete_webhook(instance)

    @extend_schema(request=None, responses=WebhookWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret for the webhook, answered once; later deliveries are signed
        with it."""
        webhook = services.rotate_secret(self.get_object())
        return Response(WebhookWithSecretSerializer(webhook).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request, pk=None):
        """Queue a `webhook.test` event to this webhook."""
        delivery = _service(services.send_test, self.get_object(), user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data,
                        status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """The delivery log, newest first (admins): filter by webhook, event and status."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["webhook", "event", "status"]
    ordering_fields = ["created_at", "delivered_at", "attempts"]
    read_capability = "manage_workspace"
    write_capability = "manage_workspace"

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Send the delivery once more, with the same `webhook-id`."""
        delivery = _service(services.replay, self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data,
                        status=status.HTTP_202_ACCEPTED)
