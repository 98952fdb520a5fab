from django.urls import path

from . import views

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("mine/", views.my_teams, name="my_teams"),
    path("new/", views.team_create, name="team_create"),
    path("regions/", views.region_overview, name="region_overview"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("a-tier-gaps/", views.incomplete_a_tier, name="team_incomplete_a_tier"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review_edit"),
    path("coefficients/", views.coefficient_overview, name="team_coefficients"),
    path("recognitions/new/", views.recognition_add, name="recognition_add"),
    path("recognitions/<int:pk>/delete/", views.recognition_delete, name="recognition_delete"),
    path("<int:pk>/", views.team_detail, name="team_detail"),
    path("<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("<int:team_pk>/members/new/", views.member_add, name="member_add"),
    path("<int:team_pk>/members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:team_pk>/members/<int:pk>/end/", views.member_end, name="member_end"),
    path("<int:team_pk>/reviews/new/", views.review_add, name="review_add"),
]
