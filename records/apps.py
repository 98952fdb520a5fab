from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    """The records every app keeps on its rows: attachments, and the history of changes
    (who, when, from where, field, old → new). Domain apps register what they attach to
    and what they track at start-up; this app imports none of them."""

    name = "records"
    verbose_name = _("Records")

    def ready(self):
        # The bulk writes of tracked models record their history (records.history).
        from .history import connect_bulk_writes

        connect_bulk_writes()
