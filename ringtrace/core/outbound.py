"""Outbound HTTP (the alert webhook, TAXII): the URL rule, checked on the URL exactly as it is sent, and
requests that stay on one origin, follow no redirect, time out and stop reading at a size cap.

The rule: http(s) only, plain http only to a loopback address (what travels names accounts, and carries
credentials). It is checked on the URL as `requests` prepares it and with the parser its adapter connects
with (`urllib.parse`), after refusing backslashes, spaces and control characters outright: parsers disagree
on those (`http://127.1:9607\\@127.0.0.1/` is host 127.0.0.1 to `urlparse` and host 127.1 to requests).
URLs in messages are redacted: user info and query values become `***`.
"""
from __future__ import annotations

import ipaddress
import json
import re
import time
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from ringtrace.core.errors import RingtraceError

UNSAFE_CHARACTERS = re.compile(r"[\\\s\x00-\x1f\x7f]")
READ_CHUNK = 1 << 16


class Refused(RingtraceError):
    """A request ringtrace will not make or a response it will not take (retrying does not help)."""


class Unreachable(RingtraceError):
    """The other end did not answer in time or could not be reached (a retry may help)."""


def redact(url: object) -> str:
    """The URL with its user info and every query value replaced by `***`, without its fragment."""
    text = str(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<a URL that does not parse>"
    if ":" in host:
        host = f"[{host}]"
    netloc = ("***@" if "@" in parts.netloc else "") + host + port
    query = "&".join(f"{quote(k)}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def scrub(text: str, url: str) -> str:
    """`text` with `url` and each secret part of it (user, password, query values) replaced by `***`."""
    out = text.replace(url, redact(url))
    try:
        parts = urlsplit(url)
        secrets = [parts.username, parts.password, *(v for _, v in parse_qsl(parts.query))]
    except ValueError:
        return out
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        out = out.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return out


def check_url(url: str, setting: str) -> str:
    """The URL as it will be sent, if it obeys the rule (http(s); plain http only to loopback)."""
    if not isinstance(url, str) or UNSAFE_CHARACTERS.search(url):
        raise Refused(f"{setting}={redact(url)!r} holds a backslash, a space or a control character: "
                      "write the URL plainly (https://host/path).")
    try:
        sent = requests.Request("GET", url).prepare().url or ""
        parts = urlsplit(sent)  # the parser requests' adapter picks the host and port with
        host, _ = parts.hostname, parts.port
    except (requests.RequestException, ValueError, UnicodeError) as exc:
        raise Refused(f"{setting}={redact(url)!r} is not a usable URL ({type(exc).__name__}): set it to "
                      "https://host/path.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Refused(f"{setting}={redact(url)!r} is not an http(s) URL: set it to https://host/path.")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise Refused(f"{setting}={redact(url)!r} uses plain http to another machine ({host}): use https.")
    return sent


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


class Session(requests.Session):
    """A requests session bound to the origin of one checked URL.

    Every request is checked against the rule and that origin, follows no redirect (a 3xx answer is
    refused), must be answered within `timeout_s` (connecting, each read, and the whole body), and may read
    at most `max_bytes` of body over the session's life (0: bodies are not read)."""

    def __init__(self, url: str, setting: str, what: str, timeout_s: float, max_bytes: int) -> None:
        super().__init__()
        self.setting, self.what, self.timeout_s = setting, what, timeout_s
        self.origin = origin(check_url(url, setting))
        self.max_bytes = self.remaining = max_bytes

    def request(self, method: str, url: str, *args, **kwargs) -> requests.Response:  # type: ignore[override]
        sent = check_url(url, self.setting)
        if origin(sent) != self.origin:
            raise Refused(f"{self.what} sent ringtrace to {redact(sent)}, another server than {self.setting} "
                          "names: refused.")
        kwargs.update(allow_redirects=False, stream=True, timeout=(self.timeout_s, self.timeout_s))
        deadline = time.monotonic() + self.timeout_s
        try:
            response = super().request(method, sent, *args, **kwargs)
        except requests.Timeout:
            raise Unreachable(f"{self.what} ({redact(sent)}) did not answer within {self.timeout_s:g} s.") from None
        except requests.RequestException as exc:
            raise Unreachable(f"{self.what} ({redact(sent)}) could not be reached: "
                              f"{scrub(str(exc), sent)[:300]}") from None
        with response:
            if 300 <= response.status_code < 400:
                raise Refused(f"{self.what} answered HTTP {response.status_code} with a redirect to "
                              f"{redact(response.headers.get('Location', '?'))}: redirects are not followed "
                              f"(set {self.setting} to the final URL).")
            body = self._read(response, deadline) if self.max_bytes else b""
        response._content, response._content_consumed = body, True  # what requests' .content/.json() read
        response.json = lambda **_: self._json(body)  # type: ignore[method-assign]  # taxii2client calls it
        return response

    def _json(self, body: bytes) -> object:
        try:
            return json.loads(body)
        except RecursionError:
            raise Refused(f"{self.what} sent JSON nested too deeply to read: refused.") from None

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.remaining:
            raise Refused(self._too_large())
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise Unreachable(f"{self.what} did not finish its answer within {self.timeout_s:g} s.")
            try:
                chunk = response.raw.read1(READ_CHUNK, decode_content=True)
            except (requests.RequestException, OSError, ValueError) as exc:
                raise Unreachable(f"{self.what} broke off its answer: {type(exc).__name__}.") from None
            if not chunk:
                break
            size += len(chunk)
            if size > self.remaining:
                raise Refused(self._too_large())
            chunks.append(chunk)
        self.remaining -= size
        return b"".join(chunks)

    def _too_large(self) -> str:
        return (f"{self.what} sent more than {self.max_bytes:,} bytes: refused, nothing of it was used "
                f"(see the size cap in README: Configuration).")
