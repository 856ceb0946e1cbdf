"""A password change ends the user's API tokens, as it ends their other sessions.

Django tells the password validators when a password has changed (``password_changed``, called
by ``User.save`` after ``set_password``: the password change page, the admin's, ``changepassword``)
and, unlike a signal on the user's row, not when it only re-hashes the same password at sign-in.
"""

from accounts.services import api_tokens_revoke_all


class ApiTokensEndWithThePassword:
    """Listed in ``AUTH_PASSWORD_VALIDATORS``: it refuses no password, and revokes the
    user's tokens when theirs changes."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            api_tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        # Shown beside the other rules on every password form: worth knowing before a change.
        return "A new password also revokes your API token."
