from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import api, pages
from accounts.forms import SignInForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", pages.api_token_page, name="api-token-page"),
    path("api/auth/token/", api.token_sign_in, name="api-token"),
    path("api/me/token/", api.my_token, name="my-api-token"),
]
