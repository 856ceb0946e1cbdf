"""The one way connectors talk HTTP: timeouts, retries, rate limits and clear errors.

Credentials travel in headers and only to the source's own origin (scheme, host, port): a
redirect or a "next page" link elsewhere is followed without them. They never appear in a log
line or an error message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests

from feedback.connectors.base import ConnectorError

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 60.0)  # connect, read (seconds)
MAX_ATTEMPTS = 5  # in total, for server errors and connection failures
BACKOFF_FIRST = 0.5  # then 1, 2, 4 … seconds
RETRY_AFTER_DEFAULT = 1.0
RETRY_AFTER_MAX = 60.0
# A vendor that answers 429 for ever must not hold a worker for ever.
MAX_RATE_LIMIT_WAITS = 20
MAX_REDIRECTS = 5
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 1 << 16
# A connection that drops or stalls, before or while the body arrives.
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

Sleep = Callable[[float], Any]


def check_url(url: str, vendor: str) -> str:
    """``url`` if it is https (or plain http to this machine, for tests and local feeds)."""
    try:
        parts = urlsplit(url.strip()) if isinstance(url, str) else None
        hostname = parts.hostname if parts else None
        _ = parts.port if parts else None  # raises for a port that is not a number
    except ValueError:
        parts = hostname = None
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        raise ConnectorError("invalid_source", f"{vendor}: the address is not an https URL.")
    if parts.username or parts.password:
        # A password in a URL would end up in logs and messages: it belongs in credentials.
        raise ConnectorError(
            "invalid_source", f"{vendor}: the address must not contain a user name or password."
        )
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ConnectorError(
            "invalid_source",
            f"{vendor}: the address must use https (http://{parts.hostname} was refused).",
        )
    return url.strip()


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL: where a request goes, for deciding who gets credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, (parts.hostname or "").lower(), port
    except ValueError:
        return "", "", None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """Seconds to wait for a ``Retry-After`` header: seconds or an HTTP date; 1 s when absent
    or unreadable, at most 60 s."""
    if not value or not value.strip():
        return RETRY_AFTER_DEFAULT
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return RETRY_AFTER_DEFAULT
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return RETRY_AFTER_DEFAULT
    return max(0.0, min(RETRY_AFTER_MAX, seconds))


def vendor_message(response: requests.Response) -> str:
    """The vendor's own error text, from the error JSON shapes we know, or ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    candidates: list[Any] = []
    if isinstance(body, dict):
        meta = body.get("meta")
        meta_error = meta.get("error") if isinstance(meta, dict) else None
        error = body.get("error")
        if isinstance(meta_error, dict):  # Qualtrics
            candidates.append(meta_error.get("errorMessage"))
        if isinstance(error, dict):  # SurveyMonkey
            candidates.append(error.get("message"))
        candidates += [
            body.get("description"),  # Typeform
            body.get("message"),
            error,
            body.get("error_description"),
            body.get("detail"),
        ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:300]
    return ""


def _keep_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


class VendorClient:
    """A ``requests.Session`` for one vendor: its base URL, credential headers and retries."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        not_found_hint: str = "check the address",
        sleep: Sleep = time.sleep,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.vendor = vendor
        self.base_url = check_url(base_url, vendor).rstrip("/")
        self.origin = origin(self.base_url)
        self.credential_headers = dict(headers or {})
        self.secrets = [s for s in secrets if s]
        self.not_found_hint = not_found_hint
        self.sleep = sleep
        self.timeout = timeout
        # The environment's proxy and CA bundle settings apply (deployments may need them)...
        self.session = requests.Session()
        # ...but not ~/.netrc, whose Basic auth would replace the vendor's own header: requests
        # consults it only when a session has no auth, so it gets one that changes nothing.
        self.session.auth = _keep_headers

    def close(self) -> None:
        self.session.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL: a path is taken relative to the base URL."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    # -- the request loop ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        """A successful (2xx) response, after waiting out rate limits and retrying server
        errors; a ``ConnectorError`` otherwise."""
        url = check_url(self.url(path_or_url), self.vendor)
        failures = rate_waits = 0
        while True:
            try:
                response = self._send(method, url, params, json, stream)
            except requests.exceptions.SSLError:
                # Not a passing fault: retrying would only delay the same answer.
                raise ConnectorError(
                    "unavailable",
                    f"{self.vendor} could not be reached securely (its TLS certificate was not"
                    " accepted).",
                ) from None
            except (requests.exceptions.InvalidHeader, UnicodeEncodeError):
                # requests quotes the header value, which holds the credential: never pass it on.
                raise ConnectorError(
                    "invalid_source",
                    f"The {self.vendor} credentials contain characters that cannot be sent (such"
                    " as a line break or a letter outside ASCII).",
                ) from None
            except _NETWORK_ERRORS as error:
                last = "timeout" if isinstance(error, requests.Timeout) else "connection failed"
                failures += 1
                self._backoff_or_give_up(failures, last)
                continue
            status = response.status_code
            if status == 429:
                rate_waits += 1
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                response.close()
                if rate_waits > MAX_RATE_LIMIT_WAITS:
                    raise ConnectorError(
                        "rate_limited",
                        f"{self.vendor} kept refusing requests as too many (HTTP 429); "
                        "try again later.",
                    )
                logger.info("%s rate limit (HTTP 429): waiting %.1f s", self.vendor, wait)
                self.sleep(wait)
                continue
            if status >= 500:
                response.close()
                failures += 1
                self._backoff_or_give_up(failures, f"HTTP {status}")
                continue
            if status >= 400:
                raise self._refusal(response)
            if status >= 300:
                response.close()
                raise ConnectorError(
                    "vendor_error", f"{self.vendor} answered with an unexpected HTTP {status}."
                )
            return response

    def _backoff_or_give_up(self, failures: int, last: str) -> None:
        if failures >= MAX_ATTEMPTS:
            raise ConnectorError(
                "unavailable",
                f"{self.vendor} did not answer after {MAX_ATTEMPTS} attempts (last: {last}).",
            )
        wait = BACKOFF_FIRST * 2 ** (failures - 1)
        logger.warning("%s failed (%s): retrying in %.1f s", self.vendor, last, wait)
        self.sleep(wait)

    def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, json: Any, stream: bool
    ) -> requests.Response:
        """One request, following redirects ourselves: requests would carry a custom header such
        as X-API-TOKEN to whatever host a redirect names."""
        for _ in range(MAX_REDIRECTS + 1):
            same_origin = origin(url) == self.origin
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=self.credential_headers if same_origin else None,
                timeout=self.timeout,
                stream=stream,
                allow_redirects=False,
            )
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            response.close()
            url = check_url(urljoin(response.url, location), self.vendor)
            params = None  # the Location carries its own query
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, json = "GET", None
        raise ConnectorError("vendor_error", f"{self.vendor} redirected too many times.")

    def _refusal(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        message = self._scrub(vendor_message(response))
        response.close()
        if status in (401, 403):
            return ConnectorError(
                "credentials_refused", f"{self.vendor} refused the credentials (HTTP {status})."
            )
        path = urlsplit(response.url).path
        if status == 404:
            return ConnectorError(
                "not_found",
                f"{self.vendor} has nothing at {path} (HTTP 404): {self.not_found_hint}.",
            )
        detail = f": {message}" if message else ""
        return ConnectorError(
            "vendor_error", f"{self.vendor} refused the request (HTTP {status}){detail}."
        )

    def _scrub(self, text: str) -> str:
        # A vendor echoing the token back must not put it in front of users.
        for secret in self.secrets:
            text = text.replace(secret, "…")
        return text

    # -- conveniences ----------------------------------------------------------------------

    def get_json(self, path_or_url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self._json_of(self.request("GET", path_or_url, params=params))

    def post_json(self, path_or_url: str, payload: Any) -> Any:
        return self._json_of(self.request("POST", path_or_url, json=payload))

    def _json_of(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                "vendor_error", f"{self.vendor} answered with something that is not JSON."
            ) from None
        finally:
            response.close()

    def download(self, path_or_url: str, target: IO[bytes]) -> int:
        """Stream a file into ``target`` (never whole into memory); the bytes written.

        A body cut off half way is fetched again from the start, within the same attempt limit.
        """
        failures = 0
        while True:
            target.seek(0)
            target.truncate()
            response = self.request("GET", path_or_url, stream=True)
            written = 0
            try:
                for chunk in response.iter_content(_CHUNK):
                    target.write(chunk)
                    written += len(chunk)
                target.flush()
                return written
            except _NETWORK_ERRORS as error:
                failures += 1
                last = "timeout" if isinstance(error, requests.Timeout) else "download cut off"
                self._backoff_or_give_up(failures, last)
            finally:
                response.close()
