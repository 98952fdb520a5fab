"""Shared viewset pieces: the tenant-owned model viewset and writes that follow the
account's team."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
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
