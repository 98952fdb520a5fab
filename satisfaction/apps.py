from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self):
        # The import pipeline sits in a lower layer: it runs this kind without importing us.
        from kam.imports import kinds
        from notifications import emails

        from .importing import AnswersKind
        from .services import INVITATION_EMAIL, write_link_email

        kinds.register(AnswersKind())
        # Invitation e-mails carry a link, kept nowhere: written when they are sent.
        emails.register_writer(INVITATION_EMAIL, write_link_email)
