"""What each role may do, named once: the capability table.

Pages (`accounts.permissions.tenant_required("read_dashboard")`), the API (a viewset's
`read_capability` / `write_capability`, checked by `kam.api.CapabilityPermission`),
templates (`{% if can.read_dashboard %}`, from `accounts.context_processors.tenancy`) and
services (`roles.allows(request.role, "run_scoring")`) ask by capability name; no role set
and no comparison with a role is written anywhere else (tests/test_capabilities.py).

Some capabilities hold only on some accounts: an account manager edits the accounts whose
team they are on. That rule is the teams app's; it registers itself here at start-up
(`register_account_access`, teams/apps.py), so that every app asks `can_edit_account`
without importing the app above it.
"""

from django.utils.translation import gettext_lazy as _

from .models import Role

ADMIN, EXECUTIVE, MANAGER, MEMBER, VIEWER = (Role.ADMIN, Role.EXECUTIVE, Role.MANAGER,
                                             Role.MEMBER, Role.VIEWER)
EVERYONE = frozenset(Role.values)

CAPABILITIES = {
    # Read the workspace's pages and API (every member).
    "read": EVERYONE,
    # Their own notifications (mark them read), whatever the role.
    "use_inbox": EVERYONE,
    # Members, settings, every API token, scheduled jobs, survey templates and settings,
    # service standards, the scoring policy, regions, RAG settings and the milestone
    # template, creating and deleting teams.
    "manage_workspace": frozenset({ADMIN}),
    "read_dashboard": frozenset({ADMIN, EXECUTIVE}),
    "read_reports": frozenset({ADMIN, EXECUTIVE}),
    "run_scoring": frozenset({ADMIN, EXECUTIVE}),
    "override_tiers": frozenset({ADMIN, EXECUTIVE}),
    # Edit an account's data (customer, figures, contacts, plans, programmes, survey
    # answers, OPL items, its team): admins everywhere, managers on their team's accounts.
    "edit_accounts": frozenset({ADMIN, MANAGER}),
    # ... on every account, not only those whose team they are on.
    "edit_every_account": frozenset({ADMIN}),
    # Edit the work items assigned to them (milestones, OPL items) on any account; for
    # whoever lacks edit_accounts (members), only those.
    "edit_own_items": frozenset({ADMIN, MANAGER, MEMBER}),
    "import_data": frozenset({ADMIN, MANAGER}),
    "run_surveys": frozenset({ADMIN, MANAGER}),
    "create_opl_items": frozenset({ADMIN, MANAGER}),
    # Work on OPL items through the API (the item's own rule narrows it: satisfaction.opl).
    "work_opl_items": frozenset({ADMIN, EXECUTIVE, MANAGER, MEMBER}),
    # Verify any OPL item (the accountable KAM verifies their own).
    "verify_opl_items": frozenset({ADMIN, EXECUTIVE}),
    # Write reviews (of the teams they are AR of, or whose region they lead).
    "write_reviews": frozenset({ADMIN, EXECUTIVE, MANAGER}),
    # Review any team's members, record another reviewer's review, delete reviews.
    "manage_reviews": frozenset({ADMIN}),
    "read_all_reviews": frozenset({ADMIN, EXECUTIVE}),
    # Read the reviews of the members of the teams they are on.
    "read_team_reviews": frozenset({MANAGER}),
    "give_recognition": frozenset({ADMIN, EXECUTIVE}),
    # Who may be put in charge: a customer's owner (KAM), or the owner of a piece of work.
    "own_accounts": frozenset({MANAGER}),
    "own_work": frozenset({ADMIN, MANAGER, MEMBER}),
}

LABELS = {
    "read": _("read the workspace"),
    "use_inbox": _("use their inbox"),
    "manage_workspace": _("manage the workspace"),
    "read_dashboard": _("read the dashboard"),
    "read_reports": _("read the management reports"),
    "run_scoring": _("run scoring"),
    "override_tiers": _("override tiers"),
    "edit_accounts": _("edit accounts"),
    "edit_every_account": _("edit every account"),
    "edit_own_items": _("edit the items assigned to them"),
    "import_data": _("import data"),
    "run_surveys": _("run surveys"),
    "create_opl_items": _("open OPL items"),
    "work_opl_items": _("work on OPL items"),
    "verify_opl_items": _("verify OPL items"),
    "write_reviews": _("write reviews"),
    "manage_reviews": _("manage every review"),
    "read_all_reviews": _("read every review"),
    "read_team_reviews": _("read their teams' reviews"),
    "give_recognition": _("give recognition"),
    "own_accounts": _("own accounts"),
    "own_work": _("own work items"),
}


def roles_for(capability):
    """The roles that have `capability` (KeyError for a name not in the table)."""
    return CAPABILITIES[capability]


def allows(role, capability):
    """Whether `role` has `capability`."""
    return role in CAPABILITIES[capability]


def edits_only_own_items(role):
    """Whether `role` edits the work items assigned to them but not whole accounts
    (members): their changes are limited to those items."""
    return allows(role, "edit_own_items") and not allows(role, "edit_accounts")


class Can:
    """`can.<capability>` for templates: True when the role has it. An unknown name is
    an error rather than a silent False."""

    def __init__(self, role):
        self.role = role

    def __getattr__(self, capability):
        if capability not in CAPABILITIES:
            raise AttributeError(f"No capability {capability!r} in accounts.roles")
        return self.role in CAPABILITIES[capability]


# --- accounts, narrowed by a rule of the app above ----------------------------------------

_account_access = None


def register_account_access(access):
    """Install the rule of who edits which account: an object with
    `on_team(user, customer, today)` (bool), `team_accounts(user, today)` (a Customer
    queryset of the accounts whose team `user` is on) and `all_accounts()`."""
    global _account_access
    _account_access = access


def account_access():
    if _account_access is None:
        raise RuntimeError("No account access rule registered (is the teams app installed?)")
    return _account_access


def _user_and_role(request_or_user, role):
    """Accept a request (its user, and its role when `role` is None) or a user."""
    user = getattr(request_or_user, "user", request_or_user)
    if role is None:
        role = getattr(request_or_user, "role", None)
    return user, role


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def can_edit_account(request_or_user, role, customer, today=None):
    """Whether this user, in this role, may edit `customer`: admins every account,
    managers the accounts whose team they are on."""
    user, role = _user_and_role(request_or_user, role)
    if not _authenticated(user) or not allows(role, "edit_accounts"):
        return False
    if allows(role, "edit_every_account"):
        return True
    return customer is not None and account_access().on_team(user, customer, today)


def editable_customers(request_or_user, role, today=None):
    """The customers this user, in this role, may edit (a queryset, for lists and APIs)."""
    user, role = _user_and_role(request_or_user, role)
    access = account_access()
    if not _authenticated(user) or not allows(role, "edit_accounts"):
        return access.all_accounts().none()
    if allows(role, "edit_every_account"):
        return access.all_accounts()
    return access.team_accounts(user, today)


def editable_customer_ids(tenant, user, role=None, today=None):
    """The ids of the customers `user` may change in `tenant` (None: every customer, for
    admins), for bulk writes such as imports. `role` defaults to their membership's."""
    from .models import Membership

    if role is None and _authenticated(user):
        role = (Membership.objects.filter(tenant=tenant, user=user, is_active=True)
                .values_list("role", flat=True).first())
    if allows(role, "edit_every_account"):
        return None
    if not _authenticated(user) or not allows(role, "edit_accounts"):
        return set()
    return set(account_access().team_accounts(user, today).values_list("pk", flat=True))


# The error a bulk write (an import, a bulk endpoint) gives for a row of an account the
# writer may not change; lazy, so that stored import errors keep its message id.
NOT_ON_TEAM = _("You are not on the account team of %(code)s; only its team and "
                "administrators change it.")


def not_on_team_message(code):
    return str(NOT_ON_TEAM) % {"code": code}
