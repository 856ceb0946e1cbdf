"""In real Chromium, on a real server and Celery worker, against a local fake Typeform: an
editor sets a Typeform source up in the Survey data panel, tests the connection (ok, then the
401 of a mistyped token), syncs it and reads the run's counts; an admin does the same for a
shared JSON feed on the Shared survey sources page. No secret ever reaches the page."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from feedback.models import SurveyResponse, SurveySource
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.feedback.fake_vendors import FakeJsonFeed, FakeTypeform, typeform_item
from tests.servers import CeleryWorker, Server, database_url
from touchpoints import services as touchpoint_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

TOKEN = "typeform-secret-token"
WRONG = "tfp_typed_wrong"


@pytest.fixture
def typeform():
    items = [
        typeform_item("t1", "2024-05-01T10:00:00Z", nps=10, comment="Quick", channel="web"),
        typeform_item("t2", "2024-05-02T10:00:00Z", nps=9, comment="Easy", channel="web"),
        typeform_item("t3", "2024-05-03T10:00:00Z", nps=2, comment="Slow", channel="phone"),
    ]
    with FakeTypeform(items, access_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def vendors_reachable(typeform):
    """A server and a worker that reach the fake vendors on 127.0.0.1, as a deployment with
    internal feeds would (JOURNEYBOARD_OUTBOUND_ALLOW), with Typeform's host pointed at the
    fake."""
    env = {
        "JOURNEYBOARD_OUTBOUND_ALLOW": "127.0.0.1",
        "JOURNEYBOARD_CONNECTOR_BASE_URLS": f"typeform={typeform.url}",
    }
    database = database_url(connection.settings_dict)
    redis_url = settings.REDIS_URL or None
    server = Server(database=database, redis_url=redis_url, extra_env=env)
    worker = CeleryWorker(database=database, redis_url=redis_url, extra_env=env)
    yield server
    worker.stop()
    server.stop()


@pytest.fixture
def page_on(chromium, vendors_reachable):
    contexts, errors = [], []

    def open_page(user):
        server = vendors_reachable
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def add_typeform_source(section) -> None:
    """A new Typeform source: its form id, its token, a field mapping and a schedule."""
    section.get_by_label("Kind of survey platform").select_option(label="Typeform")
    section.get_by_role("button", name="Add a survey platform").click()
    form = section.get_by_role("form", name="Typeform settings")
    form.get_by_label("Name").fill("Checkout NPS")
    form.get_by_label("Form id *").fill("tfJourney")
    form.get_by_label("Personal access token *").fill(TOKEN)
    form.get_by_label("NPS").fill("nps")
    form.get_by_label("Comment").fill("comment")
    form.get_by_label("Touchpoint").fill("channel")
    form.get_by_label("Schedule").select_option(label="Hourly")
    form.get_by_role("button", name="Add source").click()


def replace_token(section, source, token: str) -> None:
    """Open the source's settings: its token shows as "set"; replace it and save."""
    source.get_by_role("button", name="Settings of Checkout NPS").click()
    form = section.get_by_role("form", name="Typeform settings")
    expect(form.locator('[data-secret="access_token"]')).to_contain_text("set")
    form.get_by_role("button", name="Replace the personal access token").click()
    form.get_by_label("Personal access token *").fill(token)
    form.get_by_role("button", name="Save settings").click()
    expect(form).to_have_count(0)


def test_an_editor_sets_up_tests_and_syncs_a_typeform_source(
    page_on, editor, five_phase_map, typeform
):
    touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[2].pk,
        name="Website",
        code="web",
    )
    page = page_on(editor)
    page.goto(f"/journeys/{five_phase_map.journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.get_by_role("button", name="📊 Survey data").click()
    section = page.get_by_role("region", name="Survey platforms")
    expect(section).to_contain_text("No survey platform yet.")

    add_typeform_source(section)
    source = section.locator(".connector")
    expect(source).to_have_count(1)
    expect(source).to_contain_text("Checkout NPS")
    expect(source).to_contain_text("Hourly")
    saved = SurveySource.objects.get()
    assert saved.options == {"form_id": "tfJourney"}
    assert saved.credentials == {"access_token": TOKEN}
    assert saved.field_mapping == {"nps": "nps", "comment": "comment", "touchpoint": "channel"}
    assert saved.sync_every_minutes == 60

    # Test connection: the fake answers, and the fields it has are listed for the mapping.
    source.get_by_role("button", name="Test connection").click()
    test = source.locator(".connector-test")
    expect(test).to_have_attribute("data-ok", "true")
    expect(test).to_contain_text("Connected to Typeform: form tfJourney has 3 completed responses.")
    expect(test).to_contain_text("Fields found:")

    # The token is "set", never shown; replaced with a mistyped one, the test says so.
    replace_token(section, source, WRONG)
    source.get_by_role("button", name="Test connection").click()
    expect(test).to_have_attribute("data-ok", "false")
    expect(test).to_contain_text("Typeform refused the credentials (HTTP 401). Check the token")
    assert typeform.requests[-1].headers["authorization"] == f"Bearer {WRONG}"

    # The right token again, then Sync now: the run is listed with its counts.
    replace_token(section, source, TOKEN)
    source.get_by_role("button", name="Sync now").click()
    run = source.locator("table.connector-runs tbody tr").first
    expect(run.locator(".run-state")).to_have_attribute("data-state", "succeeded", timeout=30_000)
    # Read, new, updated, refused, unmatched: "phone" names no touchpoint.
    expect(run.locator("td.num")).to_have_text(["3", "3", "0", "0", "1"])
    expect(source).not_to_contain_text("last synced —")
    assert SurveyResponse.objects.filter(touchpoint__code="web").count() == 2

    html = page.content()
    assert TOKEN not in html and WRONG not in html


def test_an_admin_sets_up_a_shared_json_feed_on_its_own_page(page_on, settings):
    admin = UserFactory(role=Role.ADMIN)
    items = [{"id": f"f{n}", "submitted_at": "2024-05-01T10:00:00Z", "score": n} for n in range(3)]
    with FakeJsonFeed(items, token="feed-token", page_size=5) as feed:
        page = page_on(admin)
        page.goto("/")
        page.get_by_role("link", name="Shared survey sources").click()
        section = page.get_by_role("region", name="Survey platforms")
        section.get_by_label("Kind of survey platform").select_option(label="JSON feed")
        section.get_by_role("button", name="Add a survey platform").click()
        form = section.get_by_role("form", name="JSON feed settings")
        form.get_by_label("Feed URL *").fill(feed.feed_url)
        form.get_by_label("Bearer token").fill("feed-token")
        form.get_by_label("NPS").fill("score")
        form.get_by_role("button", name="Add source").click()
        source = section.locator(".connector")
        source.get_by_role("button", name="Test connection").click()
        expect(source.locator(".connector-test")).to_contain_text(
            "Connected to the JSON feed: its first page has 3 items."
        )
        expect(source.locator(".connector-test")).to_contain_text("score")
    shared = SurveySource.objects.get()
    assert (shared.journey_id, shared.kind, shared.credentials) == (
        None,
        "json",
        {"token": "feed-token"},
    )
    assert "feed-token" not in page.content()
