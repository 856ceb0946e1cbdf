"""Someone guesses passwords: after a few wrong ones the account (and, past more, the address
they come from) is locked for a while — on the sign-in page, the admin's and the API alike —
with one message whether or not the account exists, and an admin can let the account in again."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from accounts.signin import LOCKED_MESSAGE
from journeys.permissions import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.JOURNEYBOARD_SIGNIN_ACCOUNT_FAILURES = 3
    settings.JOURNEYBOARD_SIGNIN_CLIENT_FAILURES = 8
    settings.JOURNEYBOARD_SIGNIN_LOCKOUT_MINUTES = 15


def page_sign_in(client: Client, username: str, password: str, *, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def token_sign_in(username: str, password: str, **extra):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, **extra
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


LOCKED = LOCKED_MESSAGE.format(minutes=15)


def test_sign_in_is_locked_after_repeated_wrong_passwords(editor):
    client = Client()
    for _ in range(3):
        wrong = page_sign_in(client, editor.username, "guess")
        assert "Wrong user name or password." in wrong.content.decode()
    locked = page_sign_in(client, editor.username, RIGHT)
    assert locked.status_code == 200
    assert LOCKED in locked.content.decode()
    assert not signed_in(client)
    # From anywhere: the lock is the account's, not the browser's.
    assert LOCKED in page_sign_in(Client(), editor.username, RIGHT).content.decode()


def test_token_sign_in_is_locked_after_repeated_wrong_passwords(editor):
    for _ in range(3):
        wrong = token_sign_in(editor.username, "guess")
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid"
    locked = token_sign_in(editor.username, RIGHT)
    assert locked.status_code == 429
    assert locked.json() == {"code": "sign_in_locked", "detail": LOCKED}
    assert "token" not in locked.json()


def test_the_lockout_message_does_not_say_whether_the_account_exists(editor):
    for username in (editor.username, "nobody-by-this-name"):
        for _ in range(3):
            token_sign_in(username, "guess")
    known = token_sign_in(editor.username, "guess")
    unknown = token_sign_in("nobody-by-this-name", "guess")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    page = page_sign_in(Client(), "nobody-by-this-name", "guess").content.decode()
    assert LOCKED in page


def test_one_address_trying_many_accounts_is_locked_too(editor):
    # Three tries each on accounts that do not exist, from one address: 8 failures lock it.
    for n in range(8):
        token_sign_in(f"someone-{n // 3}", "guess")
    assert token_sign_in(editor.username, RIGHT).status_code == 429
    # Another address still signs the editor in: the editor's own count was never touched.
    other = token_sign_in(editor.username, RIGHT, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200 and other.json()["token"]


def test_a_right_password_before_the_limit_starts_the_count_again(editor):
    for _ in range(2):
        token_sign_in(editor.username, "guess")
    assert token_sign_in(editor.username, RIGHT).status_code == 200
    for _ in range(2):
        token_sign_in(editor.username, "guess")
    assert token_sign_in(editor.username, RIGHT).status_code == 200


@pytest.fixture
def staff_admin():
    # As seed_demo's admin: Django admin lets in staff only.
    return UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_the_admin_sign_in_page_is_locked_too(staff_admin):
    client = Client()
    for _ in range(3):
        page_sign_in(client, staff_admin.username, "guess", path="/admin/login/")
    locked = page_sign_in(client, staff_admin.username, RIGHT, path="/admin/login/")
    assert LOCKED in locked.content.decode()
    assert not signed_in(client)


def test_an_admin_unlocks_a_locked_account(editor, staff_admin):
    for _ in range(3):
        token_sign_in(editor.username, "guess")
    assert token_sign_in(editor.username, RIGHT).status_code == 429

    admin = Client()
    admin.force_login(staff_admin)
    done = admin.post(
        "/admin/auth/user/",
        {"action": "unlock_sign_in", "_selected_action": [editor.pk]},
        follow=True,
    )
    assert "1 account(s) may sign in again." in done.content.decode()
    assert token_sign_in(editor.username, RIGHT).status_code == 200


def test_token_sign_ins_are_throttled_per_client(settings, editor):
    settings.JOURNEYBOARD_SIGNIN_RATE = "3/min"
    answers = [token_sign_in(editor.username, RIGHT) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "throttled"
    assert int(answers[-1]["Retry-After"]) > 0


def test_an_inactive_account_gets_no_token():
    user = UserFactory(role=Role.EDITOR)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    refused = token_sign_in(user.username, RIGHT)
    assert refused.status_code == 400 and "token" not in refused.json()
