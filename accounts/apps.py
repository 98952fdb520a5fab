from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Registers the OpenAPI security schemes of the API's authentication classes.
        from . import schema  # noqa: F401
