"""From a cluster to the organisations and people behind it: ranked, evidenced candidates.

Each evidence path (queries/trace_*_evidence.cypher) gives a strength in [0, 1]:

    strength = BASE[kind] * coverage(accounts) * specificity * target factor

where coverage grows with the number of member accounts on the path (one account
already counts: a single card in a person's name is real evidence), specificity is the
share of the linked accounts that are in the cluster (a domain used by thousands
outside the cluster says little) and the target factor discounts organisations whose
networks many strangers share (cloud providers). Different kinds combine as
independent evidence (noisy-OR): confidence = 1 - prod(1 - strength_kind), so two
independent kinds pointing the same way count more than many copies of one kind,
which only raise that kind's coverage.

What a confidence means:
  >= 0.9  two or more independent strong kinds agree (e.g. a card billed to the
          organisation and API keys created from its network);
  0.6-0.9 one strong kind over several accounts, or a strong and a weak kind;
  0.25-0.6 one strong link from one or two accounts (REPORTING_THRESHOLD is 0.25);
  < 0.25  weak or common links only: not reported as an attribution.
Clusters that detection did not flag are capped at NOT_FLAGGED_CAP: their links are
associations, not attributions. A person linked to a cluster also lends
PERSON_TO_EMPLOYER of their confidence to their employer. Proxy services are
reported as infrastructure the cluster used, never as its originator.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.db import Graph
from queries import library
from ringtrace.core.errors import RingtraceError

BASE = {
    # organisation evidence
    "card_billed_to_org": 0.7,
    "signup_email_domain": 0.6,
    "billing_email_domain": 0.5,
    "api_key_from_network": 0.6,
    "traffic_from_network": 0.5,
    "claimed_org": 0.25,          # free text typed at sign-up, unverified
    "via_staff_member": 0.8,      # times the person's own confidence
    # person evidence
    "card_in_person_name": 0.6,
    "card_billing_email": 0.6,
    "account_email": 0.7,
    "person_device": 0.7,
    "person_address": 0.5,
    "api_key_from_person_address": 0.6,
    "own_account_shares_items": 0.5,
    "account_owned_by_person": 0.8,
}
COVERAGE_FLOOR = 0.6         # coverage with one account
COVERAGE_SCALE = 3.0         # accounts for coverage to close ~2/3 of the rest of the way to 1
TARGET_TYPE_FACTOR = {"cloud_provider": 0.2, "payment_processor": 0.2}
SPECIFICITY_FLOOR = 0.1
REPORTING_THRESHOLD = 0.25
NOT_FLAGGED_CAP = 0.2
PERSON_TO_EMPLOYER = BASE["via_staff_member"]

ATTRIBUTION_DELETE = """
MATCH (c:Cluster {cluster_id: $cluster_id})-[r:ATTRIBUTED_TO]->() DELETE r
"""
ATTRIBUTION_WRITE = """
MATCH (c:Cluster {cluster_id: $cluster_id})
UNWIND $rows AS row
CALL (c, row) {
  OPTIONAL MATCH (o:Organisation {org_id: row.target_id}) WHERE row.target_kind = 'organisation'
  OPTIONAL MATCH (p:Person {person_id: row.target_id}) WHERE row.target_kind = 'person'
  WITH c, row, coalesce(o, p) AS target WHERE target IS NOT NULL
  CREATE (c)-[:ATTRIBUTED_TO {rank: row.rank, confidence: row.confidence, evidence: row.evidence,
          paths: row.paths, run_id: c.run_id, target_kind: row.target_kind, traced_at: datetime()}]->(target)
}
"""
# A traced cluster is marked even when no candidate reached the reporting threshold (then it has no
# ATTRIBUTED_TO), with the infrastructure the trace found, so the stored attribution is whole.
ATTRIBUTION_MARK = """
MATCH (c:Cluster {cluster_id: $cluster_id})
SET c.traced_at = datetime(), c.traced_infrastructure = $infrastructure
"""
ATTRIBUTION_READ = """
MATCH (c:Cluster {cluster_id: $cluster_id})
OPTIONAL MATCH (c)-[r:ATTRIBUTED_TO]->(t)
WITH c, r, t ORDER BY r.rank
RETURN c.flagged AS flagged, c.traced_at AS traced_at, c.traced_infrastructure AS infrastructure,
       [x IN collect(CASE WHEN r IS NULL THEN NULL ELSE {target_kind: r.target_kind,
          target_id: CASE WHEN t:Person THEN t.person_id ELSE t.org_id END, name: t.name, rank: r.rank,
          confidence: r.confidence, evidence: r.evidence, paths: r.paths, traced_at: r.traced_at} END)
        WHERE x IS NOT NULL] AS candidates
"""
CLUSTER_INFO = """
MATCH (c:Cluster {cluster_id: $cluster_id})
RETURN c.cluster_id AS cluster_id, c.flagged AS flagged, c.size AS size, c.score AS score, c.run_id AS run_id
"""
FLAGGED_CLUSTERS = """
MATCH (c:Cluster {run_id: $run_id}) WHERE c.flagged RETURN c.cluster_id AS cluster_id ORDER BY c.rank
"""


@dataclass
class EvidencePath:
    kind: str
    accounts: int
    items: list[str]
    links: int
    strength: float
    first_seen: Any = None
    last_seen: Any = None

    def describe(self) -> str:
        items = ", ".join(str(i) for i in self.items[:3])
        when = ""
        if self.first_seen is not None:
            when = f", {str(self.first_seen)[:10]} to {str(self.last_seen)[:10]}"
        return (f"{self.kind.replace('_', ' ')}: {self.accounts} account(s), {self.links} link(s) "
                f"[{items}]{when} (strength {self.strength:.2f})")


@dataclass
class Candidate:
    target_kind: str  # organisation | person
    target_id: str
    name: str
    paths: list[EvidencePath] = field(default_factory=list)
    confidence: float = 0.0
    rank: int = 0
    stored_evidence: str | None = None  # the evidence text as saved (`stored`)

    def evidence_text(self) -> str:
        if self.stored_evidence is not None:
            return self.stored_evidence
        return "; ".join(p.describe() for p in sorted(self.paths, key=lambda p: -p.strength))


@dataclass
class Attribution:
    cluster_id: str
    flagged: bool
    organisations: list[Candidate]
    people: list[Candidate]
    infrastructure: list[dict[str, Any]]
    campaign_id: str | None = None
    traced_at: Any = None  # set when read back from the graph (`stored`): when it was traced and saved

    def reported(self) -> list[Candidate]:
        return [c for c in self.organisations + self.people if c.confidence >= REPORTING_THRESHOLD]


def coverage(accounts: int) -> float:
    return COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * (1 - math.exp(-(max(accounts, 1) - 1) / COVERAGE_SCALE))


def strength(kind: str, accounts: int, outside: int, target_type: str | None) -> float:
    specificity = max(SPECIFICITY_FLOOR, accounts / (accounts + max(outside, 0)))
    factor = TARGET_TYPE_FACTOR.get(target_type or "", 1.0)
    return BASE[kind] * coverage(accounts) * specificity * factor


def noisy_or(strengths: list[float]) -> float:
    return 1 - math.prod(1 - s for s in strengths)


def _candidates(rows: list[dict[str, Any]], target_kind: str) -> dict[str, Candidate]:
    found: dict[str, Candidate] = {}
    for r in rows:
        cand = found.setdefault(r["target_id"], Candidate(target_kind, r["target_id"], r["target_name"]))
        cand.paths.append(EvidencePath(
            kind=r["evidence"], accounts=int(r["accounts"]), items=list(r["items"] or []), links=int(r["links"]),
            strength=strength(r["evidence"], int(r["accounts"]), int(r["outside_accounts"] or 0), r["target_type"]),
            first_seen=r["first_seen"], last_seen=r["last_seen"]))
    return found


def _confidence(cand: Candidate) -> float:
    best_per_kind: dict[str, float] = {}
    for p in cand.paths:
        best_per_kind[p.kind] = max(best_per_kind.get(p.kind, 0.0), p.strength)
    return noisy_or(list(best_per_kind.values()))


def _ranked(cands: dict[str, Candidate], cap: float | None) -> list[Candidate]:
    for c in cands.values():
        c.confidence = round(min(_confidence(c), cap) if cap is not None else _confidence(c), 4)
    ranked = sorted(cands.values(), key=lambda c: (-c.confidence, c.target_id))
    for i, c in enumerate(ranked, 1):
        c.rank = i
    return ranked


def trace_cluster(graph: Graph, cluster_id: str) -> Attribution:
    """Rank organisations and people behind one cluster, with the evidence for each."""
    info = graph.read(CLUSTER_INFO, {"cluster_id": cluster_id})
    if not info:
        raise RingtraceError(f"No cluster {cluster_id}. `ringtrace detect` lists the clusters of a run.")
    flagged = bool(info[0]["flagged"])
    cap = None if flagged else NOT_FLAGGED_CAP
    params = {"cluster_id": cluster_id}
    org_rows = graph.read(library.get("trace_organisation_evidence").text, params)
    person_rows = graph.read(library.get("trace_person_evidence").text, params)
    people = _ranked(_candidates(person_rows, "person"), cap)
    orgs = _candidates(org_rows, "organisation")
    if people:
        employers = graph.read(library.get("person_employer").text,
                               {"person_ids": [p.target_id for p in people]})
        by_person = {p.target_id: p for p in people}
        for e in employers:
            person = by_person[e["person_id"]]
            if e["org_kind"] == "proxy_service":
                continue
            cand = orgs.setdefault(e["org_id"], Candidate("organisation", e["org_id"], e["org_name"]))
            cand.paths.append(EvidencePath(
                kind="via_staff_member", accounts=max(p.accounts for p in person.paths),
                items=[f"{person.name} ({person.target_id})"], links=len(person.paths),
                strength=round(PERSON_TO_EMPLOYER * person.confidence, 4)))
    infrastructure = graph.read(library.get("cluster_infrastructure").text, params)
    return Attribution(cluster_id, flagged, _ranked(orgs, cap), people, infrastructure)


def save(graph: Graph, attribution: Attribution) -> None:
    """Replace the cluster's ATTRIBUTED_TO relationships with the reported candidates (their evidence paths
    kept as JSON, so `stored` gives back what was traced) and mark the cluster traced."""
    rows = [{"target_kind": c.target_kind, "target_id": c.target_id, "rank": c.rank,
             "confidence": c.confidence, "evidence": c.evidence_text(),
             "paths": json.dumps([asdict(p) for p in c.paths], default=str)} for c in attribution.reported()]
    graph.write(ATTRIBUTION_DELETE, {"cluster_id": attribution.cluster_id})
    if rows:
        graph.write(ATTRIBUTION_WRITE, {"cluster_id": attribution.cluster_id, "rows": rows})
    graph.write(ATTRIBUTION_MARK, {"cluster_id": attribution.cluster_id,
                                   "infrastructure": json.dumps(attribution.infrastructure, default=str)})


def stored(graph: Graph, cluster_id: str) -> Attribution | None:
    """The attribution `save` stored for a cluster (the reported candidates, ranked, with their evidence
    paths), or None when the cluster was never traced. An attribution saved before paths were kept has
    candidates without paths (their evidence text stays)."""
    rows = graph.read(ATTRIBUTION_READ, {"cluster_id": cluster_id})
    if not rows or (rows[0]["traced_at"] is None and not rows[0]["candidates"]):
        return None
    row = rows[0]
    found: dict[str, list[Candidate]] = {"organisation": [], "person": []}
    for r in row["candidates"]:
        cand = Candidate(r["target_kind"], r["target_id"], r["name"], confidence=float(r["confidence"]),
                         rank=int(r["rank"]))
        cand.paths = [EvidencePath(**p) for p in json.loads(r["paths"] or "[]")]
        cand.stored_evidence = r["evidence"]
        found.setdefault(r["target_kind"], []).append(cand)
    traced_at = row["traced_at"] or max((r["traced_at"] for r in row["candidates"]), default=None)
    return Attribution(cluster_id, bool(row["flagged"]), found["organisation"], found["person"],
                       json.loads(row["infrastructure"] or "[]"), traced_at=traced_at)


def flagged_clusters(graph: Graph, run_id: str) -> list[str]:
    return [r["cluster_id"] for r in graph.read(FLAGGED_CLUSTERS, {"run_id": run_id})]
