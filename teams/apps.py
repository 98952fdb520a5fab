from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Account teams")

    def ready(self):
        # "Who edits which account" is the account team's rule (accounts.roles asks it).
        from accounts import roles

        from .permissions import TeamAccountAccess

        roles.register_account_access(TeamAccountAccess())
