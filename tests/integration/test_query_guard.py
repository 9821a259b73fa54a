"""Issue 26, item 1, against a running Neo4j: a user query never makes the server fetch a URL, the plan
layer refuses what the text layer might miss, deep nesting never reaches the server, and EXPLAIN runs
under the query's own timeout.

The pure tokenizer tests (no server) are in tests/unit/test_guard_unit.py.
"""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import transactions_running  # noqa: E402
from guard_attacks import ISSUE_TEXTS, LOAD_CSV, PORT, REDUCE, placements

from queries import runner
from queries.guard import QueryRefused
from ringtrace.cli import main as cli
from ringtrace.core.errors import RingtraceError

REDUCE_ATTACK = "WITH 1 AS `//` RETURN reduce(s=0, x IN range(1,1500000000) | s + x % 7)"


class Listener:
    """A loopback TCP listener on a free port that records every connection (and answers as HTTP with a
    one-line CSV, so a fetch that happens would succeed and be seen)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096) or b"<connected>")
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 6\r\n\r\nleak\n1")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture()
def listener():
    ear = Listener()
    yield ear
    ear.close()


def _aimed(text: str, port: int) -> str:
    return text.replace(f"127.0.0.1:{PORT}", f"127.0.0.1:{port}")


def _load_csv_variants(port: int, step: int) -> list[str]:
    texts = list(placements(LOAD_CSV, (0, 1)))[::step]
    return [_aimed(t, port) for t in ISSUE_TEXTS[:3] + texts]


def test_the_issue_texts_and_fuzzed_load_csv_never_reach_a_url(graph, listener):
    """The entry point the Queries page and `ringtrace query` use (runner.run_text) refuses each, and the
    listener the URLs name hears nothing."""
    variants = _load_csv_variants(listener.port, step=97)
    assert len(variants) > 900
    ran, failed = [], []
    for text in variants:
        try:
            runner.run_text(graph, text, timeout=10)
        except QueryRefused:
            continue
        except RingtraceError as exc:  # reached the server, which refused it for another reason
            failed.append((text, str(exc)))
            continue
        ran.append(text)
    time.sleep(0.5)
    assert listener.received == [], f"{len(listener.received)} fetches, from {len(ran)} queries that ran"
    assert not ran and not failed, (ran[:2], failed[:2])


def test_the_plan_layer_alone_refuses_load_csv_whatever_the_text(graph, listener):
    """EXPLAIN's LoadCSV operator is refused even when the text checks are skipped."""
    for text in _load_csv_variants(listener.port, step=4999):
        with pytest.raises(QueryRefused, match="LoadCSV"):
            runner.check_plan(graph, text, {})
    assert listener.received == []


def test_the_queries_page_refuses_the_issue_texts_for_a_viewer(sample_loaded, listener):
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    from workbench.session import PAGE_FILES

    app = str(Path(__file__).resolve().parents[2] / "app.py")
    st_config.set_option("server.address", "127.0.0.1")
    try:
        # the harness's wait for one script run, not a bound under test: in the full suite the server may
        # still be planning an earlier test's 40-hop pattern (planning goes on after its client gave up)
        at = AppTest.from_file(app, default_timeout=300)
        at.session_state["user"], at.session_state["role"] = "vic", "viewer"
        at.run()
        at.switch_page(PAGE_FILES["Queries"]).run()
        for text in ISSUE_TEXTS:
            at.text_area(key="adhoc").set_value(_aimed(text, listener.port)).run()
            at.button(key="adhoc-run").click().run()
            assert not at.exception, [e.value for e in at.exception]
            assert any("Refused" in e.value for e in at.error), (text, [e.value for e in at.error])
            assert "adhoc-result" not in at.session_state
    finally:
        st_config.set_option("server.address", None)
    time.sleep(0.5)
    assert listener.received == []


def _cli_env(monkeypatch, tmp_path: Path) -> None:
    from graph.db import server_settings

    server = server_settings()
    for k, v in (("NEO4J_URI", server.uri), ("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)):
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))


def test_the_cli_refuses_to_save_or_run_the_issue_texts(graph, listener, tmp_path, monkeypatch):
    """`ringtrace query save FILE` refuses each text; one placed in the library by hand is refused when run."""
    _cli_env(monkeypatch, tmp_path)
    library = tmp_path / "home" / "queries"
    library.mkdir(parents=True)
    cli_runner = CliRunner()
    for i, text in enumerate(ISSUE_TEXTS):
        body = f"// name: attack_{i}\n// title: t\n// description: d\n// tags: x\n{_aimed(text, listener.port)}\n"
        src = tmp_path / f"attack_{i}.cypher"
        src.write_text(body)
        res = cli_runner.invoke(cli, ["query", "save", str(src)])
        assert res.exit_code == 1 and "Refused" in res.output, (text, res.output)
        assert not (library / f"attack_{i}.cypher").exists()
        (library / f"attack_{i}.cypher").write_text(body)
        res = cli_runner.invoke(cli, ["query", f"attack_{i}", "--timeout", "5"])
        assert res.exit_code == 1 and "Refused" in res.output, (text, res.output)
    time.sleep(0.5)
    assert listener.received == []


def test_reduce_behind_a_backtick_comment_marker_is_refused_and_never_runs(graph):
    started = time.monotonic()
    with pytest.raises(QueryRefused, match="reduce"):
        runner.run_text(graph, REDUCE_ATTACK, timeout=5)
    assert time.monotonic() - started < 5
    assert not transactions_running(graph, "1500000000")


def test_fuzzed_reduce_placements_are_refused_before_they_run(graph):
    for text in list(placements(REDUCE, (1, 2)))[::211]:
        with pytest.raises(QueryRefused):
            runner.run_text(graph, text, timeout=5)
    assert not transactions_running(graph, "reduce")


def test_the_plan_layer_alone_refuses_reduce_and_unlisted_operators(graph):
    with pytest.raises(QueryRefused, match="reduce"):
        runner.check_plan(graph, "WITH 1 AS `//` RETURN reduce(s=0, x IN range(1,10) | s + x % 7) AS n", {})
    with pytest.raises(QueryRefused, match="ShowProcedures"):
        runner.check_plan(graph, "SHOW PROCEDURES YIELD name RETURN name", {})
    with pytest.raises(QueryRefused, match="ShowTransactions"):
        runner.check_plan(graph, "SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery", {})
    runner.check_plan(graph, "MATCH (a:Account) RETURN count(a) AS n", {})


@pytest.mark.parametrize("text", [
    "RETURN " + "(" * 5000 + "1" + ")" * 5000 + " AS n",
    "RETURN " + "(" * 500 + "1" + ")" * 500 + " AS n",
    "RETURN " + "[" * 300 + "1" + "]" * 300 + " AS n",
    "RETURN " + "NOT " * 300 + "true AS n",
    "WITH {} AS m RETURN m" + ".a" * 300 + " AS n",
])
def test_deep_nesting_is_refused_before_the_server_sees_it(graph, text):
    """5,000 nested parentheses stalled the server for minutes; 300 nested brackets or NOTs overflowed its
    stack (the connection then waited for an answer that never came)."""
    started = time.monotonic()
    with pytest.raises(QueryRefused, match="characters|nest|prefix|chain"):
        runner.run_text(graph, text, timeout=5)
    assert time.monotonic() - started < 2
    assert not transactions_running(graph, "((((") and not transactions_running(graph, "[[[[")


def test_explain_runs_under_the_query_timeout(graph):
    """A query whose planning alone takes longer than the timeout (a 40-hop pattern: 20 s to plan here) comes
    back within the timeout and the grace, stopped at EXPLAIN, not retried. (The alias is new each run: the
    server caches plans.)"""
    text = "MATCH (a)" + "--()" * 40 + f" RETURN count(*) AS n{time.time_ns()}"
    timeout = 1.0
    started = time.monotonic()
    with pytest.raises(RingtraceError, match="timeout"):
        runner.run_text(graph, text, timeout=timeout)
    assert time.monotonic() - started < timeout + runner.CLIENT_GRACE_S + 1
    deadline = time.monotonic() + 15
    while transactions_running(graph, "--()--()") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not transactions_running(graph, "--()--()"), "the EXPLAIN's transaction is still running"


def test_shipped_queries_pass_the_plan_layer(graph):
    from queries import library

    for q in library.load_library().values():
        runner.check_plan(graph, q.text, {p.name: p.default for p in q.params})
