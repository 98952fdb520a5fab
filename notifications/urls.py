from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("read/", views.mark_all_read, name="notifications_read_all"),
    path("settings/", views.notification_settings, name="notification_settings"),
    path("<int:pk>/open/", views.open_notification, name="notification_open"),
    path("<int:pk>/read/", views.mark_read, name="notification_read"),
]
