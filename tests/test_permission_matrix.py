"""Who may call what: every endpoint × anonymous, viewer, editor, admin and an outsider.

The journey under test is restricted; the viewer and the editor are its collaborators, the
outsider is an editor who is not, so for the outsider the map and its items do not exist.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from feedback.models import ImportRun
from journeys import services
from journeys.permissions import Role
from tests.factories import (
    CardFactory,
    EmotionFactory,
    JourneyFactory,
    LaneFactory,
    OpportunityFactory,
    PersonaFactory,
    PersonaGroupFactory,
    PhaseFactory,
    SurveySourceFactory,
    TouchpointFactory,
    UserFactory,
)

ROLES = ("anonymous", "viewer", "editor", "admin", "outsider")


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, int]


@pytest.fixture
def world(db) -> World:
    owner = UserFactory(username="owner", role=Role.EDITOR)
    users = {
        "anonymous": None,
        "viewer": UserFactory(username="viewer", role=Role.VIEWER),
        "editor": UserFactory(username="editor", role=Role.EDITOR),
        "admin": UserFactory(username="admin", role=Role.ADMIN),
        "outsider": UserFactory(username="outsider", role=Role.EDITOR),
    }
    journey = JourneyFactory(owner=owner, is_restricted=True)
    journey.collaborators.set([users["viewer"], users["editor"]])
    phase = PhaseFactory(journey=journey)
    empty_phase = PhaseFactory(journey=journey)
    lane = LaneFactory(journey=journey)
    empty_lane = LaneFactory(journey=journey)
    ids = {
        "journey": journey.pk,
        "phase": phase.pk,
        "empty_phase": empty_phase.pk,
        "lane": lane.pk,
        "empty_lane": empty_lane.pk,
        "card": CardFactory(journey=journey, phase=phase, lane=lane).pk,
        "touchpoint": TouchpointFactory(journey=journey, phase=phase).pk,
        "emotion": EmotionFactory(journey=journey, phase=phase).pk,
        "opportunity": OpportunityFactory(journey=journey, phase=phase).pk,
        "persona": PersonaFactory().pk,
        "group": PersonaGroupFactory().pk,
        "share_link": services.share_link_create(actor=owner, journey_id=journey.pk).pk,
        "survey_source": (source := SurveySourceFactory(journey=journey)).pk,
        "import_run": ImportRun.objects.create(source=source, state="succeeded").pk,
        "draft_run": _draft_run(source).pk,
    }
    return World(users=users, ids=ids)


def _draft_run(source) -> ImportRun:
    """An import wizard's draft: its file kept, nothing queued."""
    draft = ImportRun(source=source, state=ImportRun.State.DRAFT, upload_name="draft.csv")
    draft.upload.save(
        "draft.csv", ContentFile(b"response_id,submitted_at,nps\nr1,2024-05-01,9\n"), save=False
    )
    draft.save()
    return draft


# The smallest map file an import accepts.
MINIMAL_MAP = {
    "format": "journeyboard.map",
    "schema_version": 1,
    "journey": {"title": "Imported"},
    "phases": [{"key": "P1", "name": "Ask"}],
    "lanes": [{"key": "L1", "name": "Actions", "kind": "actions"}],
    "cards": [{"phase": "P1", "lane": "L1", "text": "Calls"}],
    "touchpoints": [],
    "emotions": [],
    "opportunities": [],
}

# (name, method, url, body, kind, status on success). Kinds decide who gets what.
ENDPOINTS = [
    ("journey list", "get", "/api/journeys/", None, "list", 200),
    ("journey templates", "get", "/api/journeys/templates/", None, "list", 200),
    ("journey map", "get", "/api/journeys/{journey}/", None, "read", 200),
    ("journey events", "get", "/api/journeys/{journey}/events/?after=0", None, "read", 200),
    ("journey create", "post", "/api/journeys/", {"title": "New"}, "create_journey", 201),
    (
        "journey update",
        "patch",
        "/api/journeys/{journey}/",
        {"title": "T", "version": 1},
        "write",
        200,
    ),
    ("journey delete", "delete", "/api/journeys/{journey}/", None, "manage", 204),
    ("phase list", "get", "/api/phases/?journey={journey}", None, "list", 200),
    ("phase read", "get", "/api/phases/{phase}/", None, "read", 200),
    ("phase create", "post", "/api/phases/", {"journey": "{journey}", "name": "New"}, "write", 201),
    ("phase update", "patch", "/api/phases/{phase}/", {"name": "N", "version": 1}, "write", 200),
    ("phase move", "post", "/api/phases/{phase}/move/", {"index": 1}, "write", 200),
    ("phase delete", "delete", "/api/phases/{empty_phase}/", None, "write", 204),
    ("lane list", "get", "/api/lanes/?journey={journey}", None, "list", 200),
    ("lane read", "get", "/api/lanes/{lane}/", None, "read", 200),
    (
        "lane create",
        "post",
        "/api/lanes/",
        {"journey": "{journey}", "name": "New", "kind": "notes"},
        "write",
        201,
    ),
    ("lane update", "patch", "/api/lanes/{lane}/", {"name": "N", "version": 1}, "write", 200),
    ("lane move", "post", "/api/lanes/{lane}/move/", {"index": 1}, "write", 200),
    ("lane delete", "delete", "/api/lanes/{empty_lane}/", None, "write", 204),
    ("card list", "get", "/api/cards/?journey={journey}", None, "list", 200),
    ("card read", "get", "/api/cards/{card}/", None, "read", 200),
    (
        "card create",
        "post",
        "/api/cards/",
        {"journey": "{journey}", "phase": "{phase}", "lane": "{lane}", "text": "Hi"},
        "write",
        201,
    ),
    ("card update", "patch", "/api/cards/{card}/", {"text": "N", "version": 1}, "write", 200),
    (
        "card move",
        "post",
        "/api/cards/{card}/move/",
        {"index": 0, "phase": "{empty_phase}"},
        "write",
        200,
    ),
    ("card delete", "delete", "/api/cards/{card}/", None, "write", 204),
    ("emotion list", "get", "/api/emotions/?journey={journey}", None, "list", 200),
    ("emotion read", "get", "/api/emotions/{emotion}/", None, "read", 200),
    (
        "emotion create",
        "post",
        "/api/emotions/",
        {"journey": "{journey}", "phase": "{empty_phase}", "score": -2},
        "write",
        201,
    ),
    (
        "emotion update",
        "patch",
        "/api/emotions/{emotion}/",
        {"score": 3, "version": 1},
        "write",
        200,
    ),
    ("emotion delete", "delete", "/api/emotions/{emotion}/", None, "write", 204),
    ("touchpoint list", "get", "/api/touchpoints/?journey={journey}", None, "list", 200),
    ("touchpoint read", "get", "/api/touchpoints/{touchpoint}/", None, "read", 200),
    (
        "touchpoint create",
        "post",
        "/api/touchpoints/",
        {
            "journey": "{journey}",
            "phase": "{phase}",
            "lane": "{lane}",
            "name": "Chat",
            "channel": "chat",
        },
        "write",
        201,
    ),
    (
        "touchpoint update",
        "patch",
        "/api/touchpoints/{touchpoint}/",
        {"name": "N", "version": 1},
        "write",
        200,
    ),
    ("touchpoint move", "post", "/api/touchpoints/{touchpoint}/move/", {"index": 0}, "write", 200),
    ("touchpoint delete", "delete", "/api/touchpoints/{touchpoint}/", None, "write", 204),
    ("opportunity list", "get", "/api/opportunities/?journey={journey}", None, "list", 200),
    ("opportunity read", "get", "/api/opportunities/{opportunity}/", None, "read", 200),
    (
        "opportunity create",
        "post",
        "/api/opportunities/",
        {"journey": "{journey}", "phase": "{phase}", "title": "Idea"},
        "write",
        201,
    ),
    (
        "opportunity update",
        "patch",
        "/api/opportunities/{opportunity}/",
        {"impact": 5, "version": 1},
        "write",
        200,
    ),
    (
        "opportunity move",
        "post",
        "/api/opportunities/{opportunity}/move/",
        {"index": 0},
        "write",
        200,
    ),
    ("opportunity delete", "delete", "/api/opportunities/{opportunity}/", None, "write", 204),
    ("persona list", "get", "/api/personas/", None, "list", 200),
    ("persona read", "get", "/api/personas/{persona}/", None, "library_read", 200),
    ("persona create", "post", "/api/personas/", {"name": "Pat"}, "library_add", 201),
    (
        "persona update",
        "patch",
        "/api/personas/{persona}/",
        {"quote": "Hi", "version": 1},
        "library_write",
        200,
    ),
    ("persona delete", "delete", "/api/personas/{persona}/", None, "library_write", 204),
    ("persona group list", "get", "/api/persona-groups/", None, "list", 200),
    ("persona group read", "get", "/api/persona-groups/{group}/", None, "library_read", 200),
    ("persona group create", "post", "/api/persona-groups/", {"name": "New"}, "library_add", 201),
    (
        "persona group update",
        "patch",
        "/api/persona-groups/{group}/",
        {"name": "N", "version": 1},
        "library_write",
        200,
    ),
    ("persona group delete", "delete", "/api/persona-groups/{group}/", None, "library_write", 204),
    # Sharing a restricted map outside the team is its owner's (or an admin's) call.
    ("share links", "get", "/api/journeys/{journey}/share-links/", None, "manage", 200),
    ("share link create", "post", "/api/journeys/{journey}/share-links/", {}, "manage", 201),
    ("share link revoke", "post", "/api/share-links/{share_link}/revoke/", None, "manage", 200),
    ("journey export json", "get", "/api/journeys/{journey}/export/", None, "read", 200),
    ("journey export pdf", "get", "/api/journeys/{journey}/export/?format=pdf", None, "read", 200),
    ("journey import", "post", "/api/journeys/import/", MINIMAL_MAP, "create_journey", 201),
    ("me", "get", "/api/me/", None, "list", 200),
    ("portfolio", "get", "/api/dashboards/portfolio/", None, "list", 200),
    ("journey dashboard", "get", "/api/journeys/{journey}/dashboard/", None, "read", 200),
    # Survey data is read by whoever sees the map (the same rule as its metrics).
    (
        "survey responses csv",
        "get",
        "/api/survey-sources/{survey_source}/responses.csv/",
        None,
        "read",
        200,
    ),
    ("survey source kinds", "get", "/api/survey-sources/kinds/", None, "list", 200),
    ("import run errors csv", "get", "/api/import-runs/{import_run}/errors/", None, "read", 200),
    (
        "survey template csv",
        "get",
        "/api/journeys/{journey}/survey-template.csv",
        None,
        "read",
        200,
    ),
    # The import wizard is for those who may import into the map.
    (
        "survey source import settings",
        "patch",
        "/api/survey-sources/{survey_source}/",
        {"import_settings": {"date_format": "day_first"}},
        "write",
        200,
    ),
    ("import draft preview", "get", "/api/import-runs/{draft_run}/preview/", None, "write", 200),
    ("import draft dry run", "post", "/api/import-runs/{draft_run}/dry-run/", None, "write", 202),
    ("import draft start", "post", "/api/import-runs/{draft_run}/start/", None, "write", 202),
    # The unmatched queue: read like the map's metrics, changed by its editors.
    ("unmatched queue", "get", "/api/journeys/{journey}/unmatched/", None, "read", 200),
    (
        "unmatched map",
        "post",
        "/api/journeys/{journey}/unmatched/map/",
        {"source": "{survey_source}", "match_key": "111", "touchpoint": "{touchpoint}"},
        "write",
        200,
    ),
    (
        "unmatched ignore",
        "post",
        "/api/journeys/{journey}/unmatched/ignore/",
        {"source": "{survey_source}", "match_key": "111", "ignored": True},
        "write",
        200,
    ),
    # For signed-in users unless JOURNEYBOARD_API_DOCS_PUBLIC; the docs page sends a browser
    # that is not signed in to the sign-in page.
    ("schema", "get", "/api/schema/", None, "list", 200),
    ("docs", "get", "/api/docs/", None, "docs", 200),
]


def expected_status(role: str, kind: str, success: int) -> int:
    if role == "anonymous" and kind == "docs":
        return 302
    if role == "anonymous" and kind != "public":
        return 401
    if kind in ("public", "list", "library_read", "docs"):
        return success
    if kind == "read":
        return 404 if role == "outsider" else success
    if kind == "create_journey":
        return 403 if role == "viewer" else success
    if kind == "write":
        return {"viewer": 403, "outsider": 404}.get(role, success)
    if kind == "manage":  # the journey's owner (not one of these) or an admin
        return {"viewer": 403, "outsider": 404, "editor": 403}.get(role, success)
    if kind == "library_add":  # editors add to the persona library; admins curate it
        return 403 if role == "viewer" else success
    if kind == "library_write":
        return success if role == "admin" else 403
    raise AssertionError(kind)


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "url", "body", "kind", "success"),
    [pytest.param(*e[1:], id=e[0]) for e in ENDPOINTS],
)
def test_permission_matrix(world, role, method, url, body, kind, success):
    client = APIClient()
    if world.users[role] is not None:
        client.force_authenticate(world.users[role])
    response = getattr(client, method)(_fill(url, world.ids), _fill(body, world.ids), format="json")
    assert response.status_code == expected_status(role, kind, success), response.content[:300]


@pytest.mark.parametrize(
    "kind", ["phases", "lanes", "cards", "emotions", "touchpoints", "opportunities"]
)
def test_an_outsider_lists_nothing_of_a_restricted_journey(world, kind):
    client = APIClient()
    client.force_authenticate(world.users["outsider"])
    assert client.get(f"/api/{kind}/", {"journey": world.ids["journey"]}).json()["count"] == 0
    client.force_authenticate(world.users["viewer"])
    assert client.get(f"/api/{kind}/", {"journey": world.ids["journey"]}).json()["count"] >= 1


def test_an_outsider_does_not_see_a_restricted_journey_in_the_list(world):
    client = APIClient()
    client.force_authenticate(world.users["outsider"])
    assert world.ids["journey"] not in [
        j["id"] for j in client.get("/api/journeys/").json()["results"]
    ]


# Pages (session sign-in): (name, url, kind) — anonymous visitors are sent to sign in.
PAGES = [
    ("portfolio page", "/dashboards/", "list"),
    ("journey dashboard page", "/journeys/{journey}/dashboard/", "read"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "kind"), [pytest.param(*p[1:], id=p[0]) for p in PAGES])
def test_page_permission_matrix(world, client, role, url, kind):
    if world.users[role] is not None:
        client.force_login(world.users[role])
    response = client.get(_fill(url, world.ids))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected_status(role, kind, 200)
