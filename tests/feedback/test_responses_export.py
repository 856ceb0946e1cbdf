"""A CX analyst downloads a survey source's responses as CSV: every response, its match and its
sentiment, with comments that look like spreadsheet formulas kept as text in the database and
written so that no spreadsheet runs them. Streamed: the same queries for 10 responses or 500."""

import asyncio
import csv
import io
import re
import warnings

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback import services
from feedback.models import SurveyResponse
from tests.factories import SurveySourceFactory

pytestmark = pytest.mark.django_db

HEADER = "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint,phase\n"
# What a spreadsheet would run, each as a customer's comment.
FORMULAS = {
    "f1": '=HYPERLINK("http://x")',
    "f2": "+SUM(A1:A9)",
    "f3": "-2+3",
    "f4": "@cmd",
}
EXPORT_HEADER = (
    "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint,phase,"
    "matched_touchpoint,matched_touchpoint_name,sentiment"
)


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def upload_and_import(client, source, content: str):
    """Upload through the API as the editor's browser does, then run what the worker runs."""
    started = client.post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile("survey.csv", content.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert started.status_code == 202, started.json()
    return services.import_run_execute(started.json()["id"])


def download(client, source) -> str:
    response = client.get(f"/api/survey-sources/{source.pk}/responses.csv/")
    assert response.status_code == 200, response.content if not response.streaming else ""
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="survey-source-{source.pk}-responses.csv"'
    )
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_formula_comments_are_stored_as_text_and_exported_neutralised(
    survey_map, client_for, editor, viewer
):
    comments = {**FORMULAS, "f5": "\tTAB"}
    rows = [
        f"{rid},2024-05-0{n + 1}T10:00:00Z,9,,,{csv_cell(comment)},web,checkout,Purchase"
        for n, (rid, comment) in enumerate(comments.items())
    ]
    run = upload_and_import(client_for(editor), survey_map.source, HEADER + "\n".join(rows))
    assert (run.state, run.imported) == ("succeeded", 5)
    stored = dict(SurveyResponse.objects.values_list("external_id", "comment"))
    # Verbatim: the database holds what the customer typed (cells are trimmed of whitespace,
    # tabs too, by both import paths).
    assert {rid: stored[rid] for rid in FORMULAS} == FORMULAS
    assert stored["f5"] == "TAB"

    text = download(client_for(viewer), survey_map.source)
    table = list(csv.reader(io.StringIO(text)))
    assert text.splitlines()[0] == EXPORT_HEADER
    exported = {row[0]: row[5] for row in table[1:]}
    assert exported == {rid: "'" + comment for rid, comment in FORMULAS.items()} | {"f5": "TAB"}
    # As a spreadsheet reads the text: no field (bare or quoted) starts like a formula.
    for line in text.splitlines():
        assert not re.search(r'(^|,)"?[=+\-@\t\r]', line), line


def test_a_downloaded_file_uploaded_again_changes_nothing(survey_map, client_for, editor):
    # The analyst fixes nothing, re-uploads the download: the quotes that kept the formulas
    # from running come off again, so every response is unchanged, its comment verbatim.
    comments = {**FORMULAS, "f5": "'Tis fine", "f6": "It's fine"}
    rows = [
        f"{rid},2024-05-0{n + 1}T10:00:00Z,9,,,{csv_cell(comment)},web,checkout,Purchase"
        for n, (rid, comment) in enumerate(comments.items())
    ]
    client = client_for(editor)
    upload_and_import(client, survey_map.source, HEADER + "\n".join(rows))
    downloaded = download(client, survey_map.source)
    assert "'=HYPERLINK" in downloaded

    again = upload_and_import(client, survey_map.source, downloaded)
    assert (again.state, again.read, again.unchanged, again.updated) == ("succeeded", 6, 6, 0)
    assert dict(SurveyResponse.objects.values_list("external_id", "comment")) == comments


def test_each_response_is_exported_with_its_match_phase_and_sentiment(
    survey_map, client_for, editor
):
    content = HEADER + (
        "r1,2024-05-01T10:00:00Z,10,5,2,Lovely staff,web,checkout,Purchase\n"
        "r2,2024-05-02 09:30,,,,Where is my parcel?,Phone,nowhere,Service\n"
    )
    upload_and_import(client_for(editor), survey_map.source, content)
    services.responses_sentiment_update(source_id=survey_map.source.pk)
    scores = dict(SurveyResponse.objects.values_list("external_id", "sentiment"))

    _, first, second = csv.reader(io.StringIO(download(client_for(editor), survey_map.source)))
    assert first == [
        "r1",
        "2024-05-01T10:00:00+00:00",
        "10",
        "5",
        "2",
        "Lovely staff",
        "web",
        "checkout",
        "Purchase",
        "checkout",
        "Online checkout",
        str(scores["r1"]),
    ]
    # Unmatched: the code it named is kept, the matched touchpoint is empty.
    assert second[:6] == ["r2", "2024-05-02T09:30:00+00:00", "", "", "", "Where is my parcel?"]
    assert second[6:] == ["phone", "nowhere", "Service", "", "", str(scores["r2"])]


def test_a_comment_starting_with_a_tab_is_exported_neutralised(survey_map, client_for, viewer):
    # Stored as it is whichever way it arrived (the importers trim their cells differently).
    SurveyResponse.objects.create(
        source=survey_map.source,
        external_id="t1",
        submitted_at="2024-05-01T10:00:00Z",
        nps=3,
        comment="\t=1+1",
        content_hash="-",
    )
    (_, row) = csv.reader(io.StringIO(download(client_for(viewer), survey_map.source)))
    assert row[5] == "'\t=1+1"


@pytest.mark.parametrize("responses", [10, 500])
def test_the_export_reads_the_same_queries_whatever_the_number_of_responses(
    survey_map, client_for, editor, django_assert_num_queries, responses
):
    rows = [f"q{n},2024-05-01,{n % 11},,,Comment {n},web,checkout," for n in range(responses)]
    upload_and_import(client_for(editor), survey_map.source, HEADER + "\n".join(rows))
    client = client_for(editor)
    # The source (with the access check in it), then one query for every response.
    with django_assert_num_queries(2):
        text = download(client, survey_map.source)
    assert len(text.splitlines()) == responses + 1


def test_who_may_download_a_sources_responses(
    survey_map, client_for, viewer, other_editor, admin_user
):
    from journeys import services as journey_services

    url = f"/api/survey-sources/{survey_map.source.pk}/responses.csv/"
    assert client_for(viewer).get(url).status_code == 200  # whoever sees the map
    assert client_for(None).get(url).status_code == 401
    secret = journey_services.journey_create(actor=other_editor, title="Secret", template="blank")
    secret.is_restricted = True
    secret.save()
    hidden = SurveySourceFactory(journey=secret)
    assert client_for(viewer).get(
        f"/api/survey-sources/{hidden.pk}/responses.csv/"
    ).status_code == (404)
    shared = SurveySourceFactory(journey=None)
    shared_url = f"/api/survey-sources/{shared.pk}/responses.csv/"
    assert client_for(other_editor).get(shared_url).status_code == 404  # admins' sources
    assert client_for(admin_user).get(shared_url).status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_csv_is_sent_piece_by_piece(survey_map, editor):
    """Through the ASGI application uvicorn serves: pieces as they are read, never the whole
    file collected first (Django warns when it does that)."""
    from channels.db import database_sync_to_async
    from rest_framework.authtoken.models import Token

    from config.asgi import application

    rows = [f"a{n},2024-05-01,9,,,Comment {n},web,checkout," for n in range(2000)]
    content = HEADER + "\n".join(rows)

    def prepare() -> str:
        run = services.import_file_start(
            actor=editor,
            source=survey_map.source,
            upload=SimpleUploadedFile("s.csv", content.encode(), content_type="text/csv"),
        )
        services.import_run_execute(run.pk)
        return Token.objects.create(user=editor).key

    token = await database_sync_to_async(prepare)()  # closes its connection after
    sent = []
    disconnected = asyncio.Event()

    async def receive():
        if not sent:
            sent.append({"type": "start"})
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnected.wait()  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/api/survey-sources/{survey_map.source.pk}/responses.csv/",
        "raw_path": b"",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Token {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume")
        await application(scope, receive, send)
    disconnected.set()

    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 200
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    assert len(bodies) >= 4  # 2,000 rows in pieces of 500
    lines = b"".join(bodies).decode("utf-8-sig").splitlines()
    assert len(lines) == 2001 and lines[0].startswith("response_id,")


def test_a_cell_starting_with_a_pipe_is_neutralised(survey_map, client_for, editor):
    # ``|`` starts a DDE command in older Excel (``cmd|' /C calc'!A0``): written quoted like any
    # formula, and taken off again when the download is uploaded again.
    comment = "cmd|' /C calc'!A0"
    piped = "|calc"
    content = HEADER + (
        f"p1,2024-05-01T10:00:00Z,9,,,{csv_cell(piped)},web,checkout,Purchase\n"
        f"p2,2024-05-02T10:00:00Z,9,,,{csv_cell(comment)},web,checkout,Purchase\n"
    )
    client = client_for(editor)
    upload_and_import(client, survey_map.source, content)
    downloaded = download(client, survey_map.source)
    exported = {row[0]: row[5] for row in list(csv.reader(io.StringIO(downloaded)))[1:]}
    assert exported == {"p1": "'|calc", "p2": comment}

    again = upload_and_import(client, survey_map.source, downloaded)
    assert (again.state, again.unchanged) == ("succeeded", 2)
    assert SurveyResponse.objects.get(external_id="p1").comment == "|calc"
