from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from dashboards import views as dashboard_views

from . import views

handler404 = "kam.views.page_not_found"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The language switch saves the pick on the account too (before Django's own URL).
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("platform-admin/", admin.site.urls),
    path("api/v1/", include("kam.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a request of its own, not
    # inline: the Content-Security-Policy runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
    path("notifications/", include("notifications.urls")),
    path("customers/", include("dashboards.account_urls")),
    path("customers/", include("customers.urls")),
    path("teams/", include("teams.urls")),
    path("programmes/", include("projects.urls")),
    path("satisfaction/", include("satisfaction.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("jobs/", include("jobs.urls")),
    path("workspace/webhooks/", include("integrations.urls")),
    path("reports/", include("dashboards.report_urls")),
    path("attachments/", include("records.urls")),
    path("", dashboard_views.home, name="home"),
    path("", include("accounts.urls")),
]
# No URL serves MEDIA_ROOT, in development either: uploaded files (attachments) leave only
# through their authorised views (records.views, records.api).
