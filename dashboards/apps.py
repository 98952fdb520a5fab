from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        # Derived data (stored health, cached dashboards) listens to every write of what
        # it derives from.
        from django.core import checks

        from . import derived, pdf

        derived.connect()
        checks.register(pdf.pdf_export_check)
