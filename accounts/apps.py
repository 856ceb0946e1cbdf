from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in (behind the sign-in limiter) and each user's API token."""

    name = "accounts"
