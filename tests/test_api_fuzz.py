"""The whole API fuzzed against its own OpenAPI schema by schemathesis, on a live server.

Every operation of ``/api/schema/`` gets a bounded number of generated requests (valid and
invalid), as an admin and as a viewer signed in with a token, against a seeded map; no answer
may be a server error, and every answer must be one the schema describes (status, content
type, headers, body). Generation is derandomized (the same cases every run, no example
database), so a failure here reproduces with the same command.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from feedback.models import SurveySource
from journeys import services
from journeys.models import Lane
from journeys.permissions import Role
from personas.models import PersonaGroup
from tests.factories import PersonaFactory, SurveySourceFactory, UserFactory
from tests.servers import Server, database_url
from touchpoints import services as touchpoint_services

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# Small enough for a few minutes on a loaded two-core machine, as both roles, on both databases.
MAX_EXAMPLES = int(os.environ.get("JOURNEYBOARD_FUZZ_EXAMPLES", "20"))
# The coverage phase (every boundary of every parameter) is unbounded by MAX_EXAMPLES: 8,000
# cases and 15 minutes per role here. Ask for it when hunting: JOURNEYBOARD_FUZZ_PHASES.
PHASES = os.environ.get("JOURNEYBOARD_FUZZ_PHASES", "examples,fuzzing")


def _seeded_map(admin) -> list[int]:
    """A journey with everything the API can name: the ids the fuzzer should aim at."""
    group = PersonaGroup.objects.create(name="Commuters")
    persona = PersonaFactory(group=group)
    journey = services.journey_create(
        actor=admin, title="Buying a bike", template="five_phase", persona_id=persona.pk
    )
    phases = list(journey.phases.order_by("position"))
    lanes = {lane.kind: lane for lane in journey.lanes.all()}
    cards = [
        services.card_create(
            actor=admin,
            journey_id=journey.pk,
            phase_id=phase.pk,
            lane_id=lanes[Lane.Kind.ACTIONS].pk,
            text=f"Compares {phase.name.lower()} options",
        )
        for phase in phases[:2]
    ]
    touchpoint = touchpoint_services.touchpoint_create(
        actor=admin,
        journey_id=journey.pk,
        phase_id=phases[0].pk,
        lane_id=lanes[Lane.Kind.TOUCHPOINTS].pk,
        name="Website",
        channel="website",
        code="web",
    )
    emotion = services.emotion_create(
        actor=admin, journey_id=journey.pk, phase_id=phases[1].pk, score=1, label="Curious"
    )
    opportunity = services.opportunity_create(
        actor=admin, journey_id=journey.pk, phase_id=phases[2].pk, title="Email status updates"
    )
    source = SurveySourceFactory(journey=journey, kind=SurveySource.Kind.UPLOAD)
    share_link = services.share_link_create(actor=admin, journey_id=journey.pk)
    return sorted(
        {
            group.pk,
            persona.pk,
            journey.pk,
            touchpoint.pk,
            emotion.pk,
            opportunity.pk,
            source.pk,
            share_link.pk,
            *(p.pk for p in phases),
            *(lane.pk for lane in lanes.values()),
            *(c.pk for c in cards),
        }
    )


def _config(ids: list[int], path: Path) -> Path:
    """A schemathesis.toml aiming most generated ids at the seeded ones."""
    names = ("id", "journey_id", "touchpoint_id", "source_id", "share_link_id")
    bindings = "\n".join(
        f'"path.{name}" = {{ dictionary = "seeded", probability = 0.8 }}' for name in names
    )
    path.write_text(
        f"[dictionaries.seeded]\nvalues = {json.dumps(ids)}\n\n[parameters]\n{bindings}\n"
    )
    return path


def _fuzz(server: Server, token: str, config: Path, report: Path) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/api/schema/",
        "--url",
        server.url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    # In the test's own directory: schemathesis keeps a cache of what it found beside it.
    done = subprocess.run(command, cwd=report.parent, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def _outcome(report: Path) -> tuple[set[str], int, list[str]]:
    """The operations tested, the cases sent, and one line per failure, from the run's events."""
    operations, cases, failures = set(), set(), []
    for line in report.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario or "cases" not in scenario["recorder"]:
            continue
        label = scenario["recorder"]["label"]
        operations.add(label)
        cases.update(scenario["recorder"]["cases"])
        for case_id, checks in scenario["recorder"].get("checks", {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                failure = check["failure_info"]["failure"]
                case = scenario["recorder"]["cases"][case_id]["value"]
                exchange = scenario["recorder"]["interactions"].get(case_id, {})
                status = exchange.get("response", {}).get("status_code")
                message = failure["message"].replace("\n", " | ")[:300]
                sent = {k: case[k] for k in ("query", "body", "path_parameters") if case.get(k)}
                failures.append(f"{label} → {status}: {failure['title']}: {message}; sent {sent}")
    return operations, len(cases), sorted(set(failures))


@pytest.fixture
def fuzzed_server(tmp_path):
    server = Server(
        database=database_url(connection.settings_dict),
        redis_url=settings.REDIS_URL or None,
        extra_env={"JOURNEYBOARD_REDIS_PREFIX": f"jb-fuzz-{uuid.uuid4().hex[:8]}"},
    )
    yield server
    server.stop()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
def test_no_fuzzed_request_gets_a_server_error_or_an_answer_off_the_schema(
    role, fuzzed_server, tmp_path
):
    admin = UserFactory(username="ada-admin", role=Role.ADMIN)
    user = admin if role == Role.ADMIN else UserFactory(username="vera-viewer", role=role)
    ids = _seeded_map(admin)
    token = Token.objects.create(user=user).key
    config = _config(ids, tmp_path / "schemathesis.toml")

    code, output = _fuzz(fuzzed_server, token, config, tmp_path / "events.ndjson")

    operations, cases, failures = _outcome(tmp_path / "events.ndjson")
    print(f"schemathesis as {role}: {len(operations)} operations, {cases} cases")
    assert failures == [], "\n".join(failures)
    assert code == 0, output[-5000:]
    assert len(operations) > 70  # every operation of the schema was reached
