from django.urls import path

from . import views

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("new/", views.programme_create, name="programme_create"),
    path("timeline/", views.portfolio, name="programme_portfolio"),
    path("template/", views.template_edit, name="programme_template"),
    path("<int:pk>/", views.programme_detail, name="programme_detail"),
    path("<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    # Records of a programme; each object is looked up inside its programme.
    path("<int:programme_pk>/milestones/new/", views.milestone_add, name="milestone_add"),
    path("<int:programme_pk>/milestones/redate/", views.milestone_redate,
         name="milestone_redate"),
    path("<int:programme_pk>/milestones/<int:pk>/", views.milestone_edit,
         name="milestone_edit"),
    path("<int:programme_pk>/milestones/<int:pk>/delete/", views.milestone_delete,
         name="milestone_delete"),
    path("<int:programme_pk>/risks/new/", views.risk_add, name="risk_add"),
    path("<int:programme_pk>/risks/<int:pk>/", views.risk_edit, name="risk_edit"),
    path("<int:programme_pk>/ppap/", views.ppap_edit, name="ppap_edit"),
]
