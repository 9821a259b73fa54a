"""The workbench's HTTP gate, in front of Streamlit's own routes: a signed HttpOnly cookie for each browser,
the binding of a signed-in Streamlit session to the browser that signed in, and uploads refused for a
session that is not signed in (or too large).

Streamlit lets any websocket client name an existing session id and take that session over, its
`st.session_state` (so its sign-in) included. The sign-in is therefore bound to the browser's cookie,
which the page's scripts cannot read (HttpOnly) and a client presenting another session's id does not
hold: every script run checks it (`workbench/entry/app.py`)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Awaitable, Callable

from starlette.middleware import Middleware
from streamlit import config as st_config

from ringtrace.core import config

COOKIE = "ringtrace_browser"
UPLOAD_ROUTE = "/_stcore/upload_file/"
MEDIA_ROUTE = "/media/"  # files a page made (bundle downloads among them), named by a hash of their content
# Streamlit routes the workbench does not use, refused to everyone: session and cache figures, and the
# experimental agent API (a non-browser client driving the app; off by default)
REFUSED_ROUTES = ("/_stcore/metrics", "/_stcore/agent/")
_MULTIPART_OVERHEAD = 64 << 10  # an upload's body is the file plus its multipart headers
# Sign-ins live in this server process's memory (Streamlit's sessions do too), so the cookie's key does.
_KEY = secrets.token_bytes(32)


def _signature(token: str) -> str:
    return hmac.new(_KEY, token.encode(), hashlib.sha256).hexdigest()


def new_cookie() -> str:
    """A new browser id, signed with this process's key."""
    token = secrets.token_urlsafe(32)
    return f"{token}.{_signature(token)}"


def verified(value: str | None) -> str | None:
    """`value` when it is a browser id this process signed, else None."""
    if not value or len(value) > 200 or "." not in value:
        return None
    token, signature = value.rsplit(".", 1)
    return value if hmac.compare_digest(signature, _signature(token)) else None


@dataclass
class Binding:
    """A signed-in session: its browser, user and role, and when it was last used."""

    browser: str
    user: str
    role: str
    seen: float


_bindings: dict[str, Binding] = {}
_lock = threading.Lock()


def _forget_idle(now: float) -> None:
    for session_id in [s for s, b in _bindings.items() if now - b.seen > config.WORKBENCH_IDLE_SIGN_OUT_S]:
        del _bindings[session_id]


def bind(session_id: str, browser: str, user: str, role: str) -> None:
    """Record that `session_id` is signed in as `user` from `browser`."""
    now = time.time()
    with _lock:
        _forget_idle(now)
        _bindings[session_id] = Binding(browser, user, role, now)


def bound(session_id: str, browser: str | None) -> Binding | None:
    """The session's sign-in when `browser` is the one that signed in (and it has not gone idle), else None."""
    now = time.time()
    with _lock:
        _forget_idle(now)
        binding = _bindings.get(session_id)
        if binding is None or browser is None or not hmac.compare_digest(binding.browser, browser):
            return None
        binding.seen = now
        return binding


def unbind(session_id: str) -> None:
    with _lock:
        _bindings.pop(session_id, None)


def signed_in_browser(browser: str | None) -> bool:
    """Whether `browser` holds a sign-in in any session."""
    with _lock:
        return browser is not None and any(hmac.compare_digest(b.browser, browser) for b in _bindings.values())


def _route(path: str) -> str:
    """`path` without the server's base URL path (`server.baseUrlPath`)."""
    base = "/" + str(st_config.get_option("server.baseUrlPath") or "").strip("/")
    return path[len(base):] if base != "/" and path.startswith(base + "/") else path


def _cookies(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
    return {k: m.value for k, m in jar.items()}


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name.lower() == wanted:
            return value.decode("latin-1")
    return None


def set_cookie_header(value: str, secure: bool) -> bytes:
    return (f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")).encode()


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Gate:
    """ASGI middleware: gives each browser a signed HttpOnly id; refuses uploads to a session that the browser
    has not signed in (before Streamlit reads the body) and any larger than the upload cap, media files to a
    browser signed in nowhere, and the Streamlit routes the workbench does not use."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        browser = verified(_cookies(headers).get(COOKIE))
        path = _route(scope.get("path", ""))
        refusal = None
        if path.startswith(REFUSED_ROUTES):
            refusal = 403, "Not served by the ringtrace workbench."
        elif path.startswith(UPLOAD_ROUTE) and scope.get("method") != "OPTIONS":
            refusal = self._upload_refusal(path[len(UPLOAD_ROUTE):].split("/", 1)[0], browser, headers,
                                           scope.get("method") == "DELETE")
        elif path.startswith(MEDIA_ROUTE) and not signed_in_browser(browser):
            refusal = 403, "Sign in first."
        if refusal:
            await _respond(send, *refusal)
            return
        if browser is not None:
            await self.app(scope, receive, send)
            return
        cookie = set_cookie_header(new_cookie(), secure=scope.get("scheme") == "https")

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers") or []) + [(b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _upload_refusal(session_id: str, browser: str | None, headers: list[tuple[bytes, bytes]],
                        removal: bool) -> tuple[int, str] | None:
        if bound(session_id, browser) is None:
            return 403, "Sign in first."
        if removal:
            return None
        length = _header(headers, b"content-length")
        limit = config.WORKBENCH_MAX_UPLOAD_MB << 20
        if length is None or not length.isdigit() or int(length) > limit + _MULTIPART_OVERHEAD:
            return 413, f"Uploads are at most {config.WORKBENCH_MAX_UPLOAD_MB} MB, with a Content-Length."
        return None


async def _respond(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def cap_uploads() -> None:
    """Streamlit's own upload cap lowered to ringtrace's (its default is 200 MB)."""
    if st_config.get_option("server.maxUploadSize") > config.WORKBENCH_MAX_UPLOAD_MB:
        st_config.set_option("server.maxUploadSize", config.WORKBENCH_MAX_UPLOAD_MB)


def app_options() -> dict[str, Any]:
    """What `st.App` needs to serve the workbench behind the gate (workbench/entry/server.py, app.py)."""
    cap_uploads()
    return {"middleware": [Middleware(Gate)]}
