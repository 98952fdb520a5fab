from django.urls import path

from . import import_views as views

# Mounted at /customers/import/. One URL per kind and format (no free-form kwargs).
urlpatterns = [
    path("", views.import_home, name="import_home"),
    path("customers/", views.import_upload, {"kind": "customers"}, name="import_customers"),
    path("figures/", views.import_upload, {"kind": "figures"}, name="import_figures"),
    path("customers/template.csv", views.import_template,
         {"kind": "customers", "file_format": "csv"}, name="import_customers_template_csv"),
    path("customers/template.xlsx", views.import_template,
         {"kind": "customers", "file_format": "xlsx"}, name="import_customers_template_xlsx"),
    path("figures/template.csv", views.import_template,
         {"kind": "figures", "file_format": "csv"}, name="import_figures_template_csv"),
    path("figures/template.xlsx", views.import_template,
         {"kind": "figures", "file_format": "xlsx"}, name="import_figures_template_xlsx"),
    path("jobs/<int:pk>/", views.import_job, name="import_job"),
    path("jobs/<int:pk>/progress/", views.import_job_progress, name="import_job_progress"),
    path("jobs/<int:pk>/commit/", views.import_job_commit, name="import_job_commit"),
    path("jobs/<int:pk>/rescore/", views.import_job_rescore, name="import_job_rescore"),
]
