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
        register_attachments()


def register_attachments():
    """What customers' rows may carry files (records.attachments): interactions (minutes,
    presentations) and account plans; read by every reader, changed by the account's team."""
    from django.urls import reverse

    from accounts import roles
    from records import attachments

    from .models import AccountPlan, Interaction

    def can_view(request, obj):
        return roles.allows(request.role, "read")

    def can_edit(request, obj):
        return roles.can_edit_account(request, None, obj.customer)

    attachments.register("interaction", Interaction, label=_("Interaction"),
                         can_view=can_view, can_edit=can_edit, select_related=["customer"],
                         url=lambda obj: reverse("customer_detail", args=[obj.customer_id]))
    attachments.register("account-plan", AccountPlan, label=_("Account plan"),
                         can_view=can_view, can_edit=can_edit, select_related=["customer"],
                         url=lambda obj: reverse("customer_detail", args=[obj.customer_id]))
