"""One HTTP request straight through an ASGI application, as uvicorn hands it over: for a
test or a benchmark that must see what the server runs (thread hand-offs, CPU), without a
socket in between."""

import asyncio
import json


def http_scope(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode()) for name, value in headers.items()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def asgi_request(app, method: str, path: str, data: dict, headers: dict) -> tuple[int, dict]:
    """The status and JSON answer of one request; the client leaves once it has the answer."""
    body = json.dumps(data).encode()
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict = {"body": b""}
    answered = asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                answered.set()

    await app(http_scope(method, path, body, headers), receive, send)
    return answer["status"], json.loads(answer["body"] or b"null")
