from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("APQP programmes")

    def ready(self):
        register_attachments()


def register_attachments():
    """Programmes and their PPAP elements (evidence, the PSW) carry files
    (records.attachments): read by every reader, changed by the account's team, as the
    programme and its PPAP package are."""
    from django.urls import reverse

    from accounts import roles
    from records import attachments

    from .models import PpapElement, Programme

    def can_view(request, obj):
        return roles.allows(request.role, "read")

    attachments.register(
        "programme", Programme, label=_("Programme"), can_view=can_view,
        can_edit=lambda request, obj: roles.can_edit_account(request, None, obj.customer),
        select_related=["customer"], url=lambda obj: reverse("programme_detail", args=[obj.pk]))
    attachments.register(
        "ppap-element", PpapElement, label=_("PPAP element"), can_view=can_view,
        can_edit=lambda request, obj: roles.can_edit_account(request, None,
                                                             obj.programme.customer),
        select_related=["programme__customer"],
        url=lambda obj: reverse("programme_detail", args=[obj.programme_id]))
