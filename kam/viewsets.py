from rest_framework import viewsets


class TenantModelViewSet(viewsets.ModelViewSet):
    """A viewset over a tenant-owned model. Its default manager scopes rows to the
    request's tenant, so another tenant's id is a 404; new rows take that tenant."""

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
