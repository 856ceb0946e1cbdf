"""Qualtrics syncs, against a fake Response Export API on a local port."""

import json
import random
import tempfile
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from feedback.connectors import ConnectorError, connector_for
from feedback.connectors import qualtrics as qualtrics_module
from tests.feedback.fake_vendors import FakeQualtrics, Waits, qualtrics_response, vendor_at

TOKEN = "qualtrics-secret-token"
EXPORTS = "/API/v3/surveys/SV_journey/export-responses"


def connect(fake: FakeQualtrics, waits: Waits, token: str = TOKEN, **options):
    with vendor_at("qualtrics", fake):
        return connector_for(
            "qualtrics",
            {"survey_id": "SV_journey", "poll_interval_seconds": 0.5, **options},
            {"api_token": token},
            sleep=waits,
        )


def at(minute: int) -> str:
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_qualtrics_export_is_started_polled_and_downloaded():
    responses = [
        qualtrics_response("R_b", at(5), QID1=6, QID3_TEXT="Slow delivery", touchpoint="deliver"),
        qualtrics_response("R_c", at(9), QID1=10, QID3_TEXT="", touchpoint="support-chat"),
        qualtrics_response("R_a", at(1), QID1=9, QID3_TEXT="Great app", touchpoint="app-login"),
    ]
    waits = Waits()
    with FakeQualtrics(responses, in_progress_polls=2) as fake:
        batches = list(connect(fake, waits).batches({}))

    start, *polls, download = fake.requests
    assert (start.method, start.path) == ("POST", EXPORTS)
    assert start.json == {"format": "json"}  # from the beginning: no startDate
    assert start.headers["x-api-token"] == TOKEN
    assert [p.path for p in polls] == [f"{EXPORTS}/ES_000001"] * 3  # 2× inProgress, complete
    assert download.path == f"{EXPORTS}/ES_000001-file/file"
    assert waits.seconds == [0.5, 0.5]  # one pause after each "inProgress"

    assert len(batches) == 1
    (batch,) = batches
    # Handed over as exported (Qualtrics does not sort); the cursor is the latest date.
    assert [r["response_id"] for r in batch.records] == ["R_b", "R_c", "R_a"]
    first = batch.records[2]
    assert first["submitted_at"] == "2024-05-01T10:01:00Z"
    assert first["QID1"] == 9
    assert first["QID3_TEXT"] == "Great app"
    assert first["touchpoint"] == "app-login"
    assert first["recordedDate"] == "2024-05-01T10:01:00Z"  # every key of values, as is
    assert first["labels.finished"] == "True"
    assert batch.cursor == {"since": "2024-05-01T10:09:00Z"}
    assert batch.total == 3


def test_a_big_unsorted_export_comes_in_batches_and_only_the_last_moves_the_cursor():
    responses = [qualtrics_response(f"R_{i:05d}", at(i), QID1=i % 11) for i in range(5000)]
    random.Random(5).shuffle(responses)
    start = {"since": "2024-04-30T00:00:00Z"}
    with FakeQualtrics(responses, in_progress_polls=0) as fake:
        batches = list(connect(fake, Waits()).batches(start))

    assert [len(b.records) for b in batches] == [1000] * 5  # no empty batch after the last
    # Until the last record is read, a later batch may hold an earlier date: the cursor stays.
    assert [b.cursor for b in batches[:-1]] == [start] * 4
    assert [b.total for b in batches[:-1]] == [None] * 4  # Qualtrics gives no count up front
    assert batches[-1].cursor == {"since": at(4999)}
    assert batches[-1].total == 5000
    ids = [r["response_id"] for b in batches for r in b.records]
    assert ids == [r["responseId"] for r in responses]  # each once, in the export's order


def test_a_sync_resumes_from_its_saved_cursor():
    # Two responses per minute: the first sync ends in the middle of a tie.
    responses = [qualtrics_response(f"R_{i:05d}", at(i // 2), QID1=7) for i in range(1500)]
    with FakeQualtrics(responses[:1000], in_progress_polls=0) as fake:
        *_, last = connect(fake, Waits()).batches({})
        assert last.cursor == {"since": at(499)}

        fake.responses = responses  # 500 more came in meanwhile
        resumed = list(connect(fake, Waits()).batches(last.cursor))

    restart = fake.requests[-3]
    # From a second before the cursor: a tie at the cursor is fetched again, never skipped.
    assert restart.json == {"format": "json", "startDate": "2024-05-01T18:18:59Z"}
    again = [r["response_id"] for b in resumed for r in b.records]
    assert again[0] == "R_00998"  # the other response of the cursor's minute
    assert set(again) == {f"R_{i:05d}" for i in range(998, 1500)}
    assert resumed[-1].cursor == {"since": at(749)}


def test_an_export_cut_off_halfway_fails_after_its_first_batches_without_moving_the_cursor():
    responses = [qualtrics_response(f"R_{i:05d}", at(i), QID1=7) for i in range(3000)]
    start = {"since": "2024-04-30T00:00:00Z"}
    handed_over = []
    with (
        FakeQualtrics(responses, in_progress_polls=0, cut_after=2500) as fake,
        pytest.raises(ConnectorError) as caught,
    ):
        for batch in connect(fake, Waits()).batches(start):
            handed_over.append(batch)

    assert caught.value.code == "vendor_error"
    assert str(caught.value) == "The Qualtrics export could not be read."
    assert [len(b.records) for b in handed_over] == [1000, 1000]  # parsed as it was read
    assert [b.cursor for b in handed_over] == [start, start]


def test_an_export_without_a_list_of_responses_is_a_clear_error(tmp_path):
    with FakeQualtrics([], in_progress_polls=0) as fake:
        assert list(connect(fake, Waits()).batches({})) == []  # an empty list: nothing new

    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("Journey feedback.json", '{"result": {"responses": []}}')
    with (
        FakeQualtrics([], in_progress_polls=0, export_file=export) as fake,
        pytest.raises(ConnectorError) as caught,
    ):
        list(connect(fake, Waits()).batches({}))
    assert caught.value.code == "vendor_error"
    assert str(caught.value) == "The Qualtrics export has no list of responses."


def test_a_large_export_is_parsed_in_bounded_memory(tmp_path):
    # Written to disk a response at a time, and served from there as it is.
    export = tmp_path / "export.zip"
    with (
        zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("Journey feedback.json", "w") as member,
    ):
        member.write(b'{"responses": [')
        for i in range(30_000):
            text = f"Comment number {i} about the delivery, the app and the shop"
            response = qualtrics_response(f"R_{i:06d}", at(i % 50_000), QID1=i % 11, QID3=text)
            member.write((b"," if i else b"") + json.dumps(response).encode())
        member.write(b"]}")
    size = zipfile.ZipFile(export).getinfo("Journey feedback.json").file_size
    assert size > 12 * 2**20

    with FakeQualtrics([], in_progress_polls=0, export_file=export) as fake:
        connector = connect(fake, Waits())
        tracemalloc.start()
        try:
            records = sum(len(batch.records) for batch in connector.batches({}))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert records == 30_000
    # Loaded whole (json.load), this export takes about 6 times its size; streamed, memory
    # holds a batch or two of records, whatever the export's size.
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB export"


def test_the_export_is_streamed_to_a_temporary_file(monkeypatch, tmp_path):
    # Kept on disk (in tmp_path) so the test can look at what the download wrote.
    def kept_temporary_file(*args, **kwargs):
        return tempfile.NamedTemporaryFile(dir=tmp_path, delete=False)

    monkeypatch.setattr(qualtrics_module.tempfile, "TemporaryFile", kept_temporary_file)
    responses = [qualtrics_response(f"R_{i}", at(i), QID1=8) for i in range(50)]
    with FakeQualtrics(responses, in_progress_polls=0) as fake:
        batches = list(connect(fake, Waits()).batches({}))
        zipped = next(iter(fake.files.values()))

    assert len(batches[0].records) == 50
    (written,) = list(tmp_path.iterdir())
    assert written.read_bytes() == zipped  # the whole zip went through a temporary file


def test_a_failed_export_is_a_clear_error():
    with (
        FakeQualtrics([qualtrics_response("R_1", at(1))], fail_export=True) as fake,
        pytest.raises(ConnectorError) as caught,
    ):
        list(connect(fake, Waits()).batches({}))

    assert caught.value.code == "export_failed"
    assert str(caught.value) == "Qualtrics could not build the export: Export too large."


def test_an_export_that_never_finishes_gives_up_in_time():
    with FakeQualtrics([], in_progress_polls=10**6) as fake:
        connector = connect(fake, Waits(), poll_interval_seconds=0.01, export_timeout_seconds=0.05)
        with pytest.raises(ConnectorError) as caught:
            list(connector.batches({}))

    assert caught.value.code == "timeout"
    assert "had not finished the export after 0.05 seconds" in str(caught.value)
    polls = [s for s in fake.requests if s.method == "GET"]
    assert 2 <= len(polls) <= 10  # it stopped polling rather than going on for ever


def test_wrong_credentials_are_a_clear_error_without_the_token():
    wrong = "qualtrics-WRONG-token-123"
    with (
        FakeQualtrics([qualtrics_response("R_1", at(1))]) as fake,
        pytest.raises(ConnectorError) as caught,
    ):
        list(connect(fake, Waits(), token=wrong).batches({}))

    assert caught.value.code == "credentials_refused"
    assert str(caught.value) == "Qualtrics refused the credentials (HTTP 401)."
    assert wrong not in repr(caught.value) and TOKEN not in repr(caught.value)
    assert len(fake.requests) == 1  # refused at once, no retries


def test_an_unknown_survey_is_not_found():
    with FakeQualtrics([]) as fake, vendor_at("qualtrics", fake):
        connector = connector_for(
            "qualtrics",
            {"survey_id": "SV_gone"},
            {"api_token": TOKEN},
            sleep=Waits(),
        )
        with pytest.raises(ConnectorError) as caught:
            list(connector.batches({}))

    assert caught.value.code == "not_found"
    assert "/API/v3/surveys/SV_gone/export-responses" in str(caught.value)
    assert "check the survey id" in str(caught.value)


def test_the_datacenter_names_the_qualtrics_host():
    connector = connector_for(
        "qualtrics", {"datacenter": "iad1", "survey_id": "SV_1"}, {"api_token": TOKEN}
    )
    assert connector.client.base_url == "https://iad1.qualtrics.com"

    for bad in ("evil.example/x", "iad1.qualtrics.com@evil", ""):
        with pytest.raises(ConnectorError) as caught:
            connector_for("qualtrics", {"datacenter": bad, "survey_id": "SV_1"}, {"api_token": "t"})
        assert caught.value.code == "invalid_source"
