"""Shared glue for the customer pages: who may do what, object look-ups, form errors."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts import roles
from accounts.permissions import tenant_required

from ..models import Customer

# Editing customer data at all; for one account, managers only edit the accounts whose
# team they are on (accounts.roles.can_edit_account).
edit_required = tenant_required("edit_accounts")
scoring_required = tenant_required("run_scoring")


def permissions(request, customer=None):
    """`can_edit` for the templates: whether the role edits customer data and, on an
    account's pages, this account (the user is on its team). What the role may do
    anywhere is `can.<capability>` (accounts.context_processors)."""
    can_edit = roles.allows(request.role, "edit_accounts") and (
        customer is None or roles.can_edit_account(request, None, customer))
    return {"can_edit": can_edit}


def page(request, template, context=None):
    """render() with the `can_edit` flag every customer page uses."""
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
