from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Registers the OpenAPI security schemes of the API's authentication classes.
        from kam import db_keys, db_rls, db_roles

        from . import schema  # noqa: F401

        # After every migrate (PostgreSQL), in this order: the database's tenant-checking
        # foreign keys, row-level security on the tenant-owned tables, and the grants of
        # the application's role.
        post_migrate.connect(db_keys.post_migrate, sender=self,
                             dispatch_uid="kam-tenant-keys")
        post_migrate.connect(db_rls.post_migrate, sender=self,
                             dispatch_uid="kam-row-security")
        post_migrate.connect(db_roles.post_migrate, sender=self,
                             dispatch_uid="kam-app-role-grants")
