"""`detect --engine gds`: Louvain inside Neo4j with Graph Data Science, on the real server.

The local test server gets GDS from Maven Central (tests/conftest.py); an external
NEO4J_URI server without GDS skips these tests, as that is outside the project.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from detection import RUN_ID_TIME, gds_louvain
from detection.metrics import nmi
from detection.run import DetectionParams, detect, write_results
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.server import local_neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from conftest import SAMPLE  # noqa: E402
from lfr import lfr  # noqa: E402
from score_detection import score  # noqa: E402

log = logging.getLogger(__name__)
CREATE_ACCOUNTS = "UNWIND $ids AS id CREATE (:Account {account_id: id})"
TRANSIENT_LINKS = "MATCH ()-[r:EVIDENCE_LINK]->() RETURN count(r) AS n"
GDS_GRAPHS = "CALL gds.graph.list() YIELD graphName RETURN collect(graphName) AS names"


@pytest.fixture(scope="module")
def with_gds(neo4j_server):
    from graph.db import connect

    with connect() as g:
        try:
            gds_louvain.gds_version(g)
        except RingtraceError as exc:
            if config.external_server():
                pytest.skip(f"the external server has no GDS: {exc}")
            raise


@pytest.fixture(scope="module")
def gds_detected(with_gds, sample_loaded, tmp_path_factory):
    result = detect(sample_loaded, engine="gds", progress=False)
    out = tmp_path_factory.mktemp("gds-results")
    write_results(result, out)
    return sample_loaded, result, out


def test_sample_quality_with_gds(gds_detected):
    _, _, out = gds_detected
    s = score(SAMPLE, out)
    assert s["precision"] >= 0.95 and s["recall"] >= 0.95, s
    mains = {c["main_cluster"] for c in s["campaigns"].values()}
    assert len(mains) == len(s["campaigns"]) == 3  # the two campaigns on one proxy service stay apart
    assert all(c["purity"] >= 0.9 for c in s["campaigns"].values()), s["campaigns"]
    assert not s["legit_flagged_clusters"]


def test_gds_agrees_with_python_engine_on_sample(gds_detected):
    graph, gds_result, _ = gds_detected
    py_result = detect(graph, engine="python", progress=False)
    gds_flagged = {frozenset(c.members) for _, c in gds_result.flagged}
    py_flagged = {frozenset(c.members) for _, c in py_result.flagged}
    assert gds_flagged == py_flagged


def test_gds_run_is_recorded_and_leaves_nothing_behind(gds_detected):
    graph, result, _ = gds_detected
    run = graph.read("MATCH (d:DetectionRun {run_id: $r}) RETURN d.engine AS engine, d.clusters AS clusters",
                     {"r": result.run_id})
    assert run == [{"engine": "gds", "clusters": len(result.clusters)}]
    assert graph.read(TRANSIENT_LINKS)[0]["n"] == 0
    assert not [n for n in graph.read(GDS_GRAPHS)[0]["names"] if n.startswith("ringtrace-")]


def test_gds_same_input_same_clusters(gds_detected):
    graph, first, _ = gds_detected
    again = detect(graph, engine="gds", progress=False)
    assert [c.members for c in again.clusters] == [c.members for c in first.clusters]
    assert again.run_id != first.run_id


@pytest.mark.parametrize("mu", [0.2, 0.4, 0.48])
def test_gds_louvain_on_lfr(with_gds, graph, mu):
    """GDS Louvain through our per-component path recovers LFR communities (NMI >= 0.95 at realised mu <= 0.5)."""
    g, truth, realised = lfr(mu, seed=42)
    graph.write(CREATE_ACCOUNTS, {"ids": sorted(g.nodes)})
    edges = pd.DataFrame([(u, v, d["weight"]) for u, v, d in g.edges(data=True)], columns=["u", "v", "weight"])
    found = gds_louvain.louvain_communities(graph, f"lfr-{mu}", edges, min_size=1)
    labels = {n: i for i, c in enumerate(found) for n in c}
    value = nmi(truth, labels)
    log.warning("GDS LFR requested mu=%.2f realised mu=%.3f NMI=%.4f", mu, realised, value)
    assert realised <= 0.5  # these seeds realise mu below 0.5 (0.215, 0.415, 0.499)
    assert value >= 0.95
    assert graph.read(TRANSIENT_LINKS)[0]["n"] == 0


def test_gds_refuses_a_resolution(with_gds, sample_loaded):
    with pytest.raises(RingtraceError, match="no resolution parameter"):
        detect(sample_loaded, DetectionParams(resolution=1.5), engine="gds", progress=False)


def test_gds_plugin_folder_holds_no_second_copy_of_server_libraries(with_gds):
    if config.external_server():
        pytest.skip("GDS on an external server is installed by its administrator")
    paths = config.local_paths()
    plugins = {p.name for p in paths.plugins_dir.glob("*.jar")}
    installed = plugins | {p.name for p in paths.gds_lib_dir.glob("*.jar")}
    assert any(n.startswith("org.neo4j.gds-proc-community-") for n in plugins)
    for shared in ("com.fasterxml.jackson.core-jackson-databind-", "org.eclipse.collections-eclipse-collections-",
                   "com.github.ben-manes.caffeine-caffeine-", "org.apache.commons-commons-lang3-"):
        assert not [n for n in installed if n.startswith(shared)], shared


def test_the_server_scans_only_the_gds_jars_that_declare_procedures(with_gds, graph):
    """The plugins folder (scanned class by class at each start) holds only jars with procedures or functions;
    the rest are on the classpath, and every GDS procedure this project calls is still registered."""
    if config.external_server():
        pytest.skip("GDS on an external server is installed by its administrator")
    paths = config.local_paths()
    scanned = sorted(paths.plugins_dir.glob("*.jar"))
    apart = sorted(paths.gds_lib_dir.glob("*.jar"))
    assert scanned and apart and all(local_neo4j.declares_procedures(j) for j in scanned)
    assert not any(local_neo4j.declares_procedures(j) for j in apart)
    names = {r["name"] for r in graph.read("SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gds.' RETURN name")}
    assert {"gds.louvain.stream", "gds.graph.project", "gds.graph.filter", "gds.graph.drop",
            "gds.graph.nodeProperty.stream", "gds.wcc.mutate", "gds.version"} <= names
    assert len(names) > 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_without_gds_gets_an_instruction(neo4j_server, tmp_path):
    """A local server without the plugin: `detect --engine gds` says how to install it, no traceback."""
    if config.external_server():
        pytest.skip("needs the project's own local server")
    env = dict(os.environ, RINGTRACE_HOME=str(tmp_path / "home"), RINGTRACE_NEO4J_PORT=str(_free_port()))
    env.pop("NEO4J_URI", None)
    cli = [sys.executable, "-m", "ringtrace.cli"]
    start = subprocess.run([*cli, "neo4j", "start"], env=env, capture_output=True, text=True)
    try:
        assert start.returncode == 0, start.stderr
        out = subprocess.run([*cli, "detect", "--engine", "gds", "--no-progress"], env=env,
                             capture_output=True, text=True)
    finally:
        subprocess.run([*cli, "neo4j", "stop"], env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert "ringtrace neo4j install-gds" in out.stderr
    assert "Traceback" not in out.stderr


STRAY_LINK = """
MATCH (a:Account {account_id: 'a1'}), (b:Account {account_id: 'a2'})
CREATE (a)-[:EVIDENCE_LINK {run_id: $run, weight: 1.0}]->(b)
"""


def test_links_of_a_killed_run_are_removed_and_hidden_meanwhile(with_gds, graph):
    """A run killed mid-way leaves its links: the next run removes them (not a recent run's), the workbench never shows them."""
    from datetime import datetime, timezone

    from workbench.data import neighbours

    graph.write(CREATE_ACCOUNTS, {"ids": ["a1", "a2", "a3"]})
    killed = "det-20200101T000000Z-dead00"
    running = datetime.now(timezone.utc).strftime(RUN_ID_TIME) + "-live00"
    for run in (killed, running):
        graph.write(STRAY_LINK, {"run": run})
    a1 = graph.read("MATCH (a:Account {account_id: 'a1'}) RETURN elementId(a) AS id")[0]["id"]
    rows, total = neighbours(graph, a1, [], None, None, 50)
    assert rows == [] and total == 0

    edges = pd.DataFrame([("a1", "a2", 1.0), ("a2", "a3", 1.0)], columns=["u", "v", "weight"])
    gds_louvain.louvain_communities(graph, "det-20991231T000000Z-now000", edges, min_size=1)
    left = graph.read("MATCH ()-[r:EVIDENCE_LINK]->() RETURN collect(r.run_id) AS runs")[0]["runs"]
    assert left == [running]
