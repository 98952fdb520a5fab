"""Shared glue for the customer pages: who may do what, object look-ups, form errors."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import Role
from accounts.permissions import tenant_required

from .. import services
from ..models import Customer

# Roles that may edit customer data at all; for one account, managers only edit the
# accounts whose team they are on (accounts.roles.can_edit_account).
EDIT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
OVERRIDE_ROLES = services.OVERRIDE_ROLES
SCORING_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})
ADMIN_ROLES = frozenset({Role.ADMIN})

edit_required = tenant_required(EDIT_ROLES)
scoring_required = tenant_required(SCORING_ROLES)
admin_required = tenant_required(ADMIN_ROLES)


def permissions(request, customer=None):
    """What the templates show to the request's role (and, on an account's pages, whether
    the user is on that account's team)."""
    role = request.role
    can_edit = role in EDIT_ROLES and (customer is None or roles.can_edit_account(request, None,
                                                                            customer))
    return {
        "can_edit": can_edit,
        "can_override": role in OVERRIDE_ROLES,
        "can_run_scoring": role in SCORING_ROLES,
        "can_admin": role in ADMIN_ROLES,
    }


def page(request, template, context=None):
    """render() with the role flags every customer page uses."""
    return render(request, template, {**permissions(request), **(context or {})})


def get_customer(pk, queryset=None):
    """The current tenant's customer, or 404 (another tenant's id is simply not found)."""
    return get_object_or_404(queryset if queryset is not None else Customer.objects, pk=pk)


def get_editable_customer(request, pk):
    """The customer for an edit page: 404 if not the tenant's, 403 unless the user may
    edit this account (admins, and managers on its team)."""
    customer = get_customer(pk)
    if not roles.can_edit_account(request, None, customer):
        raise PermissionDenied(_("Only the account's team and administrators edit it."))
    return customer


def add_errors(form, exc):
    """Put a ValidationError from a service or model on the form's fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def save_form(form, unique_field, message, **save_kwargs):
    """form.save() in a transaction; a unique constraint lost to a concurrent write
    becomes `message` on `unique_field`, a model/service ValidationError field errors.
    Returns the saved object or None."""
    try:
        with transaction.atomic():
            return form.save(**save_kwargs)
    except IntegrityError:
        form.add_error(unique_field, message)
    except ValidationError as exc:
        add_errors(form, exc)
    return None


def submit(request, form, unique_field, message, **save_kwargs):
    """On a valid POST, save_form(); else None (GET, or the form has errors to show)."""
    if request.method == "POST" and form.is_valid():
        return save_form(form, unique_field, message, **save_kwargs)
    return None
