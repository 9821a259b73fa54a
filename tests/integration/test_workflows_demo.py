"""Issue 28, item 1: `ringtrace demo` does the whole job as `ringtrace load` + `detect` + `trace --all` do it:
the same alerts raised by the load, the same cross-run CONTINUES links saved by the second detection run, the
same ATTRIBUTED_TO attributions. Each path runs twice on an emptied database that watches one of the sample's
accounts (a partner's report imported first), so the load alerts and the second run continues the first."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLE, _emptied
from ringtrace.cli import main as cli

WATCHED = "acc-00000001"

ALERTS = "MATCH (al:Alert) RETURN al.source AS source, al.kind AS kind, al.value AS value, al.accounts AS accounts"
CONTINUES = """
MATCH (c)-[r:CONTINUES]->(p)
RETURN labels(c)[0] AS label, coalesce(c.cluster_id, c.campaign_id) AS later,
       coalesce(p.cluster_id, p.campaign_id) AS earlier, r.shared AS shared, r.of AS of
"""
ATTRIBUTED = """
MATCH (x)-[r:ATTRIBUTED_TO]->(t)
RETURN labels(x)[0] AS label, coalesce(x.cluster_id, x.campaign_id) AS id, r.target_kind AS kind,
       CASE r.target_kind WHEN 'organisation' THEN t.org_id ELSE t.person_id END AS target, r.rank AS rank,
       round(r.confidence, 6) AS confidence
"""
RUNS = "MATCH (d:DetectionRun) RETURN d.run_id AS run_id ORDER BY d.started_at"


@pytest.fixture()
def env(neo4j_server, tmp_path, monkeypatch):
    """The test server by NEO4J_URI (so `demo` starts no server of its own) and a fresh ringtrace home."""
    from graph.db import server_settings

    server = server_settings()
    for k, v in (("NEO4J_URI", server.uri), ("NEO4J_USER", server.user), ("NEO4J_PASSWORD", server.password)):
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("RINGTRACE_USER", raising=False)
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    return tmp_path


def _cli(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _watch(tmp_path: Path) -> None:
    """An emptied database, and a partner's report naming one of the sample's accounts (watched from now on)."""
    _emptied().close()
    report = tmp_path / "partner.json"
    report.write_text(json.dumps({"type": "bundle", "id": "bundle--2c6a8b3e-6d7e-4c84-9a6f-1d2b3c4d5e6f", "objects": [
        {"type": "user-account", "spec_version": "2.1", "id": "user-account--7a0c9c2e-1f3a-4b8e-8d6f-2a1b3c4d5e6f",
         "user_id": WATCHED}]}))
    _cli("intel", "import", str(report))


def _state() -> dict:
    """What both paths must agree on, with run ids replaced by the run's order (ids hold the time)."""
    from graph.db import connect

    with connect() as g:
        order = {r["run_id"]: f"run{i}" for i, r in enumerate(g.read(RUNS))}

        def plain(value: str) -> str:
            for run_id, name in order.items():
                value = value.replace(run_id, name)
            return value

        return {
            "runs": len(order),
            "alerts": sorted((a["source"], a["kind"], a["value"], tuple(a["accounts"])) for a in g.read(ALERTS)),
            "continues": sorted((r["label"], plain(r["later"]), plain(r["earlier"]), r["shared"], r["of"])
                                for r in g.read(CONTINUES)),
            "attributed": sorted((r["label"], plain(r["id"]), r["kind"], r["target"], r["rank"], r["confidence"])
                                 for r in g.read(ATTRIBUTED)),
        }


def test_demo_raises_the_same_alerts_and_saves_the_same_links_and_attributions_as_load_detect_trace(env):
    _watch(env)
    _cli("load", str(SAMPLE), "--no-progress")
    for _ in range(2):
        _cli("detect", "--no-progress")
        _cli("trace", "--all")
    by_commands = _state()
    assert by_commands["runs"] == 2 and by_commands["alerts"], "the load alerted on the watched account"
    assert any(WATCHED in a[3] for a in by_commands["alerts"])
    assert by_commands["continues"], "the second run continues the first"
    assert by_commands["attributed"]

    _watch(env)
    for _ in range(2):
        _cli("demo", "--no-app")
    assert _state() == by_commands
