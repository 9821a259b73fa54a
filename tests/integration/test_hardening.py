"""Each attack of the hardening review (issue 12), reproduced against the real server and shown to fail."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import transactions_running

from queries import runner
from queries.guard import QueryRefused
from ringtrace.cli import main as cli
from ringtrace.core import audit, config, safecsv
from ringtrace.core.errors import RingtraceError

REDUCE_BOMB = "RETURN size(reduce(s='', x IN range(1,2000000) | s + 'xxxxxxxxxx')) AS n"


REDUCE_BOMB_20M = "RETURN size(reduce(s='', x IN range(1,20000000) | s + 'xxxxxxxxxx')) AS n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("text", [REDUCE_BOMB, REDUCE_BOMB_20M,
                                  "RETURN size([x IN range(1,100000) | size([y IN range(1,100000) | y])]) AS n",
                                  "MATCH (a) WITH collect(a) AS xs RETURN size([x IN xs WHERE x IN xs]) AS n",
                                  "RETURN size([x IN range(1, 20000000) | x]) AS n",
                                  "RETURN any(x IN range(1, 10) WHERE all(y IN range(1, 10) WHERE y > x)) AS n"])
def test_expression_loops_are_refused_before_the_server_sees_them(graph, text):
    started = time.monotonic()
    with pytest.raises(QueryRefused, match="timeout cannot stop|ignores the server's timeout|reduce"):
        runner.run_text(graph, text, timeout=20)
    assert time.monotonic() - started < 5
    assert not transactions_running(graph, "xxxxxxxxxx") and not transactions_running(graph, "range(")


def test_the_same_work_written_with_unwind_stops_at_the_timeout(graph):
    """The refused queries' message points to UNWIND; there the server's timeout holds, 2,000 M rows or not."""
    text = "UNWIND range(1, 2000000000) AS x WITH x, toString(x) + 'xxxxxxxxxx' AS s WHERE size(s) < 0 RETURN count(*) AS n"
    timeout = 2.0
    started = time.monotonic()
    with pytest.raises(RingtraceError, match="timeout"):
        runner.run_text(graph, text, timeout=timeout)
    assert time.monotonic() - started < timeout + runner.CLIENT_GRACE_S
    deadline = time.monotonic() + 10
    while transactions_running(graph, "2000000000") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not transactions_running(graph, "2000000000"), "the server's transaction is still running"


def test_bounded_expressions_still_run(graph):
    res = runner.run_text(graph, "RETURN [x IN range(1, 1000) WHERE x % 2 = 0 | x * 2][..3] AS evens, "
                                 "any(x IN [1, 2, 3] WHERE x IN [3, 4]) AS overlap")
    assert res.rows == [{"evens": [4, 8, 12], "overlap": True}]


@pytest.mark.parametrize("text", [
    "CALL `db`.`stats`.`retrieve`('QUERIES')",
    "CALL `db`.`stats`.`retrieve`('QUERIES') YIELD data RETURN data",
    "CALL db . stats . collect('QUERIES')",
    "CALL `db`.`stats`.`clear`('QUERIES')",
    "CALL `db`.prepareForReplanning()",
    "CALL db.resampleOutdatedIndexes()",
    "CALL { USE `neo4j` MATCH (n) RETURN n } RETURN count(n) AS n",
    "CALL { USE neo4j MATCH (n) RETURN n } RETURN count(n) AS n",
])
def test_quoted_procedures_and_use_are_refused(graph, text):
    with pytest.raises(QueryRefused, match="Refused"):
        runner.run_text(graph, text)


def test_the_plan_layer_refuses_unlisted_procedures_on_its_own(graph):
    with pytest.raises(QueryRefused, match="db.stats.retrieve is not on the allow-list"):
        runner.check_plan(graph, "CALL `db`.`stats`.`retrieve`('QUERIES')", {})
    runner.check_plan(graph, "CALL db.labels() YIELD label RETURN label", {})


def test_refused_and_failed_queries_and_query_save_are_audited(sample_loaded, tmp_path, monkeypatch):
    from graph.db import server_settings

    server = server_settings()
    for k, v in (("NEO4J_URI", server.uri), ("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)):
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    runner_cli = CliRunner()
    res = runner_cli.invoke(cli, ["query", "accounts_sharing_card", "--param", "limit=many"])
    assert res.exit_code == 1
    good = tmp_path / "mine.cypher"
    good.write_text("// name: my_accounts\n// title: Mine\n// description: Accounts\n// tags: mine\n"
                    "MATCH (a:Account) RETURN a.account_id AS id LIMIT 3\n")
    assert runner_cli.invoke(cli, ["query", "save", str(good)]).exit_code == 0
    bad = tmp_path / "bad.cypher"
    bad.write_text(good.read_text().replace("my_accounts", "my_writer").replace(
        "RETURN a.account_id AS id LIMIT 3", "SET a.x = 1"))
    assert runner_cli.invoke(cli, ["query", "save", str(bad)]).exit_code == 1
    actions = [e["action"] for e in audit.entries()]
    assert actions == ["query_failed", "save_query", "save_query_refused"], actions


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_no_formula(text: str) -> None:
    bad = [c for c in _cells(text) if c.startswith(safecsv.FORMULA_STARTS) and not safecsv.PLAIN_NUMBER.fullmatch(c)]
    assert not bad, bad


def test_every_csv_ringtrace_writes_is_neutralised(graph, tmp_path):
    """Formula-like ids travel through load, detect, trace, query and export; no CSV carries one live."""
    from bundles.export import export_cluster
    from detection.run import DetectionParams, detect, write_results
    from loaders.load import load_dataset
    from tracing.report import trace_all, write_csv

    def q(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    data = tmp_path / "data"
    data.mkdir()
    accounts = ['=HYPERLINK("http://x","a0")'] + [f"@acc{i}" for i in range(1, 6)]
    (data / "accounts.csv").write_text("account_id,email,created_at\n" + "".join(
        f"{q(a)},u{i}@mail.test,2026-01-0{i + 1}T00:00:00Z\n" for i, a in enumerate(accounts))
        + "+bad,not-an-email,2026-01-01T00:00:00Z\n"
        + "".join(f"p{i},p{i}@mail.test,2026-01-0{1 + i % 9}T00:00:00Z\n" for i in range(200)))
    (data / "logins.csv").write_text("account_id,ts,ip,device_id\n" + "".join(
        f"{q(a)},2026-01-0{i + 1}T01:00:00Z,203.0.113.7,-dev-shared\n" for i, a in enumerate(accounts))
        + "".join(f"p{i},2026-01-03T01:00:00Z,198.51.100.{i},dev-p{i}\n" for i in range(200)))
    summary = load_dataset(graph, data, tmp_path / "rejects.csv", progress=False)
    assert summary.rejected == 1
    _assert_no_formula((tmp_path / "rejects.csv").read_text())
    # 200 people with devices of their own beside them: six accounts on one device are evidence; flag
    # every cluster with any (FDR 1, no floor) so that the flagged files carry the ids too
    result = detect(graph, DetectionParams(min_group=2, flag_threshold=0.0, fdr=1.0), progress=False)
    assert result.cluster_ids, "the six accounts sharing a device form a cluster"
    write_results(result, tmp_path / "results")
    assert "HYPERLINK" in (tmp_path / "results" / "flagged_accounts.csv").read_text()
    for f in (tmp_path / "results").glob("*.csv"):
        _assert_no_formula(f.read_text())
    write_csv(trace_all(graph, result.run_id), tmp_path / "results")
    _assert_no_formula((tmp_path / "results" / "attribution.csv").read_text())
    res = CliRunner().invoke(cli, ["query", "accounts_sharing_device", "--param", "account_id=@acc1",
                                   "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "HYPERLINK" in res.output
    _assert_no_formula(res.output)
    out = tmp_path / "bundle.zip"
    export_cluster(graph, result.cluster_ids[0], out, "tester", False)
    with zipfile.ZipFile(out) as z:
        nodes = z.read("graph/nodes.csv").decode() if "graph/nodes.csv" in z.namelist() else ""
        for name in z.namelist():
            if name.endswith(".csv"):
                _assert_no_formula(z.read(name).decode())
    assert "HYPERLINK" in nodes or not nodes


def _load_accounts(graph, tmp_path: Path, body: bytes, header: str = "account_id,email,created_at"):
    from loaders.load import load_dataset

    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "accounts.csv").write_bytes(header.encode() + b"\n" + body)
    return load_dataset(graph, data, tmp_path / "rejects.csv", progress=False)


@pytest.mark.parametrize("pan", ["4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111",
                                 "4111 . 1111 . 1111 . 1111", "3782*822463*10005"])
def test_card_numbers_with_any_separator_are_never_stored(graph, tmp_path, pan):
    summary = _load_accounts(graph, tmp_path, f"a1,x@mail.test,2026-01-01T00:00:00Z,{pan}\n"
                                              "a2,y@mail.test,2026-01-01T00:00:00Z,ok\n".encode(),
                             header="account_id,email,created_at,note")
    assert summary.rejected == 1 and summary.loaded == 1
    digits = "".join(ch for ch in pan if ch.isdigit())
    stored = json.dumps(graph.read("MATCH (a:Account) RETURN properties(a) AS p"), default=str)
    assert digits[-8:] not in stored.replace(".", "").replace("/", "").replace(" ", "")
    assert digits not in (tmp_path / "rejects.csv").read_text().replace(".", "")


def test_a_card_number_in_a_header_stops_the_file(graph, tmp_path):
    summary = _load_accounts(graph, tmp_path, b"a1,x@mail.test,2026-01-01T00:00:00Z,1\n",
                             header="account_id,email,created_at,cc_4111111111111111")
    assert summary.failed_files and "header" in summary.failed_files[0].error
    assert "4111111111111111" not in summary.failed_files[0].error
    keys = graph.read("MATCH (a:Account) UNWIND keys(a) AS k RETURN collect(DISTINCT k) AS ks")[0]["ks"]
    assert not any("4111" in k for k in keys)


def test_a_bom_is_accepted(graph, tmp_path):
    summary = _load_accounts(graph, tmp_path, b"a1,x@mail.test,2026-01-01T00:00:00Z\n",
                             header="\ufeffaccount_id,email,created_at")
    assert summary.loaded == 1 and not summary.failed_files


def test_a_huge_cell_rejects_its_row_not_the_file(graph, tmp_path):
    huge = b"y" * (5 << 20)
    summary = _load_accounts(graph, tmp_path, b"a1,x@mail.test,2026-01-01T00:00:00Z,ok\n"
                                              b"a2,y@mail.test,2026-01-01T00:00:00Z," + huge + b"\n"
                                              b"a3,z@mail.test,2026-01-01T00:00:00Z,ok\n",
                             header="account_id,email,created_at,note")
    assert not summary.failed_files
    assert summary.loaded == 2 and summary.rejected == 1


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="exercises the project-run local server")
def test_first_start_with_dash_password_and_a_memory_limit_error_is_not_retried(neo4j_server, tmp_path):
    from ringtrace.server import local_neo4j

    lib = config.local_paths().lib
    home = tmp_path / "home"
    (home / "neo4j" / "lib").mkdir(parents=True)
    (home / "neo4j" / "lib" / config.NEO4J_VERSION).symlink_to(lib)
    (home / "neo4j-password").write_text("-Xdangerous-start\n")
    port = _free_port()
    env = dict(os.environ, RINGTRACE_HOME=str(home), RINGTRACE_NEO4J_PORT=str(port), RINGTRACE_NEO4J_HEAP="512m",
               RINGTRACE_NEO4J_PAGECACHE="64m", RINGTRACE_NEO4J_TX_MEMORY="20m")
    cmd = [sys.executable, "-m", "ringtrace.cli", "neo4j"]
    start = subprocess.run(cmd + ["start"], env=env, capture_output=True, text=True, timeout=180)
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        password = (home / "neo4j-password").read_text().strip()
        assert not password.startswith("-") and password.startswith(local_neo4j.PASSWORD_PREFIX)
        from graph.db import connect

        settings = config.ServerSettings(uri=f"bolt://127.0.0.1:{port}", user="neo4j", password=password,
                                         database="neo4j", external=False)
        with connect(settings) as g:
            started = time.monotonic()
            with pytest.raises(RingtraceError, match="more memory"):
                runner.run_text(g, "UNWIND range(1, 2000000) AS x WITH collect(toString(x)) AS xs "
                                   "RETURN size(xs) AS n", timeout=60)
            assert time.monotonic() - started < 10, "a memory-limit error must not be retried"
        assert (home / "neo4j" / "server" / "conf" / "neo4j.conf").stat().st_mode & 0o077 == 0
        assert home.stat().st_mode & 0o777 == 0o700
    finally:
        subprocess.run(cmd + ["stop"], env=env, capture_output=True, timeout=120)


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="exercises the project-run local server")
def test_the_admin_tool_never_gets_the_password_on_its_command_line(neo4j_server, tmp_path, monkeypatch):
    from ringtrace.server import local_neo4j

    paths = config.LocalPaths(tmp_path / "h")
    (paths.root / "neo4j" / "lib").mkdir(parents=True)
    (paths.root / "neo4j" / "lib" / config.NEO4J_VERSION).symlink_to(config.local_paths().lib)
    paths.conf_dir.mkdir(parents=True)
    seen: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args, *a, **kw):
        seen.append(list(args))
        return real_run(args, *a, **kw)

    monkeypatch.setattr(local_neo4j.subprocess, "run", recording_run)
    password = local_neo4j._ensure_password(paths, local_neo4j.find_java())
    admin = [a for a in seen if local_neo4j.ADMIN_TOOL in a]
    assert admin and not any(password in arg for arg in admin[0])
    assert (paths.data_dir / "dbms" / "auth.ini").exists()
    assert not list(paths.root.glob("tmp*")), "the argument file is removed"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_to_ringtrace_app_stops_streamlit(neo4j_server):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ringtrace.cli", "app", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _listening(port), "the workbench did not start"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not _listening(port), "Streamlit still listens after ringtrace app got SIGTERM"


def test_a_killed_loads_run_is_marked_interrupted_at_the_next_load(graph, tmp_path):
    from loaders import cypher
    from loaders.load import load_dataset

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    graph.write(cypher.CREATE_LOAD_RUN, {"run": "load-killed", "started_at": "2026-01-01T00:00:00Z",
                                         "dataset": "x", "version": "t", "host": socket.gethostname(),
                                         "pid": dead.pid})
    _load_accounts(graph, tmp_path, b"a1,x@mail.test,2026-01-01T00:00:00Z\n")
    status = graph.read("MATCH (l:LoadRun {run_id: 'load-killed'}) RETURN l.status AS s")[0]["s"]
    assert status == "interrupted"
    assert load_dataset  # the next load is what marks it
