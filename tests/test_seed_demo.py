"""`manage.py seed_demo` fills the example map once, and again changes nothing."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.shortcuts import resolve_url

from journeys.management.commands.seed_demo import EXAMPLE_TITLE
from journeys.models import Card, Emotion, Journey, Opportunity
from journeys.permissions import role_of
from personas.models import Persona
from touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_users_personas_and_the_example_map(capsys, settings):
    call_command("seed_demo")
    out = capsys.readouterr().out

    users = {u.username: u for u in get_user_model().objects.all()}
    assert {name: role_of(users[name]) for name in ("admin", "editor", "viewer")} == {
        "admin": "admin",
        "editor": "editor",
        "viewer": "viewer",
    }
    assert users["viewer"].check_password(settings.DEMO_PASSWORD)
    assert f"viewer / {settings.DEMO_PASSWORD}" in out
    assert Persona.objects.count() == 2

    journey = Journey.objects.get(title=EXAMPLE_TITLE)
    actions = Card.objects.filter(journey=journey, lane__kind="actions")
    assert set(actions.values_list("text", flat=True)) == {
        "Decides to purchase",
        "Asks a friend",
        "Downloads a PDF",
        "Discovers brand",
        "Reviews legal docs",
        "Approves contract",
        "Visits website",
        "Calls sales",
        "Submits help ticket",
    }
    thought = Card.objects.get(journey=journey, lane__kind="thoughts")
    assert (thought.text, thought.phase.name) == ("Hard to use", "Services")
    touchpoints = Touchpoint.objects.filter(journey=journey, phase__name="Services")
    assert [(t.name, t.channel) for t in touchpoints] == [("Customer portal", "customer_portal")]
    assert Touchpoint.objects.filter(journey=journey).count() == 9
    assert Emotion.objects.filter(journey=journey, source="team").count() == 5
    # The demo survey: every phase has what customers feel, and Conversion is flagged.
    voc = dict(
        Emotion.objects.filter(journey=journey, source="voc").values_list("phase__name", "score")
    )
    assert len(voc) == 5
    assert voc["Conversion"] < voc["Awareness"]
    from feedback.models import SurveyResponse

    assert SurveyResponse.objects.filter(journey=journey, touchpoint__isnull=False).count() == 216
    owners = Card.objects.filter(journey=journey, lane__kind="process_ownership")
    assert owners.count() == 5
    assert Opportunity.objects.filter(journey=journey).count() >= 3


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo")
    counts = (Journey.objects.count(), Card.objects.count(), Persona.objects.count())
    call_command("seed_demo")
    assert (Journey.objects.count(), Card.objects.count(), Persona.objects.count()) == counts
    assert get_user_model().objects.count() == 3


def test_seed_demo_sends_people_to_the_sign_in_page_first_and_the_admin_second(settings):
    """A CX team member starts at the app's sign-in page, with the demo accounts printed beside
    it; the Django admin is a secondary line, for admins."""
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", base_url="http://journeys.example:8123/", stdout=out)
    lines = out.getvalue().splitlines()
    login = resolve_url(settings.LOGIN_URL)
    assert login == "/accounts/login/"
    sign_in = next(i for i, line in enumerate(lines) if login in line)
    assert lines[sign_in] == (
        "Sign in to Journeyboard at http://journeys.example:8123/accounts/login/ as:"
    )
    assert lines[sign_in + 1 : sign_in + 4] == [
        f"  admin   admin / {settings.DEMO_PASSWORD}",
        f"  editor  editor / {settings.DEMO_PASSWORD}",
        f"  viewer  viewer / {settings.DEMO_PASSWORD}",
    ]
    admin = next(i for i, line in enumerate(lines) if "/admin/" in line)
    assert admin > sign_in + 3
    assert lines[admin].endswith("http://journeys.example:8123/admin/")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_seeds_with_the_address_it_serves_on():
    """`make run` passes its HOST and PORT on, so the printed sign-in link is the one served."""
    root = Path(__file__).resolve().parents[1]
    plan = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=8123"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    seeds = [line for line in plan.splitlines() if "manage.py seed_demo" in line]
    assert seeds and seeds[0].endswith("seed_demo --base-url http://0.0.0.0:8123")
    assert "admin: /admin/" not in plan  # the admin is no longer the address printed first
