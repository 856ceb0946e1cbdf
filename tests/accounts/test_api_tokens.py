"""A user's API token: they sign in for it, see when it expires, revoke it or make a new one
(on a page of the account menu, or through the API); it stops working when it expires and when
their password changes."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def works(key: str) -> bool:
    return with_token(key).get("/api/me/").status_code == 200


def sign_in_for_token(user) -> dict:
    answer = APIClient().post(
        "/api/auth/token/", {"username": user.username, "password": "s3cret-pass"}
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_password_change_revokes_every_token(editor, admin_user):
    key = sign_in_for_token(editor)["token"]
    assert works(key)
    # The user changes it, as Django's password forms do (the account's and the admin's).
    form = SetPasswordForm(
        editor, {"new_password1": "n3w-pass-phrase", "new_password2": "n3w-pass-phrase"}
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not works(key)
    assert not Token.objects.filter(user=editor).exists()
    # Another user's token is theirs still.
    other = Token.objects.create(user=admin_user)
    editor.set_password("again-n3w-pass")
    editor.save()
    assert works(other.key)


def test_signing_in_again_keeps_the_same_password_and_token(editor):
    # A re-hash of the same password at sign-in (a stronger hasher) is no password change.
    first = sign_in_for_token(editor)["token"]
    assert sign_in_for_token(editor)["token"] == first
    assert works(first)


def test_an_expired_token_is_refused(settings, editor):
    settings.JOURNEYBOARD_TOKEN_TTL_DAYS = 30
    signed_in = sign_in_for_token(editor)
    token = Token.objects.get(user=editor)
    assert signed_in["expires_at"] == (token.created + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=31))
    refused = with_token(token.key).get("/api/me/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert "expired" in refused.json()["detail"]
    # Signing in again gives a new token that works; the old one is gone.
    renewed = sign_in_for_token(editor)["token"]
    assert renewed != token.key and works(renewed) and not works(token.key)


def test_tokens_last_for_ever_when_the_setting_says_so(settings, editor):
    settings.JOURNEYBOARD_TOKEN_TTL_DAYS = 0
    token = Token.objects.create(user=editor)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=3650))
    assert works(token.key)
    assert with_token(token.key).get("/api/me/token/").json()["expires_at"] is None


def test_a_user_can_revoke_a_token(editor):
    key = sign_in_for_token(editor)["token"]
    api = with_token(key)
    seen = api.get("/api/me/token/")
    assert seen.status_code == 200
    assert set(seen.json()) == {"created", "expires_at"}  # never the key again
    assert api.delete("/api/me/token/").status_code == 204
    assert not works(key)
    session = APIClient()
    session.force_authenticate(editor)
    missing = session.get("/api/me/token/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    made = session.post("/api/me/token/")
    assert made.status_code == 201 and works(made.json()["token"])


def test_the_account_menu_leads_to_the_token_page_where_a_token_is_made_and_revoked(editor):
    browser = Client()
    browser.force_login(editor)
    menu = browser.get("/").content.decode()
    assert 'href="/accounts/token/"' in menu
    assert "You have no API token." in browser.get("/accounts/token/").content.decode()

    made = browser.post("/accounts/token/", {"action": "create"}).content.decode()
    key = re.search(r"data-token-key>([^<]+)<", made).group(1)
    assert works(key) and "Copy it now" in made
    # Later visits show when it was made and expires, never the key.
    later = browser.get("/accounts/token/").content.decode()
    assert key not in later and "Expires" in later

    revoked = browser.post("/accounts/token/", {"action": "revoke"}, follow=True)
    assert "Your API token is revoked" in revoked.content.decode()
    assert not works(key)


def test_the_token_page_is_for_signed_in_users():
    assert Client().get("/accounts/token/")["Location"].startswith("/accounts/login/")
