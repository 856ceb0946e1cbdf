"""Benchmark: open the editor on a 12-phase × 8-lane map with 1,000 cards in headless Chromium.

A real uvicorn server (embedded mode, throw-away SQLite under a temp dir) serves the page; the
figure is the time from navigation start to the editor's "ready" mark — grid drawn, drag and
drop, keyboard and panels wired — read from the page's Performance timeline. The floor, in the
same run and browser, is a static page with the same cards already laid out as plain HTML (no
JavaScript at all), timed to its load event. Target: under 1,500 ms.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from functools import partial
from html import escape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 10
CHROMIUM = os.environ.get("JOURNEYBOARD_CHROMIUM", "/usr/bin/chromium")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def floor_page(journey) -> str:
    """The same map as static HTML: one div per card, grouped in cells, no script."""
    from journeys.models import Card

    cards = Card.objects.filter(journey=journey).order_by("lane", "phase", "position")
    rows: dict = {}
    for card in cards:
        rows.setdefault(card.lane_id, {}).setdefault(card.phase_id, []).append(card.text)
    html = ['<!doctype html><meta charset="utf-8"><style>.r{display:flex}.c{width:232px}</style>']
    for cells in rows.values():
        html.append('<div class="r">')
        for texts in cells.values():
            html.append(
                '<div class="c">' + "".join(f"<div>{escape(t)}</div>" for t in texts) + "</div>"
            )
        html.append("</div>")
    return "".join(html)


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="journeyboard-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"JOURNEYBOARD_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from bench.common import CARDS, build_map

    call_command("migrate", verbosity=0)
    journey, user = build_map(username="bench-editor")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    (var / "floor").mkdir()
    (var / "floor" / "index.html").write_text(floor_page(journey))

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    handler = partial(QuietHandler, directory=str(var / "floor"))
    static = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}
        floor_url = f"http://127.0.0.1:{static.server_address[1]}/index.html"
        editor, floor, cards = loads_measure(f"{base}/journeys/{journey.pk}/", floor_url, cookie)
        assert cards == CARDS, cards
        report(editor, floor)
    finally:
        server.terminate()
        server.wait(timeout=10)
        static.shutdown()


def loads_measure(editor_url: str, floor_url: str, cookie: dict) -> tuple[list, list, int]:
    """The editor's ready mark and the floor's load event over ``RUNS`` loads each (after two
    that warm caches and the server), and the cards the editor drew."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([cookie])
        page = context.new_page()
        editor, floor = [], []
        for i in range(RUNS + 2):
            page.goto(editor_url)
            page.wait_for_selector("body[data-editor-ready=true]")
            ready = page.evaluate(
                "performance.getEntriesByName('journeyboard:editor-ready')[0].startTime"
            )
            cards = page.locator(".item.card").count()
            page.goto(floor_url)
            loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            if i >= 2:  # the first two warm caches and the server
                editor.append(ready)
                floor.append(loaded)
        browser.close()
    return editor, floor, cards


def report(editor: list, floor: list) -> None:
    from bench.common import CARDS, LANES, PHASES

    median, floor_median = statistics.median(editor), statistics.median(floor)
    print(f"map: {PHASES} phases × {LANES} lanes, {CARDS} cards, 100 touchpoints")
    print("browser: headless Chromium at 1280×800, page served by uvicorn")
    print(f"  editor ready  median {median:7.0f} ms   max {max(editor):7.0f} ms   ({RUNS} loads)")
    print(f"  floor (static HTML, no JS) median {floor_median:5.0f} ms")
    verdict = "met" if median < 1500 else "MISSED"
    print(f"  ratio editor/floor: {median / floor_median:.1f}×   target < 1500 ms: {verdict}")


if __name__ == "__main__":
    main()
