from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Registers the OpenAPI security schemes of the API's authentication classes.
        from kam import db_keys

        from . import schema  # noqa: F401

        # After every migrate: the database's tenant-checking foreign keys (PostgreSQL).
        post_migrate.connect(db_keys.post_migrate, sender=self,
                             dispatch_uid="kam-tenant-keys")
