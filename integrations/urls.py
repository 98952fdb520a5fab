from django.urls import path

from . import views

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("new/", views.webhook_create, name="webhook_create"),
    path("<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("<int:pk>/active/", views.webhook_set_active, name="webhook_set_active"),
    path("<int:pk>/rotate-secret/", views.webhook_rotate_secret, name="webhook_rotate_secret"),
    path("<int:pk>/test/", views.webhook_send_test, name="webhook_send_test"),
    path("<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="webhook_delivery_replay"),
]
