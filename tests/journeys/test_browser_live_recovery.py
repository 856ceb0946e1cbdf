"""The live editor under faults, in real Chromium on servers of the test's own: a socket that
closes while a resync is pending recovers when its server comes back, and editors still
connected when another server process dies drop its users within the stated time."""

import json
import os
import re
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from journeys.permissions import Role
from tests.factories import UserFactory
from tests.journeys.test_browser_editor import cell, open_editor
from tests.servers import Server, database_url, redis_available

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def pages_on(chromium):
    """A browser tab on the given server, signed in as the given user, failing on JS errors."""
    contexts, errors = [], []

    def open_page(server: Server, user):
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=server.url)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def connection_status(page):
    return page.locator("[data-connection]")


def add_card(page, phase, lane, text: str) -> None:
    cell(page, phase, lane).locator(".add-item").click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(cell(page, phase, lane).locator(".item.card .text")).to_have_text(text)


def test_an_editor_whose_socket_closes_while_a_resync_is_pending_recovers_on_reconnect(
    pages_on, editor, five_phase_map
):
    database = database_url(connection.settings_dict)
    redis_url = settings.REDIS_URL or None
    server = Server(database=database, redis_url=redis_url)
    try:
        colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
        mine, theirs = pages_on(server, editor), pages_on(server, colleague)

        # Between my page and the server: the first event is lost on the way, and resyncs go
        # unanswered (as if the answer were lost with the socket), until the server restarts.
        faults = {"lose_events": 1, "lose_resyncs": True, "resyncs_lost": 0}

        def between(ws):
            upstream = ws.connect_to_server()

            def to_page(message):
                if json.loads(message)["type"] == "event" and faults["lose_events"]:
                    faults["lose_events"] -= 1
                    return
                ws.send(message)

            def to_server(message):
                if json.loads(message)["type"] == "resync" and faults["lose_resyncs"]:
                    faults["resyncs_lost"] += 1
                    return
                upstream.send(message)

            upstream.on_message(to_page)
            ws.on_message(to_server)

        mine.route_web_socket(re.compile(r"/ws/journeys/\d+/$"), between)
        journey, actions = five_phase_map.journey, five_phase_map.actions
        awareness, consideration, conversion = five_phase_map.phases[:3]
        open_editor(mine, journey)
        open_editor(theirs, journey)
        for page in (mine, theirs):
            expect(connection_status(page)).to_have_attribute("data-status", "live")

        add_card(theirs, awareness, actions, "Asks a friend")  # lost on its way to me
        add_card(theirs, consideration, actions, "Compares prices")  # a gap: I ask, in vain
        deadline = time.monotonic() + 15
        while not faults["resyncs_lost"] and time.monotonic() < deadline:
            mine.wait_for_timeout(50)  # lets Playwright run the socket's handlers
        assert faults["resyncs_lost"], "the page never asked for the event it missed"
        expect(cell(mine, consideration, actions).locator(".item.card")).to_have_count(0)

        # The server restarts while my page still waits for the answer.
        server.stop()
        for page in (mine, theirs):
            expect(connection_status(page)).not_to_have_attribute("data-status", "live")
        faults["lose_resyncs"] = False
        server = Server(database=database, redis_url=redis_url, port=server.port)
        for page in (mine, theirs):
            expect(connection_status(page)).to_have_attribute("data-status", "live", timeout=30_000)

        # My page catches up on what it missed, and later edits keep coming.
        expect(cell(mine, awareness, actions).locator(".item.card .text")).to_have_text(
            "Asks a friend", timeout=15_000
        )
        expect(cell(mine, consideration, actions).locator(".item.card .text")).to_have_text(
            "Compares prices"
        )
        add_card(theirs, conversion, actions, "Pays online")
        expect(cell(mine, conversion, actions).locator(".item.card .text")).to_have_text(
            "Pays online", timeout=15_000
        )
    finally:
        server.stop()


REFRESH_SECONDS = 2.0


def test_editors_on_a_living_server_drop_the_users_of_a_dead_one_within_the_stated_time(
    pages_on, editor, five_phase_map
):
    if not redis_available(REDIS_URL):
        message = f"Redis is not reachable at {REDIS_URL}: two server processes need it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    database = database_url(connection.settings_dict)
    # Presence confirmed every 2 s, stale after 6 s: the stated time is a few seconds here.
    fast = {"JOURNEYBOARD_PRESENCE_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    living, dying = (
        Server(database=database, redis_url=REDIS_URL, extra_env=fast) for _ in range(2)
    )
    try:
        olga = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
        sam = UserFactory(role=Role.EDITOR, first_name="Sam", last_name="Kay")
        journey = five_phase_map.journey
        # Olga stays quiet throughout: only the dead server's users may go.
        mine, hers, his = pages_on(living, editor), pages_on(living, olga), pages_on(dying, sam)
        for page in (mine, hers, his):
            open_editor(page, journey)
            expect(connection_status(page)).to_have_attribute("data-status", "live")
        people = mine.locator(".presence-avatar")
        expect(people).to_have_count(3)
        sam_shown = mine.locator('.presence-avatar[title="Sam Kay"]')

        dying.kill()  # no goodbyes: nobody tells my page that Sam left
        killed = time.monotonic()
        expect(sam_shown).to_have_count(1)
        # Sam was last confirmed at most one refresh before; he is stale three refreshes after
        # that and my server looks at the next refresh: within 5 refreshes, with some room for
        # a loaded machine.
        expect(sam_shown).to_have_count(0, timeout=30_000)
        assert time.monotonic() - killed < 5 * REFRESH_SECONDS + 20
        expect(mine.locator('.presence-avatar[title="Olga Berg"]')).to_have_count(1)
        expect(people).to_have_count(2)
    finally:
        living.stop()
        if dying.process.poll() is None:
            dying.stop()
