from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """What integrators get beyond CRUD: webhook subscriptions and their deliveries,
    tombstones of deleted rows, idempotency keys. Domain apps send their events here from
    their write paths (integrations.events)."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        # Tombstones: listen for the deletes of every API resource (integrations.deletions).
        from . import deletions

        deletions.connect()
