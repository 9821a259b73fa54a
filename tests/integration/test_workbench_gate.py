"""Issue 26, item 3, on a real `ringtrace app` (loopback, a login required because a proxy header is
configured): a websocket client presenting a signed-in browser's session id must not get that sign-in, and
an upload before sign-in (or over the cap) is refused before Streamlit stores it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT_MS, free_port, wait_healthy, wait_idle

XSRF_COOKIE = "_streamlit_xsrf"


@pytest.fixture()
def workbench(neo4j_server, tmp_path):
    """`ringtrace app` on a free loopback port behind a (pretended) proxy, with one investigator, on the test
    server; yields (url, home)."""
    from graph.db import server_settings

    server = server_settings()
    home = tmp_path / "home"
    env = dict(os.environ, RINGTRACE_HOME=str(home), RINGTRACE_TRUSTED_PROXY_HEADER="X-Forwarded-For",
               NEO4J_URI=server.uri, NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
    env.pop("RINGTRACE_USER", None)
    subprocess.run([sys.executable, "-m", "ringtrace.cli", "user", "add", "ivan", "--role", "investigator",
                    "--password", "right-password"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ringtrace.cli", "app", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url), "the workbench did not start"
        yield url, home
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _forward_msgs(ws, seconds: float) -> list:
    """The ForwardMsgs a websocket receives until a script run finishes, not stopped for a rerun (or `seconds`
    pass)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            frame = ws.recv(timeout=max(0.1, end - time.monotonic()))
        except TimeoutError:
            break
        msg = ForwardMsg()
        msg.ParseFromString(frame)
        got.append(msg)
        if msg.WhichOneof("type") == "script_finished" and \
                msg.script_finished != ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
            break
    return got


class Client:
    """A client that is no browser: its own cookies from the page, then Streamlit's websocket protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.get(url + "/", timeout=30)
        self.http.get(url + "/_stcore/health", timeout=30)  # Streamlit sets its XSRF cookie here, as for a browser
        self.xsrf = self.http.cookies.get(XSRF_COOKIE)

    def connect(self, session_id: str | None = None):
        from websockets.sync.client import connect

        protocols = ["streamlit", self.xsrf] + ([session_id] if session_id else [])
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        return connect(self.url.replace("http", "ws") + "/_stcore/stream", origin=self.url,
                       subprotocols=protocols, additional_headers={"Cookie": cookie}, max_size=None,
                       open_timeout=30)

    @staticmethod
    def rerun(ws) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState

        ws.send(BackMsg(rerun_script=ClientState(query_string="", page_script_hash="")).SerializeToString())

    def upload(self, session_id: str, size: int, cookies: dict[str, str] | None = None) -> int:
        jar = {c.name: c.value for c in self.http.cookies} | (cookies or {})
        r = requests.put(f"{self.url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
                         files={"file": ("big.json", b"{" + b" " * size + b"}", "application/json")},
                         headers={"X-Xsrftoken": jar.get(XSRF_COOKIE, ""), "Origin": self.url}, cookies=jar,
                         timeout=120)
        return r.status_code


def _session_of(msgs) -> str | None:
    for m in msgs:
        if m.WhichOneof("type") == "new_session":
            return m.new_session.initialize.session_id
    return None


def _text(msgs) -> bytes:
    return b"".join(m.SerializeToString() for m in msgs)


def _audited(home: Path, action: str) -> list[dict]:
    log = home / "audit.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [e for e in map(json.loads, lines) if e["action"] == action]


def _signed_in_victim(p, url: str):
    """A browser signed in as ivan: (browser, its context, its session id, as seen on its websocket)."""
    seen: list[str] = []

    def watch(ws) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def frame(payload) -> None:
            if isinstance(payload, (bytes, bytearray)):
                msg = ForwardMsg()
                msg.ParseFromString(bytes(payload))
                if msg.WhichOneof("type") == "new_session":
                    seen.append(msg.new_session.initialize.session_id)
        ws.on("framereceived", frame)

    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.on("websocket", watch)
    page.goto(url)
    page.get_by_role("textbox", name="User").fill("ivan")
    page.get_by_role("textbox", name="Password").fill("right-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as ivan", exact=False).wait_for()
    wait_idle(page)
    assert seen, "the victim's session id was seen on its websocket"
    return browser, context, page, seen[-1]


def test_another_sessions_id_does_not_carry_its_sign_in(workbench):
    pw = pytest.importorskip("playwright.sync_api")
    url, home = workbench
    with pw.sync_playwright() as p:
        browser, victim, page, victim_session = _signed_in_victim(p, url)
        attacker = Client(url)
        with attacker.connect(victim_session) as ws:
            attacker.rerun(ws)
            msgs = _forward_msgs(ws, 60)
        assert _session_of(msgs) == victim_session, "Streamlit hands the session over (what the gate must stop)"
        shown = _text(msgs)
        drawn = b"".join(m.SerializeToString() for m in msgs if m.WhichOneof("type") == "delta")
        assert b"Signed in as" not in shown, "the attacker is not signed in as the victim"
        assert b"Overview" not in drawn, "and none of the victim's pages is drawn"
        assert b"Sign in" in shown, "the attacker sees the sign-in form"
        refused = _audited(home, "session_refused")
        assert refused and refused[-1]["user"] == "ivan"
        # what the gate keys on is the browser's HttpOnly cookie: the page's scripts cannot read it
        cookies = {c["name"]: c for c in victim.cookies()}
        assert cookies["ringtrace_browser"]["httpOnly"] and cookies["ringtrace_browser"]["sameSite"] == "Strict"
        assert "ringtrace_browser" not in page.evaluate("document.cookie")
        browser.close()


def test_a_signed_in_browser_uploads_up_to_the_cap(workbench, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    url, _ = workbench
    with pw.sync_playwright() as p:
        browser, victim, page, session = _signed_in_victim(p, url)
        cookies = {c["name"]: c["value"] for c in victim.cookies()}
        client = Client(url)
        assert client.upload(session, 1 << 10, cookies) in (200, 204), "the signed-in browser may upload"
        assert client.upload(session, 11 << 20, cookies) == 413, "but not past the cap"
        assert client.upload(session, 1 << 10) == 403, "another client may not upload to that session"

        # and the browser's own file uploader (a partner's STIX bundle on the Alerts page) goes through the gate
        from browser_helpers import nav

        bundle = tmp_path / "partner-bundle.json"
        bundle.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": []}))
        nav(page, "Alerts")
        page.locator("input[type=file]").set_input_files(str(bundle))
        page.get_by_role("button", name="Import report").wait_for()  # drawn only once the upload is stored
        assert "403" not in page.inner_text("body")
        browser.close()


def test_uploads_and_unused_routes_are_refused_before_sign_in(workbench):
    """An anonymous client uploaded to its own, never signed-in session (the issue: 400 MB held by 4 uploads)."""
    from ringtrace.core import config

    url, home = workbench
    attacker = Client(url)
    with attacker.connect() as ws:
        attacker.rerun(ws)
        session = _session_of(_forward_msgs(ws, 60))
        assert session
        assert attacker.upload(session, 1 << 20) == 403, "an upload before sign-in is refused"
        assert attacker.upload(session, 1 << 10) == 403
    for route in ("/_stcore/metrics", "/_stcore/agent/openapi.json", "/media/x.png"):
        assert attacker.http.get(url + route, timeout=30).status_code == 403, route
    assert attacker.http.get(url + "/_stcore/health", timeout=30).status_code == 200
    assert config.WORKBENCH_MAX_UPLOAD_MB <= 10
