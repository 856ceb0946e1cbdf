import os
import uuid

import pytest
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Journey, Lane, Phase
from journeys.permissions import Role
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Close PostgreSQL's connection pool before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        # Every alias, not only those this thread used: a run of async tests may have used the
        # database only from request threads, whose connections the same pool holds.
        for connection in connections.all():
            if connection.alias in getattr(type(connection), "_connection_pools", {}):
                connection.close_pool()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A channel layer of the test's own. Every async test runs on an event loop of its own,
    and a Redis layer's receive state belongs to the loop that first received on it: a
    consumer a test leaves receiving would break the next test's sockets."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A cache of the test's own (on Redis, keys under a prefix of its own): the sign-in
    limiter's and the throttles' counts of one test never lock another test out."""
    own = uuid.uuid4().hex
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-{own}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is Django's business; tests only need passwords that check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada-admin", role=Role.ADMIN)


@pytest.fixture
def editor(db):
    return UserFactory(username="eddie-editor", role=Role.EDITOR)


@pytest.fixture
def other_editor(db):
    return UserFactory(username="olga-editor", role=Role.EDITOR)


@pytest.fixture
def viewer(db):
    return UserFactory(username="vera-viewer", role=Role.VIEWER)


@pytest.fixture
def client_for():
    """An API client signed in as the given user (anonymous for None)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


class MapFixture:
    """A five-phase journey with handy lookups of its phases and lanes by name or kind."""

    def __init__(self, journey: Journey) -> None:
        self.journey = journey
        self.phases = list(Phase.objects.filter(journey=journey).order_by("position"))
        self.lanes = list(Lane.objects.filter(journey=journey).order_by("position"))

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)

    def lane(self, kind: str) -> Lane:
        return next(lane for lane in self.lanes if lane.kind == kind)

    @property
    def actions(self) -> Lane:
        return self.lane(Lane.Kind.ACTIONS)

    def add_card(self, actor, text: str, phase: Phase | None = None):
        """A card in the actions lane (of the first phase unless told), through the service."""
        return services.card_create(
            actor=actor,
            journey_id=self.journey.pk,
            phase_id=(phase or self.phases[0]).pk,
            lane_id=self.actions.pk,
            text=text,
        )


@pytest.fixture
def five_phase_map(editor) -> MapFixture:
    journey = services.journey_create(actor=editor, title="Buying a bike", template="five_phase")
    return MapFixture(journey)


# --- Browser tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    # Per module: Playwright's event loop must be gone before async tests (WebSockets) run.
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """Journeyboard on uvicorn — HTTP and WebSocket — sharing the test database."""
    from django.conf import settings
    from django.db import connection

    from tests.servers import Server, database_url

    server = Server(
        database=database_url(connection.settings_dict), redis_url=settings.REDIS_URL or None
    )
    yield server
    server.stop()


@pytest.fixture
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker on the test database and the same broker the server enqueues to.

    Per test: a worker left running would take the tasks of tests that run their own."""
    from django.conf import settings
    from django.db import connection

    from tests.servers import CeleryWorker, database_url

    worker = CeleryWorker(
        database=database_url(connection.settings_dict), redis_url=settings.REDIS_URL or None
    )
    yield worker
    worker.stop()


@pytest.fixture
def web(asgi_server, transactional_db):
    """The browser tests' server: a real ASGI server (pytest-django's live_server is WSGI)."""
    return asgi_server


@pytest.fixture
def page_for(chromium, web):
    """A browser tab signed in as the given user, at 1280×800, failing the test on JS errors."""
    from django.conf import settings
    from django.test import Client

    contexts, errors = [], []

    def open_page(user):
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=web.url)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": cookie.value,
                        "url": web.url,
                    }
                ]
            )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
