from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response


@extend_schema_serializer(description=(
    "The caller: their user, the workspace the token or session is for, and the role it "
    "acts with."))
class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    tenant = serializers.SlugField(source="tenant.slug")
    tenant_name = serializers.CharField(source="tenant.name")
    role = serializers.CharField()


class MeViewSet(viewsets.ViewSet):
    """The caller: user, tenant and role (of the token, or of the browser session).
    One object at `me/` (routed as a retrieve without an id: `singleton`)."""

    singleton = True

    @extend_schema(responses=MeSerializer)
    def retrieve(self, request):
        data = {"user": request.user, "tenant": request.tenant, "role": request.role}
        return Response(MeSerializer(data).data)
