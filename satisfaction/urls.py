from django.urls import path

from . import public_views, views

urlpatterns = [
    path("", views.campaign_list, name="satisfaction_home"),
    path("settings/", views.satisfaction_settings, name="satisfaction_settings"),
    # Survey templates and their questions.
    path("templates/", views.template_list, name="survey_template_list"),
    path("templates/new/", views.template_create, name="survey_template_create"),
    path("templates/default/", views.template_default, name="survey_template_default"),
    path("templates/<int:pk>/", views.template_detail, name="survey_template_detail"),
    path("templates/<int:pk>/edit/", views.template_edit, name="survey_template_edit"),
    path("templates/<int:template_pk>/questions/new/", views.question_add,
         name="survey_question_add"),
    path("templates/<int:template_pk>/questions/<int:pk>/edit/", views.question_edit,
         name="survey_question_edit"),
    # Quarterly campaigns.
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/import/", views.campaign_import, name="campaign_import"),
    path("campaigns/<int:pk>/import/template/", views.campaign_import_template,
         name="campaign_import_template"),
    # Surveys: answers, invitation links, staff entry.
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/enter/", views.survey_enter, name="survey_enter"),
    path("surveys/<int:survey_pk>/invitations/<int:pk>/link/", views.invitation_link,
         name="invitation_link"),
    # Reports.
    path("reports/", views.portfolio_report, name="satisfaction_portfolio"),
    path("reports/customers/<int:customer_pk>/", views.customer_report,
         name="satisfaction_customer_report"),
    # The OPL.
    path("opl/", views.opl_list, name="opl_list"),
    path("opl/mine/", views.opl_mine, name="opl_mine"),
    path("opl/new/", views.opl_create, name="opl_create"),
    path("opl/proposals/", views.proposal_list, name="opl_proposals"),
    path("opl/proposals/<int:pk>/accept/", views.proposal_accept, name="opl_proposal_accept"),
    path("opl/proposals/<int:pk>/dismiss/", views.proposal_dismiss,
         name="opl_proposal_dismiss"),
    path("opl/<int:pk>/", views.opl_detail, name="opl_detail"),
    path("opl/<int:pk>/edit/", views.opl_edit, name="opl_edit"),
    path("opl/<int:pk>/update/", views.opl_update, name="opl_update"),
    # The respondent's page: no login; the token is not an object id.
    path("r/<str:token>/", public_views.respond, name="survey_respond"),
]
