"""Issue 26, items 5, 10 and 11: partner reports keyed by sender, a hostile TAXII server, hostile webhook
receivers and URLs, and malformed STIX. Every server here is a real HTTP server on loopback (http.server in
a thread) that misbehaves on purpose; the graph is a real Neo4j."""
from __future__ import annotations

import copy
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import pytest

from intel import reports, stix_in, taxii
from monitoring import alerts, webhook
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor

ADMIN = Actor("tester", "admin")
TAXII_MEDIA = "application/taxii+json;version=2.1"
COLLECTION = "2f6c1b7e-6a61-4a5e-9a3e-0c6f0d2b9d11"
STAMP = {"spec_version": "2.1", "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z"}
TLP_RED = stix_in.TLP_MARKING_IDS["red"]
TLP_WHITE = stix_in.TLP_MARKING_IDS["white"]


def _sid(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def _identity(name: str) -> dict:
    return {"type": "identity", "id": _sid("identity"), "name": name, "identity_class": "organization", **STAMP}


def _indicator(ip: str, by: str | None = None) -> dict:
    return {"type": "indicator", "id": _sid("indicator"), "pattern": f"[ipv4-addr:value = '{ip}']",
            "pattern_type": "stix", "valid_from": "2026-11-02T00:00:00Z", **STAMP,
            **({"created_by_ref": by} if by else {})}


def _report(name: str, refs: list[dict], by: str | None, tlp: str | None, report_id: str | None = None) -> dict:
    return {"type": "report", "id": report_id or _sid("report"), "name": name, "published": "2026-11-02T00:00:00Z",
            "report_types": ["threat-actor"], "object_refs": [o["id"] for o in refs], **STAMP,
            **({"created_by_ref": by} if by else {}), **({"object_marking_refs": [tlp]} if tlp else {})}


def _bundle(*objects: dict) -> dict:
    return {"type": "bundle", "id": _sid("bundle"), "objects": list(objects)}


# ---------------------------------------------------------------- item 5: reports keyed by (sender, id)

def test_a_second_bundle_reusing_a_report_id_cannot_rewrite_another_partners_report(graph):
    graph.write("CREATE (:Account {account_id: 'acc-a'})-[:SIGNED_UP_FROM]->(:IPAddress {ip: '198.51.100.10'})")
    graph.write("CREATE (:Account {account_id: 'acc-b'})-[:SIGNED_UP_FROM]->(:IPAddress {ip: '198.51.100.20'})")
    a, b = _identity("Partner A (fictional)"), _identity("Mallory Ltd (fictional)")
    ind_a, ind_b = _indicator("198.51.100.10", a["id"]), _indicator("198.51.100.20", b["id"])
    first = _report("Red report of A", [ind_a], a["id"], TLP_RED)
    forged = _report("Forged white copy", [ind_b], b["id"], TLP_WHITE, report_id=first["id"])
    for bundle, name in ((_bundle(a, first, ind_a), "a.json"), (_bundle(b, forged, ind_b), "b.json")):
        reports.import_report(graph, ADMIN, stix_in.parse(json.dumps(bundle), name), f"file:{name}")
    rows = graph.read("MATCH (r:IntelReport {report_id: $id}) RETURN r.partner AS partner, r.tlp AS tlp, "
                      "r.name AS name, [(r)-[:NAMES]->(i) | i.value] AS values ORDER BY partner",
                      {"id": first["id"]})
    by_partner = {r["partner"]: r for r in rows}
    assert set(by_partner) == {"Partner A (fictional)", "Mallory Ltd (fictional)"}, rows
    assert by_partner["Partner A (fictional)"]["tlp"] == "red"
    assert by_partner["Partner A (fictional)"]["name"] == "Red report of A"
    assert by_partner["Partner A (fictional)"]["values"] == ["198.51.100.10"]  # not re-attributed
    assert by_partner["Mallory Ltd (fictional)"]["values"] == ["198.51.100.20"]
    alerted = graph.read("MATCH (al:Alert)-[:FROM_REPORT]->(r:IntelReport) RETURN al.value AS value, "
                         "al.partner AS partner, collect(r.partner) AS reports")
    assert {(r["value"], r["partner"], tuple(r["reports"])) for r in alerted} == {
        ("198.51.100.10", "Partner A (fictional)", ("Partner A (fictional)",)),
        ("198.51.100.20", "Mallory Ltd (fictional)", ("Mallory Ltd (fictional)",))}
    # the same sender re-sending its own report updates it, and alerts nobody twice
    again = reports.import_report(graph, ADMIN, stix_in.parse(json.dumps(_bundle(a, first, ind_a)), "a.json"),
                                  "file:a.json")
    assert again.alerts == []
    assert graph.read("MATCH (r:IntelReport) RETURN count(r) AS n")[0]["n"] == 2


# ---------------------------------------------------------------- a hostile TAXII server on loopback

class _Taxii(http.server.BaseHTTPRequestHandler):
    """A TAXII 2.1 API root with one collection whose `objects` endpoint misbehaves as `mode` says."""

    mode = "good"
    pages: list[dict] = []  # the envelopes served in turn (the last one again and again)
    redirect_to = ""
    served = 0
    hits: list[str] = []
    posted: list[bytes] = []

    def _send(self, body: bytes, status: int = 200, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", TAXII_MEDIA)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        cls = type(self)
        cls.hits.append(self.path)
        if self.path.endswith("/collections/"):
            return self._send(json.dumps({"collections": [{
                "id": COLLECTION, "title": "hostile", "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"]}]}).encode())
        if "/objects/" not in self.path:
            return self._send(b"{}", 404)
        if cls.mode == "redirect":
            return self._send(b"", 302, {"Location": cls.redirect_to + self.path})
        if cls.mode == "silent":
            time.sleep(15)
            return self._send(json.dumps({"more": False, "objects": []}).encode())
        if cls.mode == "drip":  # a valid answer, one byte every 0.2 s: each read is quick, the whole is not
            body = json.dumps({"more": False, "objects": [], "pad": " " * 60}).encode()
            self.send_response(200)
            self.send_header("Content-Type", TAXII_MEDIA)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return None
        if cls.mode == "deep":
            return self._send(b"[" * 200_000 + b"]" * 200_000)
        if cls.mode == "huge":
            filler = [{"type": "x-filler", "id": _sid("x-filler"), "pad": "x" * 1000} for _ in range(3000)]
            return self._send(json.dumps({"more": False, "objects": filler}).encode())
        page = cls.pages[min(cls.served, len(cls.pages) - 1)]
        cls.served += 1
        if cls.served > 60:  # the test's own guard: never let an unbounded client spin forever
            page = {"more": False, "objects": []}
        self._send(json.dumps(page).encode())

    def do_POST(self) -> None:  # noqa: N802
        cls = type(self)
        cls.hits.append(self.path)
        cls.posted.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        if cls.mode == "redirect":
            return self._send(b"", 307, {"Location": cls.redirect_to + self.path})
        self._send(json.dumps({"id": str(uuid.uuid4()), "status": "complete", "total_count": 1,
                               "success_count": 1, "failure_count": 0, "pending_count": 0}).encode())

    def log_message(self, *args) -> None:
        pass


class _Sink(http.server.BaseHTTPRequestHandler):
    """Where a redirect points: it records every request it receives and answers 200."""

    received: list[tuple[str, str, bytes]] = []

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append((self.command, self.path, body))
        out = json.dumps({"more": False, "objects": [_indicator("203.0.113.66")],
                          "id": str(uuid.uuid4()), "status": "complete", "total_count": 1, "success_count": 1,
                          "failure_count": 0, "pending_count": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", TAXII_MEDIA)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _any

    def log_message(self, *args) -> None:
        pass


def _serve(handler: type) -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


@pytest.fixture()
def hostile_taxii(monkeypatch):
    _Taxii.mode, _Taxii.pages, _Taxii.served, _Taxii.hits, _Taxii.posted = "good", [], 0, [], []
    _Sink.received = []
    server, port = _serve(_Taxii)
    sink, sink_port = _serve(_Sink)
    _Taxii.redirect_to = f"http://127.0.0.1:{sink_port}"
    monkeypatch.setenv("RINGTRACE_TAXII_URL", f"http://127.0.0.1:{port}/api1/")
    monkeypatch.setenv("RINGTRACE_TAXII_COLLECTION", "hostile")
    monkeypatch.setenv("RINGTRACE_TAXII_USER", "ringtrace")
    monkeypatch.setenv("RINGTRACE_TAXII_PASSWORD", "taxii-secret")
    yield _Taxii, port
    server.shutdown()
    sink.shutdown()


def _object_requests(server: type) -> int:
    return sum("/objects/" in p for p in server.hits)


def test_taxii_pull_stops_at_the_page_cap(graph, hostile_taxii, monkeypatch):
    server, _ = hostile_taxii
    monkeypatch.setenv("RINGTRACE_TAXII_MAX_PAGES", "5")
    server.pages = [{"more": True, "next": f"page-{i}", "objects": []} for i in range(1, 200)]
    with pytest.raises(RingtraceError, match="more than 5 pages"):
        taxii.pull(graph, ADMIN)
    assert _object_requests(server) == 5
    assert graph.read("MATCH (f:IntelFeed) RETURN f.last_added AS last")[0]["last"] is None  # nothing taken


@pytest.mark.parametrize("pages", [
    [{"more": True, "next": "again", "objects": []}],  # the same `next` again and again
    [{"more": True, "next": "a", "objects": []}, {"more": True, "next": "b", "objects": []},
     {"more": True, "next": "a", "objects": []}],  # a cycle
    [{"more": True, "objects": []}],  # more, but no `next` to ask for
])
def test_taxii_pull_refuses_a_repeated_next(graph, hostile_taxii, pages):
    server, _ = hostile_taxii
    server.pages = pages
    with pytest.raises(RingtraceError, match="page again|no `next`"):
        taxii.pull(graph, ADMIN)
    assert _object_requests(server) <= len(pages) + 1


def test_taxii_pull_times_out_on_a_server_that_never_answers(graph, hostile_taxii, monkeypatch):
    server, _ = hostile_taxii
    server.mode = "silent"
    monkeypatch.setenv("RINGTRACE_TAXII_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(RingtraceError, match="did not answer|timed out"):
        taxii.pull(graph, ADMIN)
    assert time.monotonic() - started < 6


def test_taxii_pull_times_out_on_an_answer_dripped_byte_by_byte(graph, hostile_taxii, monkeypatch):
    server, _ = hostile_taxii
    server.mode = "drip"  # about 20 s for the whole answer
    monkeypatch.setenv("RINGTRACE_TAXII_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(RingtraceError, match="did not finish its answer within 1 s"):
        taxii.pull(graph, ADMIN)
    assert time.monotonic() - started < 6


def test_taxii_pull_refuses_a_response_over_the_size_cap(graph, hostile_taxii, monkeypatch):
    server, _ = hostile_taxii
    server.mode = "huge"  # about 3 MB
    monkeypatch.setenv("RINGTRACE_TAXII_MAX_BYTES", str(1 << 20))
    with pytest.raises(RingtraceError, match="more than 1,048,576 bytes"):
        taxii.pull(graph, ADMIN)


def test_taxii_pull_refuses_200k_deep_json_clearly(graph, hostile_taxii):
    server, _ = hostile_taxii
    server.mode = "deep"
    with pytest.raises(RingtraceError, match="nested"):
        taxii.pull(graph, ADMIN)


def test_one_malformed_object_is_skipped_and_reported_and_never_blocks_a_later_pull(graph, hostile_taxii):
    server, _ = hostile_taxii
    graph.write("CREATE (:Account {account_id: 'acc-good'})-[:SIGNED_UP_FROM]->(:IPAddress {ip: '198.51.100.30'})")
    partner = _identity("Partner C (fictional)")
    good = _indicator("198.51.100.30", partner["id"])
    bad = {**_indicator("198.51.100.31", partner["id"]), "pattern": "[ipv4-addr:value = ]"}
    wrong = {"type": "indicator", "id": ["not", "a", "string"], "pattern": 5}
    report = _report("Good and bad together", [good, bad], partner["id"], None)
    other = _report("A second report", [good], partner["id"], None)
    server.pages = [{"more": True, "next": "2", "objects": [partner, report, good, bad, wrong, "text"]},
                    {"more": False, "objects": [other]}]
    pulled = taxii.pull(graph, ADMIN)
    names = {r.report.name for r in pulled.results}
    assert {"Good and bad together", "A second report"} <= names
    first = next(r for r in pulled.results if r.report.name == "Good and bad together")
    assert {it.value for it in first.report.items} == {"198.51.100.30"}
    assert any(sid == bad["id"] and "invalid STIX pattern" in why for sid, why in first.report.skipped)
    assert len(pulled.skipped) == 2, pulled.skipped  # the object without a string id, and the string
    assert graph.read("MATCH (al:Alert) RETURN al.accounts AS a")[0]["a"] == ["acc-good"]
    server.pages, server.served = [{"more": False, "objects": []}], 0
    assert taxii.pull(graph, ADMIN).results == []  # the feed moved on: the bad object blocks nothing


def test_taxii_pull_follows_no_redirect(graph, hostile_taxii):
    server, _ = hostile_taxii
    server.mode = "redirect"
    with pytest.raises(RingtraceError, match="redirect"):
        taxii.pull(graph, ADMIN)
    assert _Sink.received == []
    assert graph.read("MATCH (r:IntelReport) RETURN count(r) AS n")[0]["n"] == 0


def _listener() -> tuple[socket.socket, list[bytes]]:
    """A bare TCP listener on loopback that records whatever connects to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    heard: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                heard.append(conn.recv(65536))
            except OSError:
                heard.append(b"")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return sock, heard


@pytest.mark.parametrize("template", [
    "http://127.1:{port}\\@127.0.0.1/api1/",
    "http://203.0.113.9\\@127.0.0.1/api1/",
    "http://127.0.0.1:{port}\\@127.0.0.1/api1/",
    "http://127.0.0.1:{port}/api1/\t",
])
def test_a_url_is_checked_with_the_parser_that_connects(graph, monkeypatch, template):
    sock, heard = _listener()
    port = sock.getsockname()[1]
    url = template.format(port=port)
    try:
        with pytest.raises(RingtraceError, match="RINGTRACE_TAXII_URL"):
            webhook.check_url(url, "RINGTRACE_TAXII_URL")
        monkeypatch.setenv("RINGTRACE_TAXII_URL", url)
        monkeypatch.setenv("RINGTRACE_TAXII_COLLECTION", "any")
        monkeypatch.setenv("RINGTRACE_TAXII_USER", "ringtrace")
        monkeypatch.setenv("RINGTRACE_TAXII_PASSWORD", "taxii-secret")
        with pytest.raises(RingtraceError):
            taxii.pull(graph, ADMIN)
        monkeypatch.setenv("RINGTRACE_ALERT_WEBHOOK", url.replace("api1", "alerts"))
        assert webhook.deliver(url.replace("api1", "alerts"), {"alerts": []}, retries=1).startswith("failed")
        time.sleep(0.3)
        assert heard == []  # nothing connected to the host the URL really names
    finally:
        sock.close()


# ---------------------------------------------------------------- webhooks

class _Hook(http.server.BaseHTTPRequestHandler):
    location = ""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(302)
        self.send_header("Location", type(self).location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_webhook_answered_with_a_redirect_is_not_delivered_and_not_followed():
    _Sink.received = []
    sink, sink_port = _serve(_Sink)
    hook, hook_port = _serve(_Hook)
    _Hook.location = f"http://127.0.0.1:{sink_port}/elsewhere"
    try:
        status = webhook.deliver(f"http://127.0.0.1:{hook_port}/alerts", {"alerts": [{"alert_id": "al1"}]},
                                 retries=2, backoff=0)
    finally:
        sink.shutdown()
        hook.shutdown()
    assert status.startswith("failed") and "redirect" in status, status
    assert _Sink.received == []


SECRET_URLS = ["http://hook-user:hunter2@203.0.113.7/alerts?token=s3cr3t-token",
               "http://hook-user:hunter2@127.0.0.1:{closed}/alerts?token=s3cr3t-token&x=1"]


@pytest.mark.parametrize("template", SECRET_URLS)
def test_a_webhook_url_carrying_a_secret_is_never_stored_or_shown(graph, monkeypatch, caplog, template):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: delivery fails with a connection error
    url = template.format(closed=port)
    monkeypatch.setenv("RINGTRACE_ALERT_WEBHOOK", url)
    monkeypatch.setenv("RINGTRACE_WEBHOOK_RETRIES", "1")
    graph.write("CREATE (:Account {account_id: 'acc-w'})")
    hit = alerts.Watched("case", "case-w", "Webhook case", "device", "dev-1")
    with caplog.at_level("DEBUG"):
        rows = alerts.raise_alerts(graph, [(hit, ["acc-w"])], "test")
    stored = graph.read("MATCH (al:Alert) RETURN properties(al) AS p")
    listed = subprocess.run([sys.executable, "-m", "ringtrace.cli", "alerts", "--json"], capture_output=True,
                            text=True)
    seen = json.dumps(rows, default=str) + json.dumps(stored, default=str) + listed.stdout + listed.stderr + \
        caplog.text
    assert rows and rows[0]["webhook"].startswith("failed"), rows
    for secret in ("hunter2", "s3cr3t-token", "hook-user"):
        assert secret not in seen
    assert "***" in stored[0]["p"]["webhook"] or "203.0.113.7" not in url  # a redacted form names the target


# ---------------------------------------------------------------- item 10: malformed STIX and addresses

def test_200k_deep_json_is_refused_clearly():
    deep = b'{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()).encode() + b'", "objects": ' + \
        b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(RingtraceError, match="nested"):
        stix_in.parse(deep, "deep.json")
    with pytest.raises(RingtraceError, match="nested"):
        stix_in.parse(b"[" * 200_000 + b"]" * 200_000, "deep.json")


WRONG_VALUES: list[Any] = [None, 1, 2.5, True, "x", [], {}, ["x"], [[]], [{}], {"a": 1}, [1, None]]


def _good_bundle() -> dict:
    partner = _identity("Partner D (fictional)")
    marking = {"type": "marking-definition", "id": _sid("marking-definition"), "spec_version": "2.1",
               "created": STAMP["created"], "definition_type": "tlp", "definition": {"tlp": "amber"}}
    ind = _indicator("198.51.100.40", partner["id"])
    sco = {"type": "ipv4-addr", "id": _sid("ipv4-addr"), "spec_version": "2.1", "value": "198.51.100.41"}
    custom = {"type": "x-ringtrace-identifier", "id": _sid("x-ringtrace-identifier"), "kind": "card",
              "value": "fp-1"}
    report = _report("Typed", [ind, sco, custom], partner["id"], marking["id"])
    return _bundle(partner, marking, report, ind, sco, custom)


def test_wrong_types_anywhere_give_a_refusal_or_a_skip_never_a_crash():
    base = _good_bundle()
    tried = 0
    for i, obj in enumerate(base["objects"]):
        for key in obj:
            for value in WRONG_VALUES:
                bundle = copy.deepcopy(base)
                bundle["objects"][i][key] = value
                tried += 1
                try:
                    stix_in.parse(json.dumps(bundle), "typed.json")
                except RingtraceError:
                    pass
    for key in ("objects", "id", "type"):
        for value in WRONG_VALUES:
            try:
                stix_in.parse(json.dumps({**base, key: value}), "typed.json")
            except RingtraceError:
                pass
    for value in WRONG_VALUES:
        try:
            stix_in.parse(json.dumps({**base, "objects": [*base["objects"], value]}), "typed.json")
        except RingtraceError:
            pass
    assert tried > 300


@pytest.mark.parametrize("value, expected", [
    ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("2001:0db8::0001", "2001:db8::1"),
    ("198.51.100.7/32", "198.51.100.7"),
    ("2001:db8::1/128", "2001:db8::1"),
    (" 198.51.100.8 ", "198.51.100.8"),
])
def test_addresses_are_canonicalised_with_ipaddress(value, expected):
    ind = {**_indicator("0.0.0.1"), "pattern": f"[ipv6-addr:value = '{value}']"}
    sco = {"type": "ipv6-addr", "id": _sid("ipv6-addr"), "spec_version": "2.1", "value": value}
    for obj in (ind, sco):
        report = stix_in.parse(json.dumps(_bundle(obj)), "v6.json")
        assert [(it.kind, it.value) for it in report.items] == [("ip", expected)], report


@pytest.mark.parametrize("value", ["0.0.0.0/0", "10.0.0.0/8", "::/0", "2001:db8::/32", "not-an-address",
                                   "999.1.1.1"])
def test_ranges_and_non_addresses_are_skipped_and_reported(value):
    ind = {**_indicator("0.0.0.1"), "pattern": f"[ipv4-addr:value = '{value}']"}
    sco = {"type": "ipv4-addr", "id": _sid("ipv4-addr"), "spec_version": "2.1", "value": value}
    custom = {"type": "x-ringtrace-identifier", "id": _sid("x-ringtrace-identifier"), "kind": "key_ip",
              "value": value}
    keep = _indicator("198.51.100.50")
    report = stix_in.parse(json.dumps(_bundle(ind, sco, custom, keep)), "ranges.json")
    assert [(it.kind, it.value) for it in report.items] == [("ip", "198.51.100.50")]
    skipped = dict(report.skipped)
    for obj in (ind, sco, custom):
        assert value.strip() in skipped[obj["id"]], skipped


# last in the file: the sample it loads is slow to empty for the tests above on a small test server
def test_taxii_publish_reposts_nothing_to_a_redirect_target(sample_detected, hostile_taxii):
    from cases import store

    g, result, _ = sample_detected
    case_id = store.open_case(g, ADMIN, "Shared with a hostile server", result.campaigns[0].campaign_id)
    store.update(g, ADMIN, case_id, status="confirmed")
    server, _ = hostile_taxii
    server.mode = "redirect"
    with pytest.raises(RingtraceError, match="redirect"):
        taxii.publish(g, case_id)
    assert _Sink.received == []  # the TLP:AMBER objects went nowhere else
