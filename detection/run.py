"""`ringtrace detect`: evidence -> projection -> Louvain -> scored clusters, saved in Neo4j."""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from cases import feedback
from detection import RUN_ID_TIME, campaigns, communities, cosync, evidence, gds_louvain, projection, scoring
from graph.db import Graph, ensure_schema
from ringtrace import __version__
from ringtrace.core import config, safecsv
from ringtrace.core.errors import RingtraceError
from ringtrace.core.memory import release_freed_memory
from ringtrace.core.progress import Progress, reporter

WRITE_BATCH = 5000

CREATE_DETECTION_RUN = """
CREATE (d:DetectionRun {run_id: $run, started_at: datetime($started), finished_at: datetime(),
        parameters: $parameters, engine: $engine, ringtrace_version: $version,
        accounts_in_projection: $nodes, projection_edges: $edges, clusters: $clusters, flagged: $flagged,
        seconds: $seconds, fdr: $fdr, p_value_cut: $p_cut, multi_accounts: $multi})
WITH d
UNWIND $load_runs AS lr
MATCH (l:LoadRun {run_id: lr})
MERGE (d)-[:SAW]->(l)
"""

CREATE_CLUSTERS = """
MATCH (d:DetectionRun {run_id: $run})
UNWIND $rows AS row
CREATE (c:Cluster {cluster_id: row.cluster_id, run_id: $run, rank: row.rank, size: row.size,
        score: row.score, flagged: row.flagged, reasons: row.reasons, features: row.features,
        contributions: row.contributions, evidence: row.evidence, q_value: row.q_value,
        multi_account: row.multi_account})
CREATE (c)-[:FOUND_BY]->(d)
"""

CREATE_MEMBERSHIP = """
UNWIND $rows AS row
MATCH (c:Cluster {cluster_id: row.cluster_id})
MATCH (a:Account {account_id: row.account_id})
CREATE (a)-[:MEMBER_OF {run_id: $run}]->(c)
"""

CREATE_CAMPAIGNS = """
MATCH (d:DetectionRun {run_id: $run})
UNWIND $rows AS row
CREATE (k:Campaign {campaign_id: row.campaign_id, run_id: $run, rank: row.rank, score: row.score,
        accounts: row.accounts, clusters: size(row.cluster_ids), reasons: row.reasons})
CREATE (k)-[:FOUND_BY]->(d)
WITH k, row
UNWIND row.cluster_ids AS cid
MATCH (c:Cluster {cluster_id: cid})
CREATE (c)-[:PART_OF]->(k)
"""

LATEST_RUN = """
MATCH (d:DetectionRun) RETURN d.run_id AS run_id, d.started_at AS started_at, d.parameters AS parameters
ORDER BY d.started_at DESC LIMIT 1
"""


@dataclass
class DetectionParams:
    resolution: float = 1.0
    seed: int = 0
    top_k: int = projection.TOP_K
    min_group: int = communities.MIN_GROUP
    flag_threshold: float = scoring.FLAG_THRESHOLD
    fdr: float = field(default_factory=lambda: config.DETECT_FDR)
    kind_weight: dict[str, float] = field(default_factory=lambda: dict(projection.KIND_WEIGHT))
    df_cap: dict[str, int] = field(default_factory=lambda: dict(projection.DF_CAP))


@dataclass
class DetectionResult:
    run_id: str
    clusters: list[scoring.ScoredCluster]
    cluster_ids: list[str]
    timings: dict[str, float]
    projection_nodes: int
    projection_edges: int
    campaigns: list[campaigns.Campaign] = field(default_factory=list)
    p_value_cut: float = 0.0   # the Benjamini-Hochberg cut at the run's FDR (0: no cluster passed)
    fdr: float = field(default_factory=lambda: config.DETECT_FDR)

    @property
    def multi_accounts(self) -> list[tuple[str, scoring.ScoredCluster]]:
        return [(cid, c) for cid, c in zip(self.cluster_ids, self.clusters) if c.multi_account]

    @property
    def flagged(self) -> list[tuple[str, scoring.ScoredCluster]]:
        return [(cid, c) for cid, c in zip(self.cluster_ids, self.clusters) if c.flagged]


def detect(graph: Graph, params: DetectionParams | None = None, engine: str = "python",
           progress: Progress | None = None) -> DetectionResult:
    """Run detection over the whole graph and save the run; never reads the truth table."""
    params = params or DetectionParams()
    if engine not in config.DETECTION_ENGINES:
        raise RingtraceError(f"Unknown engine '{engine}': choose one of {', '.join(config.DETECTION_ENGINES)}.")
    if engine == "gds":
        if params.resolution != 1.0:
            raise RingtraceError("GDS Louvain has no resolution parameter (it optimises plain modularity): "
                                 "drop --resolution, or use the python engine to change it.")
        gds_louvain.gds_version(graph)
    ensure_schema(graph)
    started = datetime.now(timezone.utc)
    run_id = started.strftime(RUN_ID_TIME + "-") + uuid.uuid4().hex[:6]
    timings: dict[str, float] = {}
    bar = reporter(progress)

    def step(name: str, fn, *args):
        task = bar.add_task(name)
        out = _timed(timings, name, fn, *args)
        bar.remove_task(task)
        return out

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ringtrace-cosync") as pool:
        # issue 29: the pair tests of synchronised activity (detection/cosync.py) read the log store, not the
        # graph, so they run while the evidence is read from Neo4j (the process is small then; beside Louvain
        # the two peaks added up to 4.3 GB at seed scale); their compiled loop releases the GIL.
        pending = None
        if config.co_activity_linking():
            cosync_task = bar.add_task(COSYNC_STEP)  # drawn from this thread: a workbench draws from one only
            pending = pool.submit(_timed, timings, COSYNC_STEP, cosync.link_activity, graph)
        ev = step("reading evidence from Neo4j", evidence.read_evidence, graph, params.df_cap)
        synced = cosync.no_links()
        if pending is not None:
            found = pending.result()
            bar.remove_task(cosync_task)
            synced = step("explaining co-activity by open identities", cosync.finish, found, ev, params.min_group)
            release_freed_memory()  # what the pair tests freed sits in their threads' heaps until handed back
    if ev.accounts.empty:
        raise RingtraceError("No accounts in the graph: load a dataset first (`ringtrace load DIR`).")
    groups, nodes, links = _communities(graph, run_id, ev, params, engine, bar, step)
    groups, synced_idx = cosync.merge_groups(groups, synced.groups, params.min_group)
    members = sorted({a for grp in groups for a in grp})
    ev.holdings = step("reading what the clustered accounts hold", evidence.member_holdings, graph, members)
    activity = step("reading member activity from the request log", evidence.request_activity,
                    members, scoring.LOCKSTEP_BUCKET_S)
    popularity = step("counting prompt template users", evidence.template_popularity)
    scorer = scoring.Scorer(ev, activity, popularity)
    scored = step("scoring clusters", scorer.score_all, groups)
    cosync.strengthen(scored, groups, synced_idx, synced, ev.releases)  # issue 29
    p_cut = scoring.decide(scored, params.fdr, params.flag_threshold)
    verdicts = step("checking decisions of earlier cases", feedback.review, graph,
                    [(str(i), c.members) for i, c in enumerate(scored) if c.flagged])
    for i, verdict in verdicts.items():
        scored[int(i)].decision = verdict.note
        scored[int(i)].flagged = not verdict.suppressed
    scored.sort(key=lambda c: (-c.score, c.members[0]))
    cluster_ids = [f"{run_id}-c{i + 1:04d}" for i in range(len(scored))]
    result = DetectionResult(run_id, scored, cluster_ids, timings, nodes, links, p_value_cut=p_cut,
                             fdr=params.fdr)
    result.campaigns = step(
        "grouping flagged clusters into campaigns", campaigns.group_campaigns, run_id,
        [(cid, c.members, c.score) for cid, c in result.flagged], activity,
        dict(zip(popularity["prompt_fingerprint"], popularity["users"])),
        scorer.tests.shared[["account", "kind", "item", "df"]], set(ev.proxy_exits["ip"]) | ev.datacenter_ips,
        {cid: {**c.facts, "why": c.why()} for cid, c in result.flagged}, ev.holders)
    cosync.campaign_reasons(result.campaigns, {cid: c.facts for cid, c in result.flagged})  # issue 29
    step("saving the run to Neo4j", _save, graph, result, params, started, engine, ev.load_runs)
    return result


COSYNC_STEP = "linking accounts by synchronised activity"


def _timed(timings: dict[str, float], name: str, fn, *args):
    t0 = time.monotonic()
    out = fn(*args)
    timings[name] = round(time.monotonic() - t0, 2)
    return out


def _communities(graph: Graph, run_id: str, ev: evidence.Evidence, params: DetectionParams, engine: str,
                 bar: Progress, step) -> tuple[list[list[str]], int, int]:
    """Louvain communities of the shared-item projection: (groups, projected accounts, kept links)."""
    shared_exits = set(ev.proxy_exits["ip"]) | ev.vpn_ips
    all_edges = step("building the account projection", projection.pair_weights,
                     projection.without_shared_exits(ev.incidence, shared_exits), params.kind_weight)
    edges = step("keeping each account's strongest links", projection.sparsify, all_edges, params.top_k)
    if engine == "gds":
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        groups = step("running Louvain in Neo4j (GDS)", gds_louvain.louvain_communities, graph, run_id, edges,
                      params.min_group, all_edges, None, report)
        return groups, int(pd.unique(edges[["u", "v"]].to_numpy().ravel()).size), len(edges)
    g = step("building the graph", communities.build_graph, edges)
    groups = step("running Louvain per component", communities.louvain_communities, g,
                  params.resolution, params.seed, params.min_group, all_edges)
    return groups, g.number_of_nodes(), g.number_of_edges()


def _save(graph: Graph, result: DetectionResult, params: DetectionParams, started: datetime, engine: str,
          load_runs: list[str]) -> None:
    graph.write(CREATE_DETECTION_RUN, {
        "run": result.run_id, "started": started.isoformat(), "parameters": json.dumps(asdict(params)),
        "engine": engine, "version": __version__, "nodes": result.projection_nodes,
        "edges": result.projection_edges, "clusters": len(result.clusters), "flagged": len(result.flagged),
        "seconds": round(sum(result.timings.values()), 2), "load_runs": load_runs, "fdr": result.fdr,
        "p_cut": result.p_value_cut, "multi": len(result.multi_accounts)})
    rows = [{"cluster_id": cid, "rank": i + 1, "size": len(c.members), "score": c.score, "flagged": c.flagged,
             "reasons": c.reasons, "features": json.dumps(c.features()),
             "contributions": json.dumps(c.contributions_json()), "evidence": c.evidence, "q_value": c.q_value,
             "multi_account": c.multi_account}
            for i, (cid, c) in enumerate(zip(result.cluster_ids, result.clusters))]
    for s in range(0, len(rows), WRITE_BATCH):
        graph.write(CREATE_CLUSTERS, {"run": result.run_id, "rows": rows[s:s + WRITE_BATCH]})
    campaign_rows = [{"campaign_id": k.campaign_id, "rank": i + 1, "score": k.score, "accounts": k.accounts,
                      "cluster_ids": k.cluster_ids, "reasons": k.reasons} for i, k in enumerate(result.campaigns)]
    for s in range(0, len(campaign_rows), WRITE_BATCH):
        graph.write(CREATE_CAMPAIGNS, {"run": result.run_id, "rows": campaign_rows[s:s + WRITE_BATCH]})
    members = [{"cluster_id": cid, "account_id": a} for cid, c in zip(result.cluster_ids, result.clusters)
               for a in c.members]
    for s in range(0, len(members), WRITE_BATCH):
        graph.write(CREATE_MEMBERSHIP, {"run": result.run_id, "rows": members[s:s + WRITE_BATCH]})


def write_results(result: DetectionResult, out: Path) -> tuple[Path, Path]:
    """flagged_accounts.csv (account_id,cluster_id,score,campaign_id), clusters.csv, campaigns.csv,
    multi_accounts.csv (groups that look like one household or one person) and cluster_members.csv (every
    cluster's accounts, flagged or not: the ranked queue)."""
    out.mkdir(parents=True, exist_ok=True)
    flagged_path, clusters_path = out / "flagged_accounts.csv", out / "clusters.csv"
    campaign_of = {cid: k.campaign_id for k in result.campaigns for cid in k.cluster_ids}
    with open(flagged_path, "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(["account_id", "cluster_id", "score", "campaign_id"])
        for cid, c in result.flagged:
            for a in c.members:
                w.writerow([a, cid, c.score, campaign_of.get(cid, "")])
    with open(out / "campaigns.csv", "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(["campaign_id", "clusters", "accounts", "score", "reasons"])
        for k in result.campaigns:
            w.writerow([k.campaign_id, " ".join(k.cluster_ids), k.accounts, k.score, " | ".join(k.reasons)])
    with open(clusters_path, "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(["cluster_id", "rank", "size", "score", "evidence_decades", "q_value", "flagged", "reasons"])
        for rank, (cid, c) in enumerate(zip(result.cluster_ids, result.clusters), start=1):
            w.writerow([cid, rank, len(c.members), c.score, c.evidence, f"{c.q_value:.3g}", str(c.flagged).lower(),
                        " | ".join(c.reasons)])
    with open(out / "multi_accounts.csv", "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(["cluster_id", "accounts", "why", "reasons"])
        for cid, c in result.multi_accounts:
            w.writerow([cid, " ".join(c.members), c.multi_account, " | ".join(c.reasons)])
    with open(out / "cluster_members.csv", "w", newline="") as fh:
        w = safecsv.writer(fh)
        w.writerow(["account_id", "cluster_id", "score", "flagged"])
        for cid, c in zip(result.cluster_ids, result.clusters):
            for a in c.members:
                w.writerow([a, cid, c.score, str(c.flagged).lower()])
    return flagged_path, clusters_path


def latest_run(graph: Graph) -> dict[str, Any] | None:
    rows = graph.read(LATEST_RUN)
    return rows[0] if rows else None
