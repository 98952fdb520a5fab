from django.urls import path

from kam.imports import kinds

from . import import_views as views


def _kind_urls():
    """One upload page and two templates per registered kind (the apps registered theirs
    at start-up, before the URLs load): fixed URLs, no free-form kwargs."""
    for kind in kinds.all_kinds():
        yield path(f"{kind.name}/", views.import_upload, {"kind": kind.name},
                   name=f"import_{kind.name}")
        for file_format in ("csv", "xlsx"):
            yield path(f"{kind.name}/template.{file_format}", views.import_template,
                       {"kind": kind.name, "file_format": file_format},
                       name=f"import_{kind.name}_template_{file_format}")


# Mounted at /customers/import/.
urlpatterns = [
    path("", views.import_home, name="import_home"),
    *_kind_urls(),
    path("jobs/<int:pk>/", views.import_job, name="import_job"),
    path("jobs/<int:pk>/progress/", views.import_job_progress, name="import_job_progress"),
    path("jobs/<int:pk>/commit/", views.import_job_commit, name="import_job_commit"),
    path("jobs/<int:pk>/rescore/", views.import_job_rescore, name="import_job_rescore"),
]
