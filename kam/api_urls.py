"""The `/api/v1/` router: every API resource is registered here, in one place."""

from rest_framework.routers import DefaultRouter, Route

from accounts.api import MeViewSet
from customers.api import (
    AccountPlanViewSet,
    ContactViewSet,
    InitiativeViewSet,
    InteractionViewSet,
    PeriodFigureViewSet,
    RegionViewSet,
    ScoringPolicyViewSet,
    ScoringRunViewSet,
    ServiceStandardViewSet,
    TierAssessmentViewSet,
    TierOverrideViewSet,
)
from dashboards.api import CustomerViewSet, DashboardViewSet, HealthSnapshotViewSet
from integrations.api import WebhookDeliveryViewSet, WebhookViewSet
from integrations.idempotency import IdempotentViewMixin
from integrations.sync_api import DeletionViewSet
from notifications.api import NotificationViewSet
from projects.api import MilestoneViewSet, PpapElementViewSet, ProgrammeViewSet, RiskViewSet
from records.api import AttachmentViewSet
from satisfaction.api import (
    CampaignViewSet,
    InvitationViewSet,
    OplItemViewSet,
    OplProposalViewSet,
    QuestionViewSet,
    ResponseViewSet,
    SurveyTemplateViewSet,
    SurveyViewSet,
)
from teams.api import RecognitionViewSet, ReviewViewSet, TeamMemberViewSet, TeamViewSet


class Router(DefaultRouter):
    """Every viewset registered here runs its POSTs under their `Idempotency-Key`
    (integrations.idempotency), whichever base class it has."""

    def register(self, prefix, viewset, basename=None):
        keyed = type(viewset.__name__, (IdempotentViewMixin, viewset), {
            "__module__": viewset.__module__, "__qualname__": viewset.__qualname__,
            "__doc__": viewset.__doc__})
        super().register(prefix, keyed, basename)

    def get_routes(self, viewset):
        # A viewset of one object (`singleton = True`, e.g. `me/`): its GET at the prefix is
        # a retrieve (one object, operation `…_retrieve`), named like a list route so that
        # the API root lists it with the others.
        if getattr(viewset, "singleton", False):
            return [Route(url=r"^{prefix}{trailing_slash}$", mapping={"get": "retrieve"},
                          name="{basename}-list", detail=True, initkwargs={"suffix": "Instance"})]
        return super().get_routes(viewset)


router = Router()
router.register("me", MeViewSet, basename="me")
router.register("notifications", NotificationViewSet, basename="notification")
# customers
router.register("customers", CustomerViewSet, basename="customer")
router.register("customer-figures", PeriodFigureViewSet, basename="customer-figure")
router.register("scoring-runs", ScoringRunViewSet, basename="scoring-run")
router.register("tier-assessments", TierAssessmentViewSet, basename="tier-assessment")
router.register("tier-overrides", TierOverrideViewSet, basename="tier-override")
router.register("scoring-policies", ScoringPolicyViewSet, basename="scoring-policy")
router.register("regions", RegionViewSet, basename="region")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("service-standards", ServiceStandardViewSet, basename="service-standard")
router.register("account-plans", AccountPlanViewSet, basename="account-plan")
router.register("initiatives", InitiativeViewSet, basename="initiative")
# teams (`regions` is registered with the customers API above)
router.register("teams", TeamViewSet, basename="team")
router.register("team-members", TeamMemberViewSet, basename="team-member")
router.register("reviews", ReviewViewSet, basename="review")
router.register("recognitions", RecognitionViewSet, basename="recognition")
# programmes
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("risks", RiskViewSet, basename="risk")
router.register("ppap-elements", PpapElementViewSet, basename="ppap-element")
# satisfaction and the OPL
router.register("survey-templates", SurveyTemplateViewSet, basename="survey-template")
router.register("survey-questions", QuestionViewSet, basename="survey-question")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("responses", ResponseViewSet, basename="response")
router.register("opl-items", OplItemViewSet, basename="opl-item")
router.register("opl-proposals", OplProposalViewSet, basename="opl-proposal")

# records: files on the objects above (the one multipart upload of the API)
router.register("attachments", AttachmentViewSet, basename="attachment")

# integrations (webhook subscriptions and their delivery log)
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

# incremental sync: tombstones of deleted rows of the resources above
router.register("deletions", DeletionViewSet, basename="deletion")

# dashboards (the executive dashboard's figures; every user's own accounts)
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("health-snapshots", HealthSnapshotViewSet, basename="health-snapshot")

urlpatterns = router.urls
