"""Shared viewset pieces: the tenant-owned model viewset, writes that follow the
account's team, and reads and upserts by natural key."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import roles

from .serializers import drf_errors

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class TenantModelViewSet(viewsets.ModelViewSet):
    """A viewset over a tenant-owned model. Its default manager scopes rows to the
    request's tenant, so another tenant's id is a 404; new rows take that tenant."""

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)


class AccountWriteMixin:
    """Writes that follow the account's team, for any app's viewsets: create, update and
    delete check the row's account (accounts.roles.can_edit_account: admins,
    and managers on its team) and save in a transaction; the model's and the services'
    validation errors, and unique rows saved at the same moment, are 400s, not 500s.

    The check lives in `save`, the one path every create and update takes, so a subclass
    that changes what is saved (`perform_create` adding `created_by=`) cannot drop it by
    overriding the hook; `tests/test_account_writes.py` fails on an override that saves
    without `self.save`."""

    # Where a row's account is found (a path of attributes from the row), so writes
    # follow the team: admins, and managers on the account's team. None: not an account row.
    account_path = ("customer",)

    def account_of(self, obj):
        for name in self.account_path or ():
            if obj is None:
                break
            obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        return obj if self.account_path else None

    def check_account(self, obj):
        customer = self.account_of(obj)
        if customer is not None and not roles.can_edit_account(self.request, None, customer):
            raise PermissionDenied(_("Only the account's team and administrators edit it."))

    def perform_create(self, serializer):
        self.save(serializer, tenant=self.request.tenant)

    def perform_update(self, serializer):
        self.save(serializer)

    def perform_destroy(self, instance):
        self.check_account(instance)
        super().perform_destroy(instance)

    def save(self, serializer, **kwargs):
        """Check the account of the row as it is (an update) and as it will be, then save."""
        if serializer.instance is not None:
            self.check_account(serializer.instance)
        self.check_account(serializer.validated_data)
        try:
            with transaction.atomic():
                serializer.save(**kwargs)
        except DjangoValidationError as exc:
            raise DRFValidationError(drf_errors(exc)) from None
        except IntegrityError:
            raise DRFValidationError({NON_FIELD: [_(
                "Another change to the same data was saved at the same time; try again.")]}
            ) from None


# --- natural keys: read and upsert a row by its code or external id ----------------------


class UpsertByKeyMixin:
    """`GET {resource}/by-<key>/{value}/` reads the row with that natural key (kam.sync:
    a code ignoring case, an external id exactly) and `PUT` the same path creates it, or
    replaces it when it exists, in one transaction: the same serializer, validation and
    permissions as create and update (AccountWriteMixin.save, the one path of writes).
    A value in the body must be the path's (ignoring case for a code); left out, the
    path's is used. 201 when created, 200 when updated."""

    def _by_key(self, request, name, value):
        from .sync import key_lookup

        model = self.get_queryset().model
        lookup = key_lookup(model, name, value)
        if request.method == "GET":
            instance = self.get_queryset().filter(**lookup).first()
            if instance is None:
                raise NotFound(_("No row has this key in this workspace."))
            self.check_object_permissions(request, instance)
            return Response(self.get_serializer(instance).data)
        if not isinstance(request.data, dict):
            raise DRFValidationError({NON_FIELD: [_("Send an object.")]})
        data = {**request.data}
        sent = data.get(name)
        wanted = value.strip()
        if sent not in (None, "") and (
                str(sent).strip().lower() != wanted.lower() if name == "code"
                else str(sent).strip() != wanted):
            raise DRFValidationError({name: [_("This differs from the value in the path.")]})
        with transaction.atomic():
            instance = (self.get_queryset().select_for_update(of=("self",)).filter(**lookup)
                        .first())
            if instance is not None:
                self.check_object_permissions(request, instance)
            if sent in (None, ""):  # an update keeps the key as stored (a code's case)
                data[name] = getattr(instance, name) if instance is not None else wanted
            serializer = self.get_serializer(instance, data=data)
            serializer.is_valid(raise_exception=True)
            if instance is None:
                self.perform_create(serializer)
            else:
                self.perform_update(serializer)
        return Response(serializer.data,
                        status=status.HTTP_200_OK if instance else status.HTTP_201_CREATED)


def upsert_schema(name, resource, serializer):
    """The schema of a `by-<key>` action (GET and PUT) answering `serializer`."""
    described = {"code": "code (ignoring case and surrounding spaces)",
                 "external_id": "external id (exact, case included)"}[name]
    parameter = OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH,
                                 description=f"The {described}.")

    def decorate(function):
        function = extend_schema(
            methods=["GET"], parameters=[parameter], filters=False, responses=serializer,
            summary=f"Read a {resource} by its {name}",
            description=f"The {resource} with this {described}; 404 when there is none.",
        )(function)
        return extend_schema(
            methods=["PUT"], parameters=[parameter], filters=False, request=serializer,
            responses={200: serializer, 201: serializer},
            summary=f"Create or update a {resource} by its {name}",
            description=f"Creates the {resource} with this {described}, or replaces the one "
            "that has it (every field as in a create; the key may be left out of the body). "
            "201 when created, 200 when updated. Same validation and permissions as create "
            "and update.")(function)

    return decorate
