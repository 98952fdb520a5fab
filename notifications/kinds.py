"""The kinds of notification the jobs send, with the label a user sees when choosing
which of them also come by e-mail (`NotificationPreference`)."""

from django.utils.translation import gettext_lazy as _

KINDS = {
    "tier_change": _("A customer of yours changed tier"),
    "tier_changes": _("Tier changes after the nightly re-scoring (executives)"),
    "milestone_due": _("A milestone of yours is due within 7 days"),
    "milestone_overdue": _("A milestone of yours is overdue"),
    "programme_escalation": _("A programme of your region has been red for too long"),
    "opl_overdue": _("An OPL item you own or answer for is overdue"),
    "opl_chase": _("Fortnightly chase of stale and overdue OPL items"),
    "cadence_overdue": _("A visit or review is overdue under the service standards"),
    "campaign": _("Satisfaction campaigns opened and invitations that could not be sent"),
    "invitation_chase": _("Weekly list of unanswered survey invitations"),
    "management_report": _("The monthly management report (executives)"),
    "webhook_disabled": _("A webhook was switched off after repeated failed deliveries "
                          "(admins)"),
}


def label(kind):
    return KINDS.get(kind, kind)
