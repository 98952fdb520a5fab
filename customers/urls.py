from django.urls import include, path

urlpatterns = [
    path("import/", include("customers.import_urls")),
]
