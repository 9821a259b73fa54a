"""What changed between two detection runs: clusters matched across runs, and accounts joining cases' campaigns.

Matching rule (after Greene, Doyle & Cunningham, "Tracking the evolution of communities in dynamic social
networks", ASONAM 2010, with majority containment instead of their Jaccard threshold so that a cluster
that triples in size is still the same cluster): a cluster P of the earlier run *continues* as the
cluster C of the later run that holds more than half of P's accounts. Such a C is unique when it exists;
a C can continue several earlier clusters (they merged). Saved as `(C)-[:CONTINUES {shared, of}]->(P)`.

- **new**: a flagged cluster that continues no earlier cluster;
- **newly flagged**: continues only clusters that were not flagged;
- **grew**: a flagged cluster with accounts none of its earlier clusters had (listed);
- **gone**: an earlier flagged cluster that nothing continues, or whose successor is no longer flagged;
- **joined a case's campaign**: for each open or confirmed case, the accounts of the flagged campaigns (or
  lone flagged clusters) that now hold its accounts, minus the case's own accounts and minus those already
  grouped with them in the earlier run.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cases.store import OPEN_STATUSES
from graph.db import Graph
from ringtrace.core.errors import RingtraceError

WATCHED_CASE_STATUSES = (*OPEN_STATUSES, "confirmed")
RUNS = """
MATCH (d:DetectionRun)
RETURN d.run_id AS run_id, d.started_at AS started_at, d.clusters AS clusters, d.flagged AS flagged
ORDER BY d.started_at DESC
"""
RUN_CLUSTERS = """
MATCH (c:Cluster {run_id: $run})
OPTIONAL MATCH (c)-[:PART_OF]->(k:Campaign)
RETURN c.cluster_id AS cluster_id, c.flagged AS flagged, c.score AS score, k.campaign_id AS campaign_id,
       [(a:Account)-[:MEMBER_OF]->(c) | a.account_id] AS members
"""
SAVE_CONTINUES = """
UNWIND $rows AS row
MATCH (c:Cluster {cluster_id: row.current}), (p:Cluster {cluster_id: row.previous})
MERGE (c)-[r:CONTINUES]->(p)
SET r.shared = row.shared, r.of = row.of
"""
SAVE_CAMPAIGN_CONTINUES = """
UNWIND $rows AS row
MATCH (c:Campaign {campaign_id: row.current}), (p:Campaign {campaign_id: row.previous})
MERGE (c)-[r:CONTINUES]->(p)
SET r.shared = row.shared, r.of = row.of
"""
CASES_WATCHED = """
MATCH (c:Case) WHERE c.status IN $statuses
RETURN c.case_id AS case_id, c.title AS title, c.status AS status,
       [(c)-[:COVERS]->(a:Account) | a.account_id] AS accounts
"""


@dataclass
class RunClusters:
    run_id: str
    members: dict[str, set[str]]
    flagged: set[str]
    campaign: dict[str, str]  # cluster -> campaign

    def campaigns(self) -> dict[str, set[str]]:
        """Each campaign's accounts (the union of its clusters')."""
        out: dict[str, set[str]] = defaultdict(set)
        for cid, campaign in self.campaign.items():
            out[campaign] |= self.members[cid]
        return dict(out)

    def groups(self) -> dict[str, set[str]]:
        """Flagged campaigns (by id) and lone flagged clusters (by id), with their accounts."""
        out: dict[str, set[str]] = defaultdict(set)
        for cid in self.flagged:
            out[self.campaign.get(cid, cid)] |= self.members[cid]
        return dict(out)


@dataclass
class Changes:
    run_id: str
    previous_run_id: str | None
    continues: dict[str, list[str]] = field(default_factory=dict)  # current cluster -> earlier clusters
    campaign_continues: dict[str, list[str]] = field(default_factory=dict)  # current campaign -> earlier ones
    new: list[dict[str, Any]] = field(default_factory=list)
    newly_flagged: list[dict[str, Any]] = field(default_factory=list)
    grew: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)
    joined: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> list[str]:
        if self.previous_run_id is None:
            return [f"Run {self.run_id} is the first detection run: nothing to compare with."]
        lines = [f"Since run {self.previous_run_id}: {len(self.new)} new flagged cluster(s), "
                 f"{len(self.newly_flagged)} newly flagged, {len(self.grew)} grew, {len(self.gone)} gone; "
                 f"{len(self.campaign_continues)} campaign(s) continue earlier ones."]
        for j in self.joined:
            lines.append(f"{len(j['accounts'])} account(s) joined {j['group']} under case {j['case_id']} "
                         f"({j['status']}): {', '.join(j['accounts'][:10])}{' …' if len(j['accounts']) > 10 else ''}")
        return lines


def runs(graph: Graph) -> list[dict[str, Any]]:
    return graph.read(RUNS)


def _clusters(graph: Graph, run_id: str) -> RunClusters:
    rows = graph.read(RUN_CLUSTERS, {"run": run_id})
    return RunClusters(run_id, {r["cluster_id"]: set(r["members"]) for r in rows},
                       {r["cluster_id"] for r in rows if r["flagged"]},
                       {r["cluster_id"]: r["campaign_id"] for r in rows if r["campaign_id"]})


def match(previous: RunClusters, current: RunClusters) -> dict[str, tuple[str, int, int]]:
    """{earlier cluster: (the cluster continuing it, shared accounts, its size)} by majority containment."""
    return match_groups(previous.members, current.members)


def match_groups(previous: dict[str, set[str]], current: dict[str, set[str]]) -> dict[str, tuple[str, int, int]]:
    """{earlier group: (the later group holding most of its accounts, shared, its size)}; groups are disjoint."""
    where = {a: cid for cid, ms in current.items() for a in ms}
    out = {}
    for pid, members in previous.items():
        counts: dict[str, int] = defaultdict(int)
        for a in members:
            if a in where:
                counts[where[a]] += 1
        if counts:
            best, shared = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
            if 2 * shared > len(members):
                out[pid] = (best, shared, len(members))
    return out


def compare(graph: Graph, run_id: str | None = None, since: str | None = None, save: bool = False) -> Changes:
    """Changes from run `since` (default: the run before) to run `run_id` (default: the latest)."""
    order = [r["run_id"] for r in runs(graph)]
    if not order:
        raise RingtraceError("No detection run yet: run `ringtrace detect` first.")
    run_id = run_id or order[0]
    if run_id not in order:
        raise RingtraceError(f"No detection run {run_id}. `ringtrace changes --list` lists the runs.")
    if since is None:
        later = order.index(run_id) + 1
        since = order[later] if later < len(order) else None
    elif since not in order:
        raise RingtraceError(f"No detection run {since}. `ringtrace changes --list` lists the runs.")
    changes = Changes(run_id, since)
    if since is None:
        return changes
    current, previous = _clusters(graph, run_id), _clusters(graph, since)
    successor = match(previous, current)
    for pid, (cid, _, _) in successor.items():
        changes.continues.setdefault(cid, []).append(pid)
    campaign_successor = match_groups(previous.campaigns(), current.campaigns())
    for pid, (cid, _, _) in campaign_successor.items():
        changes.campaign_continues.setdefault(cid, []).append(pid)
    if save:
        graph.write(SAVE_CONTINUES, {"rows": [{"current": c, "previous": p, "shared": s, "of": n}
                                              for p, (c, s, n) in successor.items()]})
        graph.write(SAVE_CAMPAIGN_CONTINUES, {"rows": [{"current": c, "previous": p, "shared": s, "of": n}
                                                       for p, (c, s, n) in campaign_successor.items()]})
    for cid in sorted(current.flagged):
        before = changes.continues.get(cid, [])
        row = {"cluster_id": cid, "size": len(current.members[cid]), "campaign_id": current.campaign.get(cid),
               "continues": before}
        if not before:
            changes.new.append(row)
            continue
        if not any(p in previous.flagged for p in before):
            changes.newly_flagged.append(row)
        added = current.members[cid] - set().union(*(previous.members[p] for p in before))
        if added:
            changes.grew.append({**row, "new_accounts": sorted(added)})
    for pid in sorted(previous.flagged):
        nxt = successor.get(pid)
        if nxt is None or nxt[0] not in current.flagged:
            changes.gone.append({"cluster_id": pid, "size": len(previous.members[pid]),
                                 "now": nxt[0] if nxt else None,
                                 "why": "no longer flagged" if nxt else "no cluster holds most of its accounts"})
    now_groups, then_groups = current.groups(), previous.groups()
    for case in graph.read(CASES_WATCHED, {"statuses": list(WATCHED_CASE_STATUSES)}):
        covered = set(case["accounts"])
        grouped_before = set().union(*(ms for ms in then_groups.values() if ms & covered))
        for group, ms in sorted(now_groups.items()):
            if ms & covered:
                joined = sorted(ms - covered - grouped_before)
                if joined:
                    changes.joined.append({"case_id": case["case_id"], "title": case["title"],
                                           "status": case["status"], "group": group, "accounts": joined,
                                           "continues": changes.campaign_continues.get(group, [])})
    return changes
