"""Every write to a user's API token: one function per user action, each in a transaction."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.tokens import token_expired


def api_token_for_sign_in(*, user) -> Token:
    """The token a sign-in through the API answers with: the user's own, or a new one when they
    have none or theirs has expired (scripts that sign in each run keep working)."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and not token_expired(token.created):
            return token
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def api_token_create(*, actor) -> Token:
    """A fresh token for the user, replacing (and so revoking) the one they had."""
    with transaction.atomic():
        Token.objects.filter(user=actor).delete()
        return Token.objects.create(user=actor)


def api_token_revoke(*, actor) -> bool:
    """The user's token stops working at once; False when they had none."""
    with transaction.atomic():
        deleted, _ = Token.objects.filter(user=actor).delete()
    return bool(deleted)


def api_tokens_revoke_all(*, user) -> None:
    """Every token of the user stops working: their password changed (``passwords``)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
