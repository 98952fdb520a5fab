from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # The import pipeline (kam.imports) knows the kinds the apps register, not the apps.
        from kam.imports import kinds

        from .importing import CustomersKind, FiguresKind

        kinds.register(CustomersKind())
        kinds.register(FiguresKind())
