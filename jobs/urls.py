from django.urls import path

from . import views

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("run/", views.job_run_now, name="job_run_now"),
    path("runs/<int:pk>/", views.job_run, name="job_run"),
]
