from django.urls import path

from . import exports, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("pdf/", exports.dashboard_pdf, name="dashboard_pdf"),
]
