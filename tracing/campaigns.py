"""Attribution per campaign: a person or organisation linked to any cluster of a campaign is a
candidate for the whole campaign, ranked by its best cluster, with evidence naming each cluster."""
from __future__ import annotations

from dataclasses import dataclass, field

from graph.cluster_ids import short_cluster_id
from graph.db import Graph
from tracing.attribution import Attribution

CAMPAIGN_OF_CLUSTERS = """
MATCH (c:Cluster {run_id: $run_id})-[:PART_OF]->(k:Campaign)
RETURN c.cluster_id AS cluster_id, k.campaign_id AS campaign_id
"""
CAMPAIGN_ATTRIBUTION_DELETE = "MATCH (k:Campaign {campaign_id: $campaign_id})-[r:ATTRIBUTED_TO]->() DELETE r"
CAMPAIGN_ATTRIBUTION_WRITE = """
MATCH (k:Campaign {campaign_id: $campaign_id})
UNWIND $rows AS row
CALL (k, row) {
  OPTIONAL MATCH (o:Organisation {org_id: row.target_id}) WHERE row.target_kind = 'organisation'
  OPTIONAL MATCH (p:Person {person_id: row.target_id}) WHERE row.target_kind = 'person'
  WITH k, row, coalesce(o, p) AS target WHERE target IS NOT NULL
  CREATE (k)-[:ATTRIBUTED_TO {rank: row.rank, confidence: row.confidence, evidence: row.evidence,
          run_id: k.run_id, target_kind: row.target_kind, clusters: row.clusters, traced_at: datetime()}]->(target)
}
"""


@dataclass
class CampaignCandidate:
    target_kind: str
    target_id: str
    name: str
    confidence: float = 0.0
    rank: int = 0
    by_cluster: dict[str, str] = field(default_factory=dict)  # cluster id -> that cluster's evidence

    def evidence_text(self) -> str:
        return " | ".join(f"cluster {short_cluster_id(c)}: {e}" for c, e in sorted(self.by_cluster.items()))


@dataclass
class CampaignAttribution:
    campaign_id: str
    cluster_ids: list[str]
    candidates: list[CampaignCandidate]


def campaign_of(graph: Graph, run_id: str) -> dict[str, str]:
    """Cluster id -> campaign id for a detection run."""
    return {r["cluster_id"]: r["campaign_id"] for r in graph.read(CAMPAIGN_OF_CLUSTERS, {"run_id": run_id})}


def combine(results: list[Attribution], campaign_of_cluster: dict[str, str]) -> list[CampaignAttribution]:
    """Per campaign: every candidate reported for any of its clusters, ranked by its best confidence."""
    by_campaign: dict[str, dict[tuple[str, str], CampaignCandidate]] = {}
    clusters: dict[str, list[str]] = {}
    for r in results:
        campaign = campaign_of_cluster.get(r.cluster_id)
        if campaign is None:
            continue
        clusters.setdefault(campaign, []).append(r.cluster_id)
        cands = by_campaign.setdefault(campaign, {})
        for c in r.reported():
            cand = cands.setdefault((c.target_kind, c.target_id),
                                    CampaignCandidate(c.target_kind, c.target_id, c.name))
            cand.confidence = max(cand.confidence, c.confidence)
            cand.by_cluster[r.cluster_id] = f"{c.confidence:.2f}, {c.evidence_text()}"
    out = []
    for campaign in sorted(clusters):
        ranked = sorted(by_campaign[campaign].values(), key=lambda c: (-c.confidence, c.target_kind, c.target_id))
        for i, c in enumerate(ranked, 1):
            c.rank = i
        out.append(CampaignAttribution(campaign, sorted(clusters[campaign]), ranked))
    return out


def save(graph: Graph, attribution: CampaignAttribution) -> None:
    """Replace the campaign's ATTRIBUTED_TO relationships with its candidates."""
    rows = [{"target_kind": c.target_kind, "target_id": c.target_id, "rank": c.rank, "confidence": c.confidence,
             "evidence": c.evidence_text(), "clusters": sorted(c.by_cluster)} for c in attribution.candidates]
    graph.write(CAMPAIGN_ATTRIBUTION_DELETE, {"campaign_id": attribution.campaign_id})
    if rows:
        graph.write(CAMPAIGN_ATTRIBUTION_WRITE, {"campaign_id": attribution.campaign_id, "rows": rows})
