from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self):
        # The import pipeline sits in a lower layer: it runs this kind without importing us.
        from kam.imports import kinds

        from .importing import AnswersKind

        kinds.register(AnswersKind())
