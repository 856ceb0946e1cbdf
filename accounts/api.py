"""API tokens over the API: sign in for one, see one's own, revoke it. Thin, like every view."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from accounts.signin import sign_in
from accounts.tokens import token_expires_at


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class ApiTokenSerializer(serializers.Serializer):
    """A token as its user sees it later: when it was made and when it stops working, never
    the key itself (shown once, when it is made)."""

    created = serializers.DateTimeField()
    expires_at = serializers.SerializerMethodField()

    def get_expires_at(self, token) -> str | None:
        expires_at = token_expires_at(token.created)
        return serializers.DateTimeField().to_representation(expires_at) if expires_at else None


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(source="key")


class SignInThrottle(SimpleRateThrottle):
    """Every token sign-in from one client address counts, good or bad (the ``sign-in`` rate):
    the limiter (``signin``) counts failures, this bounds the rate of tries of any kind."""

    scope = "sign-in"

    def get_rate(self) -> str:
        # Read per request, not once at import as DRF's DEFAULT_THROTTLE_RATES are.
        return settings.JOURNEYBOARD_SIGNIN_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@extend_schema(
    request=SignInSerializer,
    responses={200: NewApiTokenSerializer},
    summary="Sign in for an API token (send it as `Authorization: Token …`)",
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([SignInThrottle])
def token_sign_in(request: Request) -> Response:
    data = SignInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = sign_in(request._request, **data.validated_data)
    if user is None or not user.is_active:
        raise serializers.ValidationError({"non_field_errors": ["Wrong user name or password."]})
    token = services.api_token_for_sign_in(user=user)
    return Response(NewApiTokenSerializer(token).data)


@extend_schema(methods=["GET"], responses=ApiTokenSerializer, summary="Your API token")
@extend_schema(
    methods=["POST"],
    request=None,
    responses={201: NewApiTokenSerializer},
    summary="A new API token, replacing (and revoking) yours",
)
@extend_schema(methods=["DELETE"], request=None, responses={204: None}, summary="Revoke it")
@api_view(["GET", "POST", "DELETE"])
def my_token(request: Request) -> Response:
    """The signed-in user's API token (one at a time): see it, replace it, revoke it."""
    if request.method == "POST":
        token = services.api_token_create(actor=request.user)
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)
    if request.method == "DELETE":
        if not services.api_token_revoke(actor=request.user):
            raise NotFound("You have no API token.")
        return Response(status=status.HTTP_204_NO_CONTENT)
    token = Token.objects.filter(user=request.user).first()
    if token is None:
        raise NotFound("You have no API token.")
    return Response(ApiTokenSerializer(token).data)
