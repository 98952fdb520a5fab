from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        # Derived data (stored health, cached dashboards) listens to every write of what
        # it derives from.
        from . import derived

        derived.connect()
