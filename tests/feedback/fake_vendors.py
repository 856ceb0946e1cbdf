"""Fake survey vendors: real HTTP servers on 127.0.0.1 speaking each vendor's documented API.

Each fake runs a ``ThreadingHTTPServer`` on a free port in a daemon thread and is used as a
context manager::

    with FakeSurveyMonkey(responses, max_per_page=2) as fake, vendor_at("surveymonkey", fake):
        connector = connector_for("surveymonkey", {"survey_id": ...}, {...})

A vendor's host is fixed, so ``vendor_at`` points it at the fake (the test-only setting
``JOURNEYBOARD_CONNECTOR_BASE_URLS``, read when a connector is built); the fakes listen on
127.0.0.1, which connectors reach only because ``tests/feedback/conftest.py`` allows it.

It serves the responses the test gives it, checks the token (a wrong one gets a 401 in the
vendor's error shape), paginates for real, and logs every request (``fake.requests``) for the
test to assert on. Trouble on demand: ``fake.rate_limit(n)`` answers the n-th request with 429
and ``Retry-After: 1``; ``fake.fail_next(k)`` answers the next k requests with 500;
``fake.slow_next(k, seconds)`` delays them.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.test import override_settings


def vendor_at(kind: str, fake: FakeServer) -> override_settings:
    """The vendor ``kind`` answered by ``fake`` while a connector is built."""
    return override_settings(JOURNEYBOARD_CONNECTOR_BASE_URLS={kind: fake.url})


# -- recording sleep --------------------------------------------------------------------------


class Waits:
    """An injectable ``sleep``: records every wait asked for and really sleeps, at most ``cap``
    seconds each (``cap=None`` sleeps the whole wait)."""

    def __init__(self, cap: float | None = 0.01) -> None:
        self.cap = cap
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        time.sleep(seconds if self.cap is None else min(seconds, self.cap))


# -- the server -------------------------------------------------------------------------------


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """An answer. ``trickle`` sends the body a byte at a time, that many seconds apart;
    ``endless`` sends chunks of it with no length until the client hangs up (the fake counts
    what it managed to send in ``sent``)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0
    endless: bool = False

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


Route = Callable[[Seen], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as vendors do: requests reuses connections

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        seen = Seen(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        fake = self.server.fake  # type: ignore[attr-defined]
        reply = fake.handle(seen)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.endless:
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        # The client may have given up waiting (a timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._write_body(fake, reply)

    def _write_body(self, fake: FakeServer, reply: Reply) -> None:
        if reply.endless:
            while not fake.stopped.is_set():
                self.wfile.write(reply.body)
                fake.sent += len(reply.body)
        elif reply.trickle:
            for byte in reply.body:
                if fake.stopped.wait(reply.trickle):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                fake.sent += 1
        else:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is ours to assert on, not stderr noise


class FakeServer:
    """A local HTTP server answering through ``route``; ``routes`` maps a path to a reply."""

    def __init__(self, routes: dict[str, Route | Reply] | None = None) -> None:
        self.routes = dict(routes or {})
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._rate_limited: dict[int, str] = {}
        self._failures: list[int] = []
        self._delays: list[float] = []
        self._server: ThreadingHTTPServer | None = None
        self._url: str | None = None
        self.sent = 0  # body bytes of trickled or endless replies written so far
        self.stopped = threading.Event()

    # lifecycle

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, host: str = "127.0.0.1") -> None:
        server = ThreadingHTTPServer((host, 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._url = f"http://{host}:{server.server_address[1]}"
        # A short poll keeps shutdown (at the end of every test) quick.
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """Its base URL (still known after it stopped, for assertions)."""
        assert self._url is not None, "start the fake first"
        return self._url

    # trouble on demand

    def rate_limit(self, nth: int, retry_after: str = "1") -> None:
        """Answer the ``nth`` request (1-based, counting every request) with 429."""
        self._rate_limited[nth] = retry_after

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``."""
        self._failures.extend([status] * count)

    def slow_next(self, count: int, seconds: float) -> None:
        """Wait ``seconds`` before answering each of the next ``count`` requests."""
        self._delays.extend([seconds] * count)

    # answering

    def handle(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            number = len(self.requests)
            delay = self._delays.pop(0) if self._delays else 0.0
            if number in self._rate_limited:
                reply = Reply.json(
                    {"message": "Too many requests"},
                    429,
                    {"Retry-After": self._rate_limited.pop(number)},
                )
            elif self._failures:
                reply = Reply.json({"message": "Internal error"}, self._failures.pop(0))
            else:
                reply = self.route(seen)
        if delay:
            time.sleep(delay)
        return reply

    def route(self, seen: Seen) -> Reply:
        answer = self.routes.get(seen.path)
        if answer is None:
            return Reply.json({"message": "Not found"}, 404)
        return answer if isinstance(answer, Reply) else answer(seen)

    # the log

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


def _bearer(seen: Seen) -> str | None:
    value = seen.headers.get("authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- Qualtrics ----------------------------------------------------------------------------------


def qualtrics_response(response_id: str, recorded: str, **values: Any) -> dict[str, Any]:
    """A response as a Qualtrics JSON export holds it."""
    return {
        "responseId": response_id,
        "values": {
            "startDate": recorded,
            "endDate": recorded,
            "status": 0,
            "progress": 100,
            "finished": 1,
            "recordedDate": recorded,
            "_recordId": response_id,
            **values,
        },
        "labels": {"status": "IP Address", "finished": "True"},
        "displayedFields": ["QID1", "QID3_TEXT"],
        "displayedValues": {"QID1": list(range(11))},
    }


def _qualtrics_error(status: str, message: str, code: str) -> dict[str, Any]:
    return {
        "meta": {
            "httpStatus": status,
            "error": {"errorMessage": message, "errorCode": code},
            "requestId": str(uuid.uuid4()),
        }
    }


class FakeQualtrics(FakeServer):
    """The Response Export API v3: start an export, poll its progress, download its zip.

    ``cut_after=n`` breaks the export file off after n responses (a download cut short);
    ``export_file`` serves that zip as it is, whatever was asked (a large export the test wrote
    to disk)."""

    def __init__(
        self,
        responses: list[dict[str, Any]],
        *,
        api_token: str = "qualtrics-secret-token",
        survey_id: str = "SV_journey",
        survey_name: str = "Journey feedback",
        in_progress_polls: int = 2,
        fail_export: bool = False,
        cut_after: int | None = None,
        export_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.responses = responses
        self.api_token = api_token
        self.survey_id = survey_id
        self.survey_name = survey_name
        self.in_progress_polls = in_progress_polls
        self.fail_export = fail_export
        self.cut_after = cut_after
        self.export_file = export_file
        self.exports: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}

    def route(self, seen: Seen) -> Reply:
        prefix = f"/API/v3/surveys/{self.survey_id}/export-responses"
        if seen.headers.get("x-api-token") != self.api_token:
            return Reply.json(
                _qualtrics_error("401 - Unauthorized", "Invalid token.", "AUTH_1"), 401
            )
        if seen.method == "GET" and seen.path == f"/API/v3/surveys/{self.survey_id}":
            return self._survey()
        if not seen.path.startswith(prefix):
            return Reply.json(_qualtrics_error("404 - Not Found", "Survey not found.", "GS_4"), 404)
        rest = [part for part in seen.path[len(prefix) :].split("/") if part]
        if seen.method == "POST" and not rest:
            return self._start(seen)
        if seen.method == "GET" and len(rest) == 1:
            return self._progress(rest[0])
        if seen.method == "GET" and len(rest) == 2 and rest[1] == "file":
            return self._file(rest[0])
        return Reply.json(_qualtrics_error("404 - Not Found", "No such resource.", "RCE_4"), 404)

    def _survey(self) -> Reply:
        """Get Survey (``GET /API/v3/surveys/{surveyId}``), in its documented shape."""
        return self._ok(
            {
                "id": self.survey_id,
                "name": self.survey_name,
                "ownerId": "UR_owner",
                "organizationId": "journeyboard",
                "isActive": True,
                "creationDate": "2024-01-02T10:00:00Z",
                "lastModifiedDate": "2024-05-01T10:00:00Z",
                "questions": {
                    "QID1": {"questionText": "How likely are you to recommend us?"},
                    "QID3": {"questionText": "Why?"},
                },
                "responseCounts": {"auditable": len(self.responses), "generated": 0, "deleted": 0},
            }
        )

    def _ok(self, result: dict[str, Any]) -> Reply:
        return Reply.json(
            {"result": result, "meta": {"requestId": str(uuid.uuid4()), "httpStatus": "200 - OK"}}
        )

    def _start(self, seen: Seen) -> Reply:
        if not seen.headers.get("content-type", "").startswith("application/json"):
            return Reply.json(
                _qualtrics_error("400 - Bad Request", "Content-Type must be JSON.", "RCE_1"), 400
            )
        request = seen.json or {}
        if request.get("format") != "json":
            return Reply.json(
                _qualtrics_error("400 - Bad Request", "Unsupported format.", "RCE_2"), 400
            )
        chosen = list(self.responses)
        if request.get("startDate"):
            since = _moment(request["startDate"].replace("Z", "+00:00"))
            chosen = [r for r in chosen if _moment(r["values"]["recordedDate"]) >= since]
        progress_id = f"ES_{len(self.exports) + 1:06d}"
        self.exports[progress_id] = {"polls": 0, "responses": chosen}
        return self._ok({"progressId": progress_id, "percentComplete": 0.0, "status": "inProgress"})

    def _progress(self, progress_id: str) -> Reply:
        export = self.exports.get(progress_id)
        if export is None:
            return Reply.json(_qualtrics_error("404 - Not Found", "Unknown export.", "RCE_5"), 404)
        export["polls"] += 1
        if export["polls"] <= self.in_progress_polls:
            done = round(100 * export["polls"] / (self.in_progress_polls + 1), 1)
            return self._ok({"percentComplete": done, "status": "inProgress"})
        if self.fail_export:
            return self._ok(
                {
                    "percentComplete": 0.0,
                    "status": "failed",
                    "error": {"errorCode": "RCE_9", "errorMessage": "Export too large."},
                }
            )
        file_id = f"{progress_id}-file"
        if file_id not in self.files:
            if self.export_file is not None:
                self.files[file_id] = self.export_file.read_bytes()
            else:
                self.files[file_id] = self._zip(export["responses"])
        return self._ok({"percentComplete": 100.0, "status": "complete", "fileId": file_id})

    def _file(self, file_id: str) -> Reply:
        if file_id not in self.files:
            return Reply.json(_qualtrics_error("404 - Not Found", "Unknown file.", "RCE_6"), 404)
        return Reply(200, self.files[file_id], {"Content-Type": "application/zip"})

    def _zip(self, responses: list[dict[str, Any]]) -> bytes:
        document = json.dumps({"responses": responses})
        if self.cut_after is not None:
            whole = json.dumps({"responses": responses[: self.cut_after]})
            document = whole[: -len("]}")] + ', {"responseId": "R_'
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.survey_name}.json", document)
        return raw.getvalue()


# -- SurveyMonkey -------------------------------------------------------------------------------


def surveymonkey_response(
    response_id: str,
    modified: str,
    answers: dict[str, Any],
    *,
    custom: dict[str, str] | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """A response as the bulk endpoint gives it with ``simple=true``. An int answer is a chosen
    choice (a rating), a str a typed text, a list several choices, a dict matrix rows."""
    questions = []
    for question_id, answer in answers.items():
        if isinstance(answer, dict):
            given = [
                {"row_id": row, "choice_id": f"c{value}", "simple_text": str(value)}
                for row, value in answer.items()
            ]
        elif isinstance(answer, list):
            given = [{"choice_id": f"c-{label}", "simple_text": label} for label in answer]
        elif isinstance(answer, int):
            given = [{"choice_id": f"c{answer}", "simple_text": str(answer)}]
        else:
            given = [{"text": answer, "simple_text": answer}]
        questions.append({"id": question_id, "family": "single_choice", "answers": given})
    return {
        "id": response_id,
        "collector_id": "300000001",
        "survey_id": "412345678",
        "response_status": "completed",
        "date_created": created or modified,
        "date_modified": modified,
        "custom_variables": custom or {},
        "pages": [{"id": "p1", "questions": questions}],
    }


def _surveymonkey_error(status: int, code: str, name: str, message: str) -> Reply:
    return Reply.json(
        {
            "error": {
                "id": code,
                "name": name,
                "docs": "https://developer.surveymonkey.com/api/v3/#error-codes",
                "message": message,
                "http_status_code": status,
            }
        },
        status,
    )


class FakeSurveyMonkey(FakeServer):
    """API v3 ``GET /v3/surveys/{id}/responses/bulk``, paged with ``links``.

    ``start_modified_at`` is taken as strictly after (the stricter reading of "modified after");
    without ``sort_order`` the newest come first, as SurveyMonkey's default is DESC.
    ``link_host`` puts another host in the links, as SurveyMonkey's .net links do.
    """

    def __init__(
        self,
        responses: list[dict[str, Any]],
        *,
        access_token: str = "surveymonkey-secret-token",
        survey_id: str = "412345678",
        max_per_page: int = 100,
        link_host: str | None = None,
    ) -> None:
        super().__init__()
        self.responses = responses
        self.access_token = access_token
        self.survey_id = survey_id
        self.max_per_page = max_per_page
        self.link_host = link_host

    def route(self, seen: Seen) -> Reply:
        if _bearer(seen) != self.access_token:
            return _surveymonkey_error(
                401, "1011", "Authorization Error", "The authorization token provided was invalid."
            )
        if seen.path != f"/v3/surveys/{self.survey_id}/responses/bulk":
            return _surveymonkey_error(
                404, "1020", "Resource Not Found", "The requested survey could not be found."
            )
        query = seen.query
        per_page = min(int(query.get("per_page", 50)), self.max_per_page)
        page = int(query.get("page", 1))
        chosen = list(self.responses)
        if query.get("start_modified_at"):
            since = _moment(query["start_modified_at"])
            chosen = [r for r in chosen if _moment(r["date_modified"]) > since]
        if query.get("sort_by", "date_modified") == "date_modified":
            descending = query.get("sort_order", "DESC").upper() == "DESC"
            chosen.sort(key=lambda r: _moment(r["date_modified"]), reverse=descending)
        last = max(1, math.ceil(len(chosen) / per_page))
        base = f"{self.link_host or self.url}{seen.path}"

        def link(number: int) -> str:
            return f"{base}?{urlencode({**query, 'page': number, 'per_page': per_page})}"

        links = {"self": link(page), "last": link(last)}
        if page < last:
            links["next"] = link(page + 1)
        if page > 1:
            links["prev"] = link(page - 1)
        data = chosen[(page - 1) * per_page : page * per_page]
        return Reply.json(
            {"data": data, "per_page": per_page, "page": page, "total": len(chosen), "links": links}
        )


# -- Typeform -----------------------------------------------------------------------------------


def typeform_item(
    token: str,
    submitted: str,
    *,
    nps: int | None = None,
    comment: str | None = None,
    channel: str | None = None,
    recommend: bool | None = None,
    hidden: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A completed response as the Responses API (and the webhook) gives it."""
    answers: list[dict[str, Any]] = []
    if nps is not None:
        answers.append(
            {
                "field": {"id": "fNps01", "type": "opinion_scale", "ref": "nps"},
                "type": "number",
                "number": nps,
            }
        )
    if comment is not None:
        answers.append(
            {
                "field": {"id": "fCom02", "type": "long_text", "ref": "comment"},
                "type": "text",
                "text": comment,
            }
        )
    if channel is not None:
        answers.append(
            {
                "field": {"id": "fChn03", "type": "multiple_choice", "ref": "channel"},
                "type": "choice",
                "choice": {"id": "c1", "label": channel},
            }
        )
    if recommend is not None:
        answers.append(
            {
                "field": {"id": "fRec04", "type": "yes_no", "ref": "recommend"},
                "type": "boolean",
                "boolean": recommend,
            }
        )
    return {
        "landing_id": token,
        "token": token,
        "response_id": token,
        "landed_at": submitted,
        "submitted_at": submitted,
        "metadata": {"platform": "other", "browser": "default"},
        "hidden": hidden or {},
        "calculated": {"score": 0},
        "answers": answers,
    }


class FakeTypeform(FakeServer):
    """``GET /forms/{form_id}/responses``.

    Without ``after`` items are sorted by ``sort`` (default ``submitted_at,desc``, as Typeform's);
    with ``after=<token>`` they come in processing order (the list's order) after that token,
    exclusive; ``after`` with ``sort`` is refused, as Typeform documents.
    """

    def __init__(
        self,
        items: list[dict[str, Any]],
        *,
        access_token: str = "typeform-secret-token",
        form_id: str = "tfJourney",
        max_page_size: int = 1000,
    ) -> None:
        super().__init__()
        self.items = items
        self.access_token = access_token
        self.form_id = form_id
        self.max_page_size = max_page_size

    def route(self, seen: Seen) -> Reply:
        if _bearer(seen) != self.access_token:
            return Reply.json(
                {
                    "code": "AUTHENTICATION_FAILED",
                    "description": "Authentication credentials not found on the Request Headers",
                },
                401,
            )
        if seen.path != f"/forms/{self.form_id}/responses":
            return Reply.json(
                {"code": "FORM_NOT_FOUND", "description": "Non-existing form with uid"}, 404
            )
        query = seen.query
        if "after" in query and "sort" in query:
            return Reply.json(
                {"code": "VALIDATION_ERROR", "description": "after cannot be used with sort"}, 400
            )
        page_size = min(int(query.get("page_size", 25)), self.max_page_size)
        if "after" in query:
            tokens = [item["token"] for item in self.items]
            if query["after"] not in tokens:
                return Reply.json(
                    {"code": "VALIDATION_ERROR", "description": "unknown after token"}, 400
                )
            chosen = self.items[tokens.index(query["after"]) + 1 :]
        else:
            field_name, _, order = query.get("sort", "submitted_at,desc").partition(",")
            chosen = sorted(
                self.items, key=lambda item: _moment(item[field_name]), reverse=order == "desc"
            )
        page = chosen[:page_size]
        return Reply.json(
            {
                "total_items": len(chosen),
                "page_count": math.ceil(len(chosen) / page_size) if chosen else 0,
                "items": page,
            }
        )


# -- a JSON feed --------------------------------------------------------------------------------


class FakeJsonFeed(FakeServer):
    """A JSON feed at ``/feed``: pages ``{"items": [...], "next": <absolute URL or null>}``
    (``?page=N``), or the whole list when ``as_list``. ``next_host`` puts another host in the
    next links."""

    def __init__(
        self,
        items: list[dict[str, Any]],
        *,
        token: str | None = None,
        page_size: int = 2,
        as_list: bool = False,
        items_key: str = "items",
        next_host: str | None = None,
    ) -> None:
        super().__init__()
        self.items = items
        self.token = token
        self.page_size = page_size
        self.as_list = as_list
        self.items_key = items_key
        self.next_host = next_host

    @property
    def feed_url(self) -> str:
        return f"{self.url}/feed"

    def route(self, seen: Seen) -> Reply:
        if self.token is not None and _bearer(seen) != self.token:
            return Reply.json({"error": "invalid_token", "message": "Bad bearer token."}, 401)
        if seen.path != "/feed":
            return Reply.json({"error": "not_found"}, 404)
        if self.as_list:
            return Reply.json(self.items)
        page = int(seen.query.get("page", 1))
        start = (page - 1) * self.page_size
        has_more = start + self.page_size < len(self.items)
        next_url = f"{self.next_host or self.url}/feed?page={page + 1}" if has_more else None
        return Reply.json(
            {self.items_key: self.items[start : start + self.page_size], "next": next_url}
        )
