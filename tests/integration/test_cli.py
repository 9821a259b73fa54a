"""The CLI as an investigator meets it: markup-free output, full ids, short cluster ids, clear errors."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from cli_helpers import run_cli

HOSTILE = "[bold]Evil[/bold] [link=http://127.0.0.1:8799/x]click[/link] [/] [red]x"


@pytest.fixture(scope="module")
def traced(sample_detected):
    from tracing.report import trace_all

    g, result, out = sample_detected
    trace_all(g, result.run_id)
    return g, result


def test_trace_prints_bracketed_evidence_ids_and_data_markup_literally(traced):
    g, result = traced
    cid = result.flagged[0][0]
    org = g.read("MATCH (c:Cluster {cluster_id: $c})-[r:ATTRIBUTED_TO]->(o:Organisation) "
                 "RETURN o.org_id AS id, o.name AS name ORDER BY r.rank LIMIT 1", {"c": cid})[0]
    g.write("MATCH (o:Organisation {org_id: $id}) SET o.name = $n", {"id": org["id"], "n": HOSTILE})
    try:
        code, out = run_cli("trace", "--cluster", cid, columns=400)
    finally:
        g.write("MATCH (o:Organisation {org_id: $id}) SET o.name = $name", org)
    assert code == 0, out
    assert HOSTILE in out, "data must print as it is, brackets included"
    assert re.search(r"\[card-fp-\d+", out), "evidence ids in brackets must not be eaten as style tags"


def test_short_cluster_ids_work_in_every_command(traced, tmp_path):
    g, result = traced
    cid = result.flagged[0][0]
    short = cid.rsplit("-", 1)[1]
    code, out = run_cli("trace", "--cluster", short)
    assert code == 0 and cid in out, out
    code, out = run_cli("query", "cluster_members", "--param", f"cluster_id={short}", "--format", "csv")
    assert code == 0 and len(out.strip().splitlines()) == len(result.flagged[0][1].members) + 1
    code, out = run_cli("export", "--cluster", short, "--out", str(tmp_path / "b.zip"))
    assert code == 0 and (tmp_path / "b.zip").exists(), out


def test_campaigns_are_queried_attributed_and_exported_by_short_id(traced, tmp_path):
    g, result = traced
    top = result.campaigns[0]
    short = top.campaign_id.rsplit("-", 1)[1]
    assert short == "k0001"
    code, out = run_cli("query", "campaigns", "--format", "csv", columns=400)
    assert code == 0 and top.campaign_id in out, out
    code, out = run_cli("query", "campaign_attribution", "--param", f"campaign_id={short}", "--format", "csv",
                     columns=400)
    assert code == 0 and "person" in out, out
    code, out = run_cli("export", "--campaign", short, "--out", str(tmp_path / "k.zip"))
    assert code == 0, out
    code, out = run_cli("verify", str(tmp_path / "k.zip"))
    assert code == 0 and f"campaign {top.campaign_id}" in out, out
    import zipfile

    names = zipfile.ZipFile(tmp_path / "k.zip").namelist()
    assert "campaign.json" in names
    assert {n.split("/")[1] for n in names if n.startswith("clusters/")} == \
        {c.rsplit("-", 1)[1] for c in top.cluster_ids}
    code, out = run_cli("export", "--campaign", "k9999", "--out", str(tmp_path / "x.zip"))
    assert code != 0 and "No campaign k9999" in out, out
    code, out = run_cli("export", "--out", str(tmp_path / "x.zip"))
    assert code != 0 and "--cluster ID or --campaign ID" in out, out


def test_an_unknown_cluster_is_an_error_not_an_empty_result(traced):
    for given in ("c9999", "det-nothing-c0001"):
        code, out = run_cli("query", "cluster_members", "--param", f"cluster_id={given}")
        assert code == 1 and "cluster" in out.lower(), out
        code, out = run_cli("trace", "--cluster", given)
        assert code == 1 and "Traceback" not in out


def test_query_tables_never_cut_ids(traced):
    g, result = traced
    code, out = run_cli("query", "cluster_members", "--param", f"cluster_id={result.flagged[0][0]}")
    assert code == 0
    for account in result.flagged[0][1].members[:20]:
        assert account in out, f"{account} is cut in the table"
    assert "…" not in out


def _piped(*args: str) -> subprocess.CompletedProcess:
    """The command as a script or `| grep` runs it: output to a pipe, no COLUMNS set."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([sys.executable, "-m", "ringtrace.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_piped_case_list_shows_whole_titles_and_ids_and_every_list_command_writes_csv_and_json(traced):
    """(Before the tests below that empty the database: it reads the `traced` graph.)"""
    import csv
    import io
    import json

    from cases import store
    from ringtrace.core.rights import Actor

    g, result = traced
    title = "TITLE " + "a distillation ring seen through three proxy services and a shared card " * 2
    case_id = store.open_case(g, Actor("tester", "admin"), title.strip(), result.campaigns[0].campaign_id)
    done = _piped("case", "list")
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if "TITLE" in ln)  # `ringtrace case list | grep TITLE`
    assert case_id in line and title.strip() in line and result.campaigns[0].campaign_id in line, done.stdout
    assert "…" not in done.stdout
    as_csv = list(csv.DictReader(io.StringIO(_piped("case", "list", "--format", "csv").stdout)))
    assert {(r["case_id"], r["title"], r["origin"]) for r in as_csv} >= \
        {(case_id, title.strip(), result.campaigns[0].campaign_id)}
    as_json = json.loads(_piped("case", "list", "--format", "json").stdout)
    assert any(r["case_id"] == case_id and r["title"] == title.strip() and isinstance(r["accounts"], int)
               for r in as_json)
    runs = json.loads(_piped("changes", "--list", "--format", "json").stdout)
    assert result.run_id in {r["run_id"] for r in runs}
    assert result.run_id in _piped("changes", "--list", "--format", "csv").stdout
    piped_runs = _piped("changes", "--list").stdout
    assert any(result.run_id in ln and ln.count("│") >= 4 for ln in piped_runs.splitlines()), piped_runs
    assert json.loads(_piped("changes", "--format", "json").stdout)["run_id"] == result.run_id
    queries = json.loads(_piped("query", "list", "--format", "json").stdout)
    assert {"cluster_members", "campaigns"} <= {q["name"] for q in queries}
    assert "name,origin,title,params,tags" in _piped("query", "list", "--format", "csv").stdout
    for args in (("alerts",), ("alerts", "--watchlist")):
        for fmt in ("csv", "json"):
            done = _piped(*args, "--format", fmt)
            assert done.returncode == 0, done.stderr
            if fmt == "json":
                assert isinstance(json.loads(done.stdout), list)


def test_load_names_the_files_it_does_not_read(graph, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,email,created_at\na1,x@mail.test,2026-01-01T00:00:00Z\n")
    (data / "device_reputation.csv").write_text("device_id,score\nd1,0.9\n")
    (data / "notes.txt").write_text("hello")
    code, out = run_cli("load", str(data), "--no-progress")
    assert code == 0, out
    assert "Ignored device_reputation.csv" in out and "Ignored notes.txt" in out


def test_load_shows_progress_per_table(graph, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,email,created_at\na1,x@mail.test,2026-01-01T00:00:00Z\n")
    code, out = run_cli("load", str(data))
    assert code == 0 and "accounts.csv: loading" in out and "accounts.csv: 1 rows read, 1 loaded" in out


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="exercises the project-run local server")
def test_a_port_held_by_another_ringtrace_server_names_its_home(neo4j_server, tmp_path):
    from ringtrace.core import config

    env = dict(os.environ, RINGTRACE_HOME=str(tmp_path / "other-home"))
    proc = subprocess.run([sys.executable, "-m", "ringtrace.cli", "neo4j", "start"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"whose home is {config.home()}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
