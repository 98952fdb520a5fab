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
        register_attachments()


def register_attachments():
    """OPL items carry files (8D reports, photos; records.attachments): read by every
    reader, changed by whoever may edit the item (satisfaction.opl.can_edit)."""
    from django.urls import reverse

    from accounts import roles
    from records import attachments

    from . import opl
    from .models import OplItem

    attachments.register(
        "opl-item", OplItem, label=_("OPL item"),
        can_view=lambda request, obj: roles.allows(request.role, "read"),
        can_edit=lambda request, obj: opl.can_edit(obj, request.user, request.role),
        select_related=["customer"], url=lambda obj: reverse("opl_detail", args=[obj.pk]))
