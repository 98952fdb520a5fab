"""`/api/v1/attachments/`: files on OPL items, PPAP elements, interactions, account plans
and programmes. The one request body of the API that is not JSON: an upload is
`multipart/form-data` (this viewset's parser only). Downloads are streamed by
`GET attachments/{id}/download/`, never from a public URL."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from kam.serializers import drf_errors

from . import attachments, uploads
from .attachments import Attachment
from .responses import download_response


@extend_schema_serializer(description=(
    "A file attached to an object: `object_type` names the kind (`opl-item`, "
    "`ppap-element`, `interaction`, `account-plan`, `programme`), `object_id` the object. "
    "Uploaded as multipart/form-data; `content_type` is read from the content. "
    "Download it from `GET /api/v1/attachments/{id}/download/`."))
class AttachmentSerializer(serializers.ModelSerializer):
    object_type = serializers.ChoiceField(choices=attachments.object_types())
    object_id = serializers.IntegerField(min_value=1)
    file = serializers.FileField(write_only=True, use_url=False,
                                 help_text="The file (multipart/form-data).")
    name = serializers.CharField(required=False, max_length=attachments.NAME_MAX_LENGTH,
                                 help_text="The file's name; defaults to the uploaded file's.")
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    content_type = serializers.CharField(read_only=True,
                                         help_text="The type read from the content.")
    uploaded_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Attachment
        fields = ["id", "object_type", "object_id", "file", "name", "size", "content_type",
                  "uploaded_by", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class AttachmentFilter(filters.FilterSet):
    object_type = filters.ChoiceFilter(choices=[(key, key) for key in attachments.object_types()])
    object_id = filters.NumberFilter()

    class Meta:
        model = Attachment
        fields = ["object_type", "object_id"]


class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.DestroyModelMixin,
                        viewsets.GenericViewSet):
    """Files on the tenant's objects. Listing and reading follow who may read the object;
    uploading and deleting who may edit it. An object the caller may not see is a 404."""

    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilter
    parser_classes = [parsers.MultiPartParser]
    ordering_fields = ["created_at", "size", "name"]
    ordering = ["-created_at", "-id"]
    # Every role reads; who writes is the object's rule (records.attachments registry).
    write_capability = "read"

    def get_queryset(self):
        return Attachment.objects.filter(
            object_type__in=attachments.object_types()).select_related("uploaded_by")

    def get_object(self):
        attachment = super().get_object()
        entry, obj = uploads.find_object(attachment.object_type, attachment.object_id)
        if obj is None or not entry.can_view(self.request, obj):
            raise NotFound()
        attachment.target = (entry, obj)
        return attachment

    @extend_schema(request={"multipart/form-data": AttachmentSerializer},
                   responses={201: AttachmentSerializer},
                   description="Uploads a file onto an object the caller may edit. Refused "
                   "(400, nothing stored): an empty file, one over the workspace's limit, "
                   "a kind not accepted (judged by the content), a name with a path or "
                   "control characters. The one operation of the API whose body is "
                   "multipart/form-data.")
    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":  # before anything reads the body (session's CSRF check)
            uploads.limit_uploads(request)
        return super().initialize_request(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        if request.data is not None and getattr(request._request, "upload_too_large", False):
            raise DRFValidationError({"file": [uploads.too_large_error(request.tenant)]})
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        entry, obj = uploads.find_object(values["object_type"], values["object_id"])
        if obj is None or not entry.can_view(request, obj):
            raise DRFValidationError({"object_id": [_("No such object in this workspace.")]})
        if not entry.can_edit(request, obj):
            raise DRFValidationError({"object_id": [_(
                "You may not add files to this object: only those who may edit it do.")]})
        try:
            attachment = uploads.attach(tenant=request.tenant, user=request.user,
                                        object_type=entry.key, obj=obj,
                                        upload=values["file"], name=values.get("name"))
        except DjangoValidationError as exc:
            raise DRFValidationError(drf_errors(exc)) from None
        return Response(self.get_serializer(attachment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        entry, obj = instance.target
        if not entry.can_edit(self.request, obj):
            raise NotFound()
        uploads.delete_attachment(attachment=instance)

    # The answer has the file's own type; octet-stream is listed first so that generated
    # clients read every one of them as bytes (a text/* first would be read as text).
    @extend_schema(responses={
        (200, content_type): OpenApiResponse(response=OpenApiTypes.BINARY,
                                             description="The file, as an attachment.")
        for content_type in ["application/octet-stream", *uploads.CONTENT_TYPES]},
        filters=False, description="The file itself (Content-Disposition: attachment), with "
        "its content type; 404 when the caller may not read its object.")
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return download_response(self.get_object())
