"""Write use cases for tenants, memberships and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.tenancy import tenant_context

from . import roles
from .models import ApiToken, Membership, Role, User, hash_token

if TYPE_CHECKING:
    from datetime import datetime

    from .models import Tenant

# Tokens are marked as used at most this often, so reads do not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MANAGER: 2, Role.EXECUTIVE: 3, Role.ADMIN: 4}
# A new token reads only, unless its creator asks for more.
DEFAULT_TOKEN_ROLE = Role.VIEWER


def token_roles(owner_role: str) -> list[str]:
    """The roles a token of a member in `owner_role` may carry, lowest first."""
    rank = ROLE_RANK.get(owner_role, -1)
    return sorted((role for role in ROLE_RANK if ROLE_RANK[role] <= rank), key=ROLE_RANK.get)


def create_api_token(*, tenant: Tenant, user: User, name: str, role: str | None = None,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token and return (token, raw value). The raw value is never stored."""
    with tenant_context(tenant):
        membership = Membership.objects.filter(user=user, is_active=True).first()
        if membership is None:
            raise ValidationError({"user": _("This user is not a member of the workspace.")})
        role = role or membership.role
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        if ROLE_RANK[role] > ROLE_RANK[membership.role]:
            raise ValidationError({"role": _("A token cannot have more rights than its owner.")})
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError({"expires_at": _("The expiry must be in the future.")})
        prefix = secrets.token_hex(4)
        raw = f"kam_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            tenant=tenant,
            user=user,
            name=name,
            role=role,
            prefix=prefix,
            key_hash=hash_token(raw),
            expires_at=expires_at,
        )
    return token, raw


def revoke_api_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def touch_api_token(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def add_member(*, tenant: Tenant, email: str, role: str, full_name: str = "",
               password: str | None = None) -> tuple[Membership, bool]:
    """Add a user (created if new) to the tenant with a role; returns (membership, created_user).

    A new user without a password gets an unusable one and sets it through the reset link.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created_user = user is None
    if created_user:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    with tenant_context(tenant):
        membership, created = Membership.objects.get_or_create(
            user=user, defaults={"role": role, "tenant": tenant}
        )
        if not created:
            if membership.is_active:
                raise ValidationError({"email": _("This person is already a member.")})
            membership.is_active = True
            membership.role = role
            membership.save(update_fields=["is_active", "role"])
    return membership, created_user


def change_role(membership: Membership, *, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _keep_an_admin(membership, new_role=role)
    membership.role = role
    membership.save(update_fields=["role"])


def deactivate_member(membership: Membership) -> None:
    _keep_an_admin(membership, new_role=None)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=membership.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _keep_an_admin(membership, new_role):
    """A tenant never loses its last administrator (who manages the workspace)."""
    if (not roles.allows(membership.role, "manage_workspace")
            or roles.allows(new_role, "manage_workspace")):
        return
    others = Membership.objects.filter(role__in=roles.roles_for("manage_workspace"),
                                       is_active=True).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError({"role": _("The workspace needs at least one administrator.")})


def set_user_language(user: User, *, language: str) -> None:
    """Save the language `user` picked (a code of settings.LANGUAGES)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
