"""The `/api/v1/` router: every API resource is registered here, in one place."""

from rest_framework.routers import DefaultRouter

from accounts.api import MeViewSet
from notifications.api import NotificationViewSet

router = DefaultRouter()
router.register("me", MeViewSet, basename="me")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
