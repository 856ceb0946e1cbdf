import pytest
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Journey, Lane, Phase
from journeys.permissions import Role
from tests.factories import UserFactory


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


@pytest.fixture
def five_phase_map(editor) -> MapFixture:
    journey = services.journey_create(actor=editor, title="Buying a bike", template="five_phase")
    return MapFixture(journey)
