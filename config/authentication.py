"""How an API call signs in with a token (sessions sign in through Django's middleware).

Its own module: DRF loads the authentication classes while ``rest_framework.views`` is being
imported, so they cannot live beside anything that imports the views."""

from rest_framework import authentication, exceptions

from accounts.tokens import token_expired
from journeys.permissions import role_annotations, role_from_annotations


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token sign-in, reading the user's role in the same query: every API call checks the
    role (``journeys.permissions``), which would otherwise cost a query of its own."""

    def authenticate_credentials(self, key: str):
        token = (
            self.get_model()
            .objects.select_related("user")
            .annotate(**role_annotations(user="user_id"))
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token_expired(token.created):
            raise exceptions.AuthenticationFailed(
                "This token has expired: sign in again (or make a new one) for another."
            )
        role_from_annotations(token.user, read_on=token)
        return token.user, token
