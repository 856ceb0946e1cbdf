"""Where a connector may connect, for how long and for how much: a source cannot be pointed at
this machine or the private network (redirects included), a feed that trickles or never ends
does not hold a worker, and what a feed answers is never put in front of users."""

import contextlib
import json
import socket
import time

import pytest

from feedback import services
from feedback.connectors import ConnectorError, connector_for
from feedback.connectors.http import VendorClient
from feedback.models import ImportRun, SurveyResponse
from tests.factories import SurveySourceFactory
from tests.feedback.fake_vendors import FakeJsonFeed, FakeServer, Reply, Waits

TOKEN = "feed-secret-token"
ITEMS = [{"id": f"r{i}", "submitted_at": f"2024-05-01T10:0{i}:00Z"} for i in range(3)]


@contextlib.contextmanager
def listener(host: str = "127.0.0.1"):
    """A port that accepts nothing, to tell whether anyone tried to connect to it."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def connections_to(sock: socket.socket) -> int:
    """Connections the kernel completed on ``sock`` (queued even though nobody accepted)."""
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def sync(journey, editor, url: str) -> ImportRun:
    source = SurveySourceFactory(
        journey=journey, kind="json", options={"url": url}, credentials={"token": TOKEN}
    )
    return services.import_run_execute(services.import_sync_start(actor=editor, source=source).pk)


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sync_refuses_a_loopback_address(five_phase_map, editor, settings):
    settings.JOURNEYBOARD_OUTBOUND_ALLOW = []  # a deployment as it ships
    with listener() as port:
        run = sync(
            five_phase_map.journey, editor, f"https://localhost:{port.getsockname()[1]}/feed"
        )
        assert connections_to(port) == 0

    assert run.state == ImportRun.State.FAILED
    assert run.error == (
        "The JSON feed: localhost is a local, private or reserved address, which sources may not"
        " reach (an administrator can allow it with JOURNEYBOARD_OUTBOUND_ALLOW)."
    )
    assert not SurveyResponse.objects.exists()


def test_private_link_local_multicast_reserved_and_mapped_addresses_are_refused(settings):
    settings.JOURNEYBOARD_OUTBOUND_ALLOW = []
    hosts = [
        "127.0.0.1",
        "[::1]",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:169.254.169.254]",
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[fe80::1]",
        "[fc00::1]",
        "[ff02::1]",
    ]
    refused = {}
    for host in hosts:
        client = VendorClient("Acme Surveys", f"https://{host}:9/", sleep=Waits())
        with pytest.raises(ConnectorError) as caught:
            client.get_json("/responses")
        refused[host] = caught.value.code

    assert refused == dict.fromkeys(hosts, "address_refused")


def test_only_the_allow_list_lets_a_feed_on_this_machine_be_read(settings):
    outcomes = {}
    with FakeJsonFeed(ITEMS, page_size=5) as fake:
        for allowed, host in (
            ([], "127.0.0.1"),
            (["127.0.0.0/8"], "127.0.0.1"),
            (["localhost"], "localhost"),
        ):
            settings.JOURNEYBOARD_OUTBOUND_ALLOW = allowed
            # https is refused at the address before any byte is sent; plain http only to hosts
            # the list names.
            scheme = "http" if allowed else "https"
            url = fake.feed_url.replace("http://127.0.0.1", f"{scheme}://{host}")
            try:
                batches = list(connector_for("json", {"url": url}, {}).batches({}))
                outcomes[(*allowed, host)] = [r["response_id"] for b in batches for r in b.records]
            except ConnectorError as refused:
                outcomes[(*allowed, host)] = refused.code

    assert outcomes == {
        ("127.0.0.1",): "address_refused",
        ("127.0.0.0/8", "127.0.0.1"): ["r0", "r1", "r2"],
        ("localhost", "localhost"): ["r0", "r1", "r2"],
    }
    assert len(fake.requests) == 2


def test_a_redirect_to_a_private_address_is_refused():
    # The feed's own host is allowed (127.0.0.1, by tests/feedback/conftest.py); 127.0.0.2 is not.
    with listener("127.0.0.2") as inside:
        target = f"https://127.0.0.2:{inside.getsockname()[1]}/admin"
        with FakeServer({"/feed": Reply(302, headers={"Location": target})}) as fake:
            connector = connector_for("json", {"url": f"{fake.url}/feed"}, {"token": TOKEN})
            with pytest.raises(ConnectorError) as caught:
                list(connector.batches({}))
        assert connections_to(inside) == 0

    assert caught.value.code == "address_refused"
    assert "127.0.0.2 is a local, private or reserved address" in str(caught.value)
    assert fake.paths() == ["/feed"]


# --- size and time ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_feed_over_the_size_cap_fails_the_run_without_reading_it_all(
    five_phase_map, editor, settings
):
    settings.JOURNEYBOARD_CONNECTOR_MAX_BYTES = 2**20
    endless = Reply(body=b" " * 65536, headers={"Content-Type": "application/json"}, endless=True)
    declared = Reply(body=b" " * (2**20 + 1), headers={"Content-Type": "application/json"})
    with FakeServer({"/feed": endless, "/declared": declared}) as fake:
        run = sync(five_phase_map.journey, editor, f"{fake.url}/feed")
        told = sync(five_phase_map.journey, editor, f"{fake.url}/declared")

    message = "The JSON feed answered with more than 1 MB; nothing of it was kept."
    assert (run.state, run.error) == (ImportRun.State.FAILED, message)
    assert (told.state, told.error) == (ImportRun.State.FAILED, message)
    # The endless body was cut off at the cap: what the fake got out is the cap plus what the
    # sockets' buffers held, not the hundreds of MB it would have sent.
    assert fake.sent < 16 * 2**20
    assert len(fake.requests) == 2  # neither is retried


@pytest.mark.django_db
def test_a_trickling_feed_is_stopped_at_the_deadline(five_phase_map, editor, settings):
    settings.JOURNEYBOARD_CONNECTOR_DEADLINE_SECONDS = 1.5
    body = json.dumps({"items": ITEMS, "next": None}).encode()
    trickle = Reply(body=body, headers={"Content-Type": "application/json"}, trickle=0.1)
    with FakeServer({"/feed": trickle}) as fake:
        started = time.monotonic()
        run = sync(five_phase_map.journey, editor, f"{fake.url}/feed")
        elapsed = time.monotonic() - started

    assert (run.state, run.error) == (
        ImportRun.State.FAILED,
        "The JSON feed did not finish answering within 1.5 seconds.",
    )
    # A byte every 0.1 s never trips the 60 s read timeout; the deadline ends it at 1.5 s,
    # with some of the body still unsent, and a trickling feed is not asked again.
    assert 1.5 <= elapsed < 4.0
    assert fake.sent < len(body)
    assert len(fake.requests) == 1


# --- what reaches users -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_feed_error_body_is_not_copied_into_the_run_error(five_phase_map, editor):
    leak = Reply.json({"message": "pg_hba.conf rejects user postgres from 10.0.0.7"}, 400)
    with FakeServer({"/feed": leak}) as fake:
        run = sync(five_phase_map.journey, editor, f"{fake.url}/feed")

    assert (run.state, run.error) == (
        ImportRun.State.FAILED,
        "The JSON feed refused the request (HTTP 400 Bad Request).",
    )


def test_a_vendor_is_quoted_but_not_a_host_it_redirected_to():
    quoted = Reply.json({"message": "per_page must be at most 100"}, 400)
    with FakeServer({"/internal": Reply.json({"message": "secret internals"}, 400)}) as other:
        away = Reply(302, headers={"Location": f"{other.url}/internal"})
        with FakeServer({"/bad": quoted, "/away": away}) as fake:
            client = VendorClient("Acme Surveys", fake.url, sleep=Waits())
            messages = []
            for path in ("/bad", "/away"):
                with pytest.raises(ConnectorError) as caught:
                    client.get_json(path)
                messages.append(str(caught.value))

    assert messages == [
        "Acme Surveys refused the request (HTTP 400): per_page must be at most 100.",
        "Acme Surveys refused the request (HTTP 400).",
    ]
