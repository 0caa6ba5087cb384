from django.contrib.auth import views as auth_views
from django.urls import path

from tsunagu.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("security/", views.security, name="security"),
    path("security/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("security/tokens/", views.token_issue, name="token_issue"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/unlock/", views.staff_unlock, name="staff_unlock"),
    path(
        "staff/<int:user_id>/two-factor-reset/",
        views.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
    path(
        "staff/<int:user_id>/logout-everywhere/",
        views.staff_logout_everywhere,
        name="staff_logout_everywhere",
    ),
    path("roster/", views.roster, name="roster"),
]
