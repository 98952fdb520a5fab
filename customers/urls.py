from django.urls import include, path

from .views import customers, portfolio, records

urlpatterns = [
    path("new/", customers.customer_create, name="customer_create"),
    path("<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("<int:pk>/tier-override/", customers.override_set, name="override_set"),
    path("<int:pk>/tier-override/end/", customers.override_end, name="override_end"),
    # Records kept on a customer; each object is looked up inside its customer.
    path("<int:customer_pk>/figures/new/", records.figure_add, name="figure_add"),
    path("<int:customer_pk>/figures/<int:pk>/edit/", records.figure_edit, name="figure_edit"),
    path("<int:customer_pk>/contacts/new/", records.contact_add, name="contact_add"),
    path("<int:customer_pk>/contacts/<int:pk>/edit/", records.contact_edit,
         name="contact_edit"),
    path("<int:customer_pk>/interactions/new/", records.interaction_add,
         name="interaction_add"),
    path("<int:customer_pk>/plans/new/", records.plan_add, name="plan_add"),
    path("<int:customer_pk>/plans/<int:pk>/edit/", records.plan_edit, name="plan_edit"),
    path("<int:customer_pk>/plans/<int:pk>/initiatives/new/", records.initiative_add,
         name="initiative_add"),
    path("<int:customer_pk>/initiatives/<int:pk>/edit/", records.initiative_edit,
         name="initiative_edit"),
    # Scoring, concentration and service standards.
    path("scoring/", portfolio.scoring_policy, name="scoring_policy"),
    path("scoring/policy/edit/", portfolio.scoring_policy_edit, name="scoring_policy_edit"),
    path("scoring/run/", portfolio.scoring_run_start, name="scoring_run_start"),
    path("scoring/runs/", portfolio.scoring_runs, name="scoring_runs"),
    path("scoring/runs/<int:pk>/", portfolio.scoring_run, name="scoring_run"),
    path("scoring/without-tier/", portfolio.scoring_unscored, name="scoring_unscored"),
    path("scoring/concentration/", portfolio.scoring_concentration,
         name="scoring_concentration"),
    path("scoring/service-standards/", portfolio.scoring_standards, name="scoring_standards"),
    path("import/", include("customers.import_urls")),
]
