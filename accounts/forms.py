"""The sign-in forms of the product and of its admin, both behind the sign-in limiter."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.exceptions import SignInLocked
from accounts.signin import sign_in


class LimitedSignIn:
    """Django's sign-in form check, with ``sign_in`` in place of a bare ``authenticate``."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = sign_in(self.request, username=username, password=password)
            except SignInLocked as locked:
                raise forms.ValidationError(locked.message, code="locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class SignInForm(LimitedSignIn, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong user name or password.",
    }


class AdminSignInForm(LimitedSignIn, AdminAuthenticationForm):
    pass
