"""How an API call signs in with a token (sessions sign in through Django's middleware).

Its own module: DRF loads the authentication classes while ``rest_framework.views`` is being
imported, so they cannot live beside anything that imports the views."""

from rest_framework import authentication, exceptions

from accounts.tokens import token_expired


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token sign-in (its one query), refusing a token past its expiry
    (``JOURNEYBOARD_TOKEN_TTL_DAYS``), which is read from the row DRF has already loaded."""

    def authenticate_credentials(self, key: str):
        user, token = super().authenticate_credentials(key)
        if token_expired(token.created):
            raise exceptions.AuthenticationFailed(
                "This token has expired: sign in again (or make a new one) for another."
            )
        return user, token
