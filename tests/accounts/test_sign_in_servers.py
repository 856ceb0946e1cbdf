"""Two server processes behind one address share the sign-in limiter's counts through Redis:
spreading guesses over them buys an attacker nothing."""

import json
import os
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection

from journeys.permissions import Role
from tests.factories import UserFactory
from tests.servers import Server, database_url, redis_available

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def two_servers(django_db_setup):
    if not redis_available(REDIS_URL):
        message = f"Redis is not reachable at {REDIS_URL}: shared counts need it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    limits = {
        # A prefix of this test's own: no other run's (or test's) counts.
        "JOURNEYBOARD_REDIS_PREFIX": f"jb-sign-in-{uuid.uuid4().hex}",
        "JOURNEYBOARD_SIGNIN_ACCOUNT_FAILURES": "3",
    }
    servers = [
        Server(
            database=database_url(connection.settings_dict), redis_url=REDIS_URL, extra_env=limits
        )
        for _ in range(2)
    ]
    yield servers
    for server in servers:
        server.stop()


def token_sign_in(server: Server, username: str, password: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.url}/api/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_wrong_passwords_counted_on_one_server_lock_the_account_on_the_other(two_servers, settings):
    # Hashed as the servers hash (the suite's fast hasher is the test runner's alone).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    first, second = two_servers
    user, bystander = UserFactory(role=Role.EDITOR), UserFactory(role=Role.EDITOR)
    assert token_sign_in(first, user.username, "guess")[0] == 400
    assert token_sign_in(second, user.username, "guess")[0] == 400
    assert token_sign_in(first, user.username, "guess")[0] == 400
    status, body = token_sign_in(second, user.username, "s3cret-pass")
    assert (status, body["code"]) == (429, "sign_in_locked")
    # The right password of an account nobody guessed at still works there.
    status, body = token_sign_in(second, bystander.username, "s3cret-pass")
    assert status == 200 and body["token"]
