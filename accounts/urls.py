from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("workspace/switch/", views.switch_tenant, name="switch_tenant"),
    path("workspace/settings/", views.tenant_settings, name="tenant_settings"),
    path("workspace/members/", views.member_list, name="member_list"),
    path("workspace/members/add/", views.member_add, name="member_add"),
    path("workspace/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("workspace/tokens/", views.token_list, name="token_list"),
    path("workspace/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
