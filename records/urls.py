from django.urls import path

from . import views

urlpatterns = [
    path("", views.attachment_list, name="attachment_list"),
    path("upload/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
